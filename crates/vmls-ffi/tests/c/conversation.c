/*
 * A two-member MLS conversation through the C ABI (include/vmls.h), linked against the static
 * library: Alice creates a group, Bob publishes a KeyPackage, Alice adds him, Bob joins from
 * the Welcome, they exchange messages both ways, Bob commits a self-update that Alice
 * processes, Alice's state is saved, freed and restored, the conversation goes on, and one
 * tampered message is refused with VMLS_ERR_DECRYPTION_FAILED without changing Alice's state.
 *
 * Built and run by .ci/ffi.sh:
 *   cc -std=c11 -Wall -Wextra -Werror -I crates/vmls-ffi/include \
 *      crates/vmls-ffi/tests/c/conversation.c target/release/libvmls_ffi.a -lpthread -ldl -lm
 *
 * The RNG here is a deterministic PRNG (splitmix64) so the run is reproducible. It is NOT
 * cryptographically secure: real firmware fills the buffer from its TRNG (or a DRBG seeded
 * from it), and a mobile core from the OS (getrandom, SecRandomCopyBytes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmls.h"

_Static_assert(sizeof(vmls_rng) == 2 * sizeof(void *), "vmls_rng is two pointers");

static int passed = 0;
static int failed = 0;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (cond) {                                                                   \
            passed++;                                                                 \
        } else {                                                                      \
            failed++;                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                             \
    } while (0)

/* Expects `call` to return `want`; prints both names otherwise. */
#define EXPECT_RC(call, want)                                                               \
    do {                                                                                    \
        int rc_ = (call);                                                                   \
        if (rc_ == (want)) {                                                                \
            passed++;                                                                       \
        } else {                                                                            \
            failed++;                                                                       \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s\n", __FILE__, __LINE__,     \
                    #call, vmls_error_name(rc_), vmls_error_name(want));                    \
        }                                                                                   \
    } while (0)

#define OK(call) EXPECT_RC(call, VMLS_OK)

/* splitmix64: a deterministic test PRNG (not for production: see the comment at the top). */
typedef struct {
    uint64_t state;
} test_prng;

static int test_fill(void *ctx, uint8_t *buf, size_t len) {
    test_prng *p = (test_prng *)ctx;
    for (size_t i = 0; i < len; i++) {
        uint64_t z = (p->state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        buf[i] = (uint8_t)z;
    }
    return 0;
}

#define BUF 65536

/* Sends `text` from `from` and checks that `to` reads it from sender leaf `sender`. */
static void message(vmls_group *from, vmls_group *to, const vmls_rng *rng, const char *text,
                    uint32_t sender) {
    static uint8_t wire[BUF];
    static uint8_t plain[BUF];
    size_t wire_len = sizeof wire;
    OK(vmls_group_encrypt(from, rng, NULL, 0, (const uint8_t *)text, strlen(text), wire,
                          &wire_len));
    uint32_t kind = 0, who = 0;
    size_t plain_len = sizeof plain;
    OK(vmls_group_process(to, wire, wire_len, &kind, &who, plain, &plain_len));
    CHECK(kind == VMLS_MSG_APPLICATION);
    CHECK(who == sender);
    CHECK(plain_len == strlen(text) && memcmp(plain, text, plain_len) == 0);
}

/* Both members agree on the epoch, the epoch authenticator and the member count. */
static void agree(const vmls_group *a, const vmls_group *b, uint64_t epoch) {
    uint64_t ea = 0, eb = 0;
    OK(vmls_group_epoch(a, &ea));
    OK(vmls_group_epoch(b, &eb));
    CHECK(ea == epoch && eb == epoch);
    uint8_t auth_a[VMLS_EPOCH_AUTHENTICATOR_LEN], auth_b[VMLS_EPOCH_AUTHENTICATOR_LEN];
    size_t la = sizeof auth_a, lb = sizeof auth_b;
    OK(vmls_group_epoch_authenticator(a, auth_a, &la));
    OK(vmls_group_epoch_authenticator(b, auth_b, &lb));
    CHECK(la == VMLS_EPOCH_AUTHENTICATOR_LEN && lb == la && memcmp(auth_a, auth_b, la) == 0);
    uint32_t na = 0, nb = 0;
    OK(vmls_group_member_count(a, &na));
    OK(vmls_group_member_count(b, &nb));
    CHECK(na == 2 && nb == 2);
}

/* Saves `g` into a fresh heap buffer (size query first). */
static uint8_t *save(const vmls_group *g, size_t *len) {
    *len = 0;
    EXPECT_RC(vmls_group_save(g, NULL, len), VMLS_ERR_BUFFER_TOO_SMALL);
    CHECK(*len > 0);
    uint8_t *blob = malloc(*len);
    if (blob == NULL) {
        abort();
    }
    OK(vmls_group_save(g, blob, len));
    return blob;
}

int main(void) {
    CHECK(vmls_abi_version() == VMLS_ABI_VERSION);
    test_prng alice_prng = {1}, bob_prng = {2};
    const vmls_rng alice_rng = {test_fill, &alice_prng};
    const vmls_rng bob_rng = {test_fill, &bob_prng};
    static uint8_t commit[BUF], welcome[BUF], kp_bytes[BUF];

    /* Alice creates the group. */
    vmls_group *alice = NULL;
    const char *gid = "c-abi conversation";
    OK(vmls_group_create(&alice_rng, (const uint8_t *)gid, strlen(gid),
                         (const uint8_t *)"alice", 5, &alice));
    CHECK(alice != NULL);

    /* Bob publishes a KeyPackage. */
    vmls_key_package *bob_kp = NULL;
    size_t kp_len = sizeof kp_bytes;
    OK(vmls_key_package_create(&bob_rng, (const uint8_t *)"bob", 3, &bob_kp, kp_bytes, &kp_len));
    /* MLSMessage(KeyPackage): version mls10 (0x0001), wire format mls_key_package (0x0005). */
    CHECK(kp_len > 4 && kp_bytes[0] == 0 && kp_bytes[1] == 1 && kp_bytes[2] == 0 &&
          kp_bytes[3] == 5);

    /* Alice adds Bob: a buffer too small changes nothing and says what is needed. */
    size_t commit_len = 10, welcome_len = 10;
    EXPECT_RC(vmls_group_add(alice, &alice_rng, kp_bytes, kp_len, commit, &commit_len, welcome,
                             &welcome_len),
              VMLS_ERR_BUFFER_TOO_SMALL);
    CHECK(commit_len > 10 && welcome_len > 10);
    uint64_t epoch = 99;
    OK(vmls_group_epoch(alice, &epoch));
    CHECK(epoch == 0);
    EXPECT_RC(vmls_group_merge_pending_commit(alice), VMLS_ERR_NO_PENDING_COMMIT);
    commit_len = sizeof commit;
    welcome_len = sizeof welcome;
    OK(vmls_group_add(alice, &alice_rng, kp_bytes, kp_len, commit, &commit_len, welcome,
                      &welcome_len));
    OK(vmls_group_merge_pending_commit(alice));

    /* Bob joins from the Welcome (the ratchet tree is inside it). */
    vmls_group *bob = NULL;
    OK(vmls_group_join(bob_kp, welcome, welcome_len, NULL, 0, &bob));
    vmls_key_package_free(bob_kp);
    uint32_t leaf = 99;
    OK(vmls_group_own_leaf_index(bob, &leaf));
    CHECK(leaf == 1);
    agree(alice, bob, 1);

    /* Messages both ways. */
    message(alice, bob, &alice_rng, "hello bob", 0);
    message(bob, alice, &bob_rng, "hello alice", 1);

    /* Bob updates his keys; Alice processes the commit; Bob merges once it is accepted. */
    commit_len = sizeof commit;
    welcome_len = 0;
    OK(vmls_group_self_update(bob, &bob_rng, commit, &commit_len, NULL, &welcome_len));
    CHECK(welcome_len == 0);
    uint32_t kind = 0, who = 0;
    size_t none = 0;
    OK(vmls_group_process(alice, commit, commit_len, &kind, &who, NULL, &none));
    CHECK(kind == VMLS_MSG_COMMIT && who == 1 && none == 0);
    OK(vmls_group_merge_pending_commit(bob));
    agree(alice, bob, 2);

    /* Alice's state survives a reboot: save, free, restore. */
    size_t blob_len = 0;
    uint8_t *blob = save(alice, &blob_len);
    vmls_group_free(alice);
    alice = NULL;
    OK(vmls_group_restore(blob, blob_len, &alice));
    free(blob);
    agree(alice, bob, 2);
    message(alice, bob, &alice_rng, "back after a reboot", 0);
    message(bob, alice, &bob_rng, "welcome back", 1);

    /* A tampered message (last byte of the AEAD ciphertext flipped) is refused with the
     * decryption error and leaves Alice's state byte-for-byte as it was. */
    static uint8_t wire[BUF];
    size_t wire_len = sizeof wire;
    const char *text = "integrity matters";
    OK(vmls_group_encrypt(bob, &bob_rng, NULL, 0, (const uint8_t *)text, strlen(text), wire,
                          &wire_len));
    size_t before_len = 0, after_len = 0;
    uint8_t *before = save(alice, &before_len);
    wire[wire_len - 1] ^= 0x01;
    static uint8_t plain[BUF];
    size_t plain_len = sizeof plain;
    EXPECT_RC(vmls_group_process(alice, wire, wire_len, &kind, &who, plain, &plain_len),
              VMLS_ERR_DECRYPTION_FAILED);
    CHECK(strcmp(vmls_error_name(VMLS_ERR_DECRYPTION_FAILED), "VMLS_ERR_DECRYPTION_FAILED") == 0);
    uint8_t *after = save(alice, &after_len);
    CHECK(before_len == after_len && memcmp(before, after, before_len) == 0);
    free(before);
    free(after);
    /* The genuine message still decrypts: the forgery did not burn its generation. */
    wire[wire_len - 1] ^= 0x01;
    plain_len = sizeof plain;
    OK(vmls_group_process(alice, wire, wire_len, &kind, &who, plain, &plain_len));
    CHECK(kind == VMLS_MSG_APPLICATION && plain_len == strlen(text) &&
          memcmp(plain, text, plain_len) == 0);
    /* ... once: a replay is refused. */
    plain_len = sizeof plain;
    EXPECT_RC(vmls_group_process(alice, wire, wire_len, &kind, &who, plain, &plain_len),
              VMLS_ERR_GENERATION);

    vmls_group_free(alice);
    vmls_group_free(bob);
    vmls_group_free(NULL);
    vmls_key_package_free(NULL);

    printf("c-abi: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
