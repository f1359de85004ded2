/*
 * vmls.h: the C ABI of vmls (MLS, RFC 9420, cipher suite 0x0003
 * MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519) for C firmware and mobile cores.
 *
 * Written by hand; CI (.ci/ffi.sh) checks it against the static library: the set of exported
 * vmls_* functions equals the set declared here, every prototype here matches the Rust
 * definition parameter by parameter (crates/vmls-ffi/tests/header.rs), and the error codes
 * below equal the library's table.
 *
 * Conventions (docs/embedding.md, "C ABI", says more):
 *  - Every function returns VMLS_OK (0) or a VMLS_ERR_* code; vmls_error_name() names it.
 *  - Output buffers are (uint8_t *out, size_t *out_len): *out_len is the capacity on entry and
 *    the length written on return. If it is too small the call returns
 *    VMLS_ERR_BUFFER_TOO_SMALL, sets every *out_len of the call to the size it needs, and
 *    changes nothing. out may be NULL when *out_len is 0 (a size query).
 *  - Inputs are (const uint8_t *p, size_t len); p may be NULL only when len is 0. Lengths are
 *    bounded by VMLS_MAX_INPUT_LEN (messages, blobs, trees) and VMLS_MAX_ID_LEN (identities,
 *    group IDs). Output buffers must not overlap inputs or each other.
 *  - A call that fails leaves every handle it was given unchanged and creates no handle.
 *  - Handles are opaque; free each with its _free function (NULL is a no-op). A handle is not
 *    thread-safe: do not use one handle from two threads at once. Separate handles are
 *    independent: vmls has no global state.
 *  - Randomness comes only from the vmls_rng the caller passes.
 */
#ifndef VMLS_H
#define VMLS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this ABI; vmls_abi_version() returns the library's. */
#define VMLS_ABI_VERSION 1

/* Bounds on input lengths (larger inputs: VMLS_ERR_INVALID_ARGUMENT). */
#define VMLS_MAX_INPUT_LEN (16u * 1024u * 1024u)
#define VMLS_MAX_ID_LEN 1024u

/* Size of the epoch authenticator (vmls_group_epoch_authenticator). */
#define VMLS_EPOCH_AUTHENTICATOR_LEN 32u

/* Error codes. The numbers are stable: a code keeps its number and meaning. */
#define VMLS_OK 0                              /* success */
#define VMLS_ERR_NULL_POINTER 1                /* a required pointer was NULL */
#define VMLS_ERR_INVALID_ARGUMENT 2            /* a length above its bound, or overlapping buffers */
#define VMLS_ERR_BUFFER_TOO_SMALL 3            /* *out_len now holds the size needed; nothing changed */
#define VMLS_ERR_RNG 4                         /* the RNG callback returned non-zero; nothing changed */
#define VMLS_ERR_PANIC 5                       /* a bug in vmls was caught at the boundary */
#define VMLS_ERR_MALFORMED 16                  /* bytes do not decode */
#define VMLS_ERR_INVALID_SIGNATURE 17          /* a signature did not verify */
#define VMLS_ERR_INVALID_MEMBERSHIP_TAG 18     /* a PublicMessage membership tag did not verify */
#define VMLS_ERR_INVALID_CONFIRMATION_TAG 19   /* a confirmation tag did not verify */
#define VMLS_ERR_DECRYPTION_FAILED 20          /* AEAD/HPKE decryption failed (tampered, or not for us) */
#define VMLS_ERR_WRONG_GROUP 21                /* the message is for another group */
#define VMLS_ERR_WRONG_EPOCH 22                /* the message is for an epoch we cannot process */
#define VMLS_ERR_GENERATION 23                 /* replayed, deleted or too-far-ahead generation */
#define VMLS_ERR_MESSAGE_TOO_LARGE 24          /* above the group's maximum message size */
#define VMLS_ERR_UNEXPECTED_MESSAGE 25         /* wire format / content type not taken by this call */
#define VMLS_ERR_UNKNOWN_MEMBER 26             /* the sender is not a member */
#define VMLS_ERR_INVALID_KEY_PACKAGE 27        /* a KeyPackage is invalid (RFC 9420 10.1) */
#define VMLS_ERR_INVALID_PROPOSAL 28           /* a proposal or proposal list is invalid */
#define VMLS_ERR_INVALID_TREE 29               /* a ratchet tree is invalid or does not match */
#define VMLS_ERR_MISSING_RATCHET_TREE 30       /* a Welcome without a tree, and none passed */
#define VMLS_ERR_NO_MATCHING_KEY_PACKAGE 31    /* a Welcome is not for this KeyPackage */
#define VMLS_ERR_TOO_MANY_MEMBERS 32           /* the group's member limit */
#define VMLS_ERR_LIMIT_EXCEEDED 33             /* another configured bound */
#define VMLS_ERR_UNSUPPORTED 34                /* valid MLS this build or ABI does not support */
#define VMLS_ERR_INACTIVE 35                   /* this member was removed */
#define VMLS_ERR_COMMIT_PENDING 36             /* merge or clear the pending commit first */
#define VMLS_ERR_NO_PENDING_COMMIT 37          /* no commit is pending */
#define VMLS_ERR_PROPOSALS_PENDING 38          /* commit the received proposals before sending data */
#define VMLS_ERR_INVALID_STATE 39              /* a state blob is inconsistent */
#define VMLS_ERR_UNSUPPORTED_STATE_VERSION 40  /* a state blob of a version this build cannot read */
#define VMLS_ERR_PROTOCOL 41                   /* another RFC 9420 rule is violated */
#define VMLS_ERR_INTERNAL 42                   /* an unexpected cryptographic failure */
#define VMLS_ERR_LATE_MESSAGE_REFUSED 43       /* a late message from a replaced leaf; nothing changed */

/* Kinds reported by vmls_group_process. */
#define VMLS_MSG_APPLICATION 1u  /* application data, written to out */
#define VMLS_MSG_PROPOSAL 2u     /* a proposal, cached for the next commit */
#define VMLS_MSG_COMMIT 3u       /* a commit, merged: the group is in a new epoch */
#define VMLS_MSG_CBAM 4u         /* application data of a CBAM, written to out */

/* Sender reported for senders that are not members. */
#define VMLS_SENDER_NONE 0xFFFFFFFFu

/* The caller's random source. fill(ctx, buf, len) writes len cryptographically secure random
 * bytes to buf and returns 0, or returns non-zero if it cannot (the call then fails with
 * VMLS_ERR_RNG and changes nothing). It is called only during the call it was passed to.
 * Firmware backs it with its TRNG (or a DRBG seeded from it). */
typedef struct vmls_rng {
    int (*fill)(void *ctx, uint8_t *buf, size_t len);
    void *ctx;
} vmls_rng;

/* A client's KeyPackage with its private keys (opaque). */
typedef struct vmls_key_package vmls_key_package;

/* One member's state of one group (opaque). */
typedef struct vmls_group vmls_group;

/* The name of an error code ("VMLS_ERR_UNKNOWN" for other numbers): a static string. */
const char *vmls_error_name(int code);

/* The ABI version of the library (VMLS_ABI_VERSION of the header it was built with). */
uint32_t vmls_abi_version(void);

/* Creates a KeyPackage for a basic credential `identity` and a fresh signature key; writes the
 * MLSMessage(KeyPackage) to out and the handle to *kp_out. */
int vmls_key_package_create(const vmls_rng *rng, const uint8_t *identity, size_t identity_len,
                            vmls_key_package **kp_out, uint8_t *out, size_t *out_len);

/* Writes the MLSMessage(KeyPackage) of kp again. */
int vmls_key_package_bytes(const vmls_key_package *kp, uint8_t *out, size_t *out_len);

/* Frees kp and zeroizes its private keys (free it once the Welcome was processed). */
void vmls_key_package_free(vmls_key_package *kp);

/* Creates a one-member group `group_id` for a creator with identity `identity`. */
int vmls_group_create(const vmls_rng *rng, const uint8_t *group_id, size_t group_id_len,
                      const uint8_t *identity, size_t identity_len, vmls_group **group_out);

/* Joins from an MLSMessage(Welcome) made for kp. ratchet_tree: NULL/0 when the Welcome
 * carries the tree (vmls_group_add's do), else the tree from vmls_group_ratchet_tree. */
int vmls_group_join(const vmls_key_package *kp, const uint8_t *welcome, size_t welcome_len,
                    const uint8_t *ratchet_tree, size_t ratchet_tree_len, vmls_group **group_out);

/* Commits an Add of the MLSMessage(KeyPackage) `key_package` with an UpdatePath. Writes the
 * Commit (send to the group) and the Welcome (send to the new member once the Commit was
 * accepted). The commit is pending until vmls_group_merge_pending_commit (or until it comes
 * back through vmls_group_process). Needs one copy of the group state on the heap meanwhile. */
int vmls_group_add(vmls_group *group, const vmls_rng *rng, const uint8_t *key_package,
                   size_t key_package_len, uint8_t *commit_out, size_t *commit_out_len,
                   uint8_t *welcome_out, size_t *welcome_out_len);

/* Commits a fresh UpdatePath (and the proposals received this epoch). Writes the Commit, and a
 * Welcome if received Add proposals were included (else *welcome_out_len = 0; a capacity of 0
 * is fine without received Adds). Pending like vmls_group_add. */
int vmls_group_self_update(vmls_group *group, const vmls_rng *rng, uint8_t *commit_out,
                           size_t *commit_out_len, uint8_t *welcome_out, size_t *welcome_out_len);

/* Moves to the epoch of the pending commit, once the Delivery Service accepted it. */
int vmls_group_merge_pending_commit(vmls_group *group);

/* Drops the pending commit (the Delivery Service rejected it). */
int vmls_group_clear_pending_commit(vmls_group *group);

/* Encrypts application data as an MLSMessage(PrivateMessage). Save the state durably before
 * the message leaves the device (docs/embedding.md: no key/nonce reuse after a crash). */
int vmls_group_encrypt(vmls_group *group, const vmls_rng *rng, const uint8_t *authenticated_data,
                       size_t authenticated_data_len, const uint8_t *data, size_t data_len,
                       uint8_t *out, size_t *out_len);

/* Processes an incoming MLSMessage. *kind_out = VMLS_MSG_*; *sender_out = the sender's leaf
 * index (the committer's, for a commit) or VMLS_SENDER_NONE; application data goes to out
 * (*out_len = 0 for handshake messages). A rejected message changes nothing. */
int vmls_group_process(vmls_group *group, const uint8_t *message, size_t message_len,
                       uint32_t *kind_out, uint32_t *sender_out, uint8_t *out, size_t *out_len);

/* Writes the state blob (holds every secret of the member: store it like a key). */
int vmls_group_save(const vmls_group *group, uint8_t *out, size_t *out_len);

/* Restores a group from a state blob. */
int vmls_group_restore(const uint8_t *blob, size_t blob_len, vmls_group **group_out);

/* Frees group and zeroizes its secrets. */
void vmls_group_free(vmls_group *group);

/* The current epoch. */
int vmls_group_epoch(const vmls_group *group, uint64_t *epoch_out);

/* The number of members. */
int vmls_group_member_count(const vmls_group *group, uint32_t *count_out);

/* This member's leaf index. */
int vmls_group_own_leaf_index(const vmls_group *group, uint32_t *leaf_out);

/* The epoch authenticator (VMLS_EPOCH_AUTHENTICATOR_LEN bytes): equal for all members of an
 * epoch. */
int vmls_group_epoch_authenticator(const vmls_group *group, uint8_t *out, size_t *out_len);

/* The encoded ratchet tree of the current epoch, for joiners whose Welcome lacks it. */
int vmls_group_ratchet_tree(const vmls_group *group, uint8_t *out, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* VMLS_H */
