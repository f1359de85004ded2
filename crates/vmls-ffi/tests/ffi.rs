//! The C ABI called as C would call it: error codes against what the RFC says is wrong with
//! the input, `VMLS_ERR_BUFFER_TOO_SMALL` with the size needed (the exact size then works) and
//! no state change, NULL pointers, a failing RNG, overlapping buffers, and the choices of
//! docs/spec-decisions.md ("C ABI"). State is compared as state blobs (`vmls_group_save`).
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block,
    clippy::type_complexity,
    missing_docs
)]
// The test calls every function through `unsafe` with pointers to live Rust values; the
// per-block SAFETY comments of the library are not repeated for each call here.

use core::ffi::{CStr, c_int, c_void};
use core::ptr::{null, null_mut};

use vmls::codec::Decode;
use vmls::group::{MLSMessage, MLSMessageBody};
use vmls::tree::{Credential, LeafNodeSource, Lifetime};
use vmls_ffi::error::*;
use vmls_ffi::group::*;
use vmls_ffi::key_package::*;
use vmls_ffi::{VMLS_MSG_APPLICATION, VMLS_MSG_COMMIT, VmlsGroup, VmlsKeyPackage, VmlsRng};

/// splitmix64 with a byte budget: after `budget` bytes every call fails.
struct TestRng {
    state: u64,
    budget: usize,
    calls: usize,
}

impl TestRng {
    fn new(seed: u64) -> Self {
        Self {
            state: seed,
            budget: usize::MAX,
            calls: 0,
        }
    }
    fn failing_after(seed: u64, budget: usize) -> Self {
        Self {
            state: seed,
            budget,
            calls: 0,
        }
    }
    fn ffi(&mut self) -> VmlsRng {
        VmlsRng {
            fill: Some(fill),
            ctx: (self as *mut Self).cast(),
        }
    }
}

unsafe extern "C" fn fill(ctx: *mut c_void, buf: *mut u8, len: usize) -> c_int {
    let rng = unsafe { &mut *ctx.cast::<TestRng>() };
    rng.calls += 1;
    if len > rng.budget {
        return -1;
    }
    rng.budget -= len;
    let out = unsafe { core::slice::from_raw_parts_mut(buf, len) };
    for b in out {
        rng.state = rng.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = rng.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        *b = (z ^ (z >> 31)) as u8;
    }
    0
}

const BIG: usize = 1 << 16;

fn name(code: c_int) -> &'static str {
    unsafe { CStr::from_ptr(vmls_ffi::vmls_error_name(code)) }
        .to_str()
        .unwrap()
}

#[track_caller]
fn ok(code: c_int) {
    assert_eq!(name(code), "VMLS_OK");
}

fn create(rng: &mut TestRng, gid: &[u8], id: &[u8]) -> *mut VmlsGroup {
    let mut g = null_mut();
    let r = rng.ffi();
    ok(unsafe { vmls_group_create(&r, gid.as_ptr(), gid.len(), id.as_ptr(), id.len(), &mut g) });
    assert!(!g.is_null());
    g
}

fn key_package(rng: &mut TestRng, id: &[u8]) -> (*mut VmlsKeyPackage, Vec<u8>) {
    let mut kp = null_mut();
    let mut buf = vec![0u8; BIG];
    let mut len = buf.len();
    let r = rng.ffi();
    ok(unsafe {
        vmls_key_package_create(
            &r,
            id.as_ptr(),
            id.len(),
            &mut kp,
            buf.as_mut_ptr(),
            &mut len,
        )
    });
    buf.truncate(len);
    (kp, buf)
}

/// `vmls_group_add` with buffers of the given capacities.
fn add_with(
    g: *mut VmlsGroup,
    rng: &mut TestRng,
    kp: &[u8],
    caps: (usize, usize),
) -> Result<(Vec<u8>, Vec<u8>), (c_int, usize, usize)> {
    let (mut commit, mut welcome) = (vec![0u8; caps.0.max(1)], vec![0u8; caps.1.max(1)]);
    let (mut cl, mut wl) = caps;
    let r = rng.ffi();
    let rc = unsafe {
        vmls_group_add(
            g,
            &r,
            kp.as_ptr(),
            kp.len(),
            commit.as_mut_ptr(),
            &mut cl,
            welcome.as_mut_ptr(),
            &mut wl,
        )
    };
    if rc != VMLS_OK {
        return Err((rc, cl, wl));
    }
    commit.truncate(cl);
    welcome.truncate(wl);
    Ok((commit, welcome))
}

fn add(g: *mut VmlsGroup, rng: &mut TestRng, kp: &[u8]) -> (Vec<u8>, Vec<u8>) {
    add_with(g, rng, kp, (BIG, BIG)).unwrap()
}

fn join(kp: *const VmlsKeyPackage, welcome: &[u8]) -> Result<*mut VmlsGroup, c_int> {
    let mut g = null_mut();
    let rc = unsafe { vmls_group_join(kp, welcome.as_ptr(), welcome.len(), null(), 0, &mut g) };
    if rc == VMLS_OK { Ok(g) } else { Err(rc) }
}

fn encrypt_with(
    g: *mut VmlsGroup,
    rng: &mut TestRng,
    data: &[u8],
    cap: usize,
) -> Result<Vec<u8>, (c_int, usize)> {
    let mut out = vec![0u8; cap.max(1)];
    let mut len = cap;
    let r = rng.ffi();
    let rc = unsafe {
        vmls_group_encrypt(
            g,
            &r,
            null(),
            0,
            data.as_ptr(),
            data.len(),
            out.as_mut_ptr(),
            &mut len,
        )
    };
    if rc != VMLS_OK {
        return Err((rc, len));
    }
    out.truncate(len);
    Ok(out)
}

fn encrypt(g: *mut VmlsGroup, rng: &mut TestRng, data: &[u8]) -> Vec<u8> {
    encrypt_with(g, rng, data, BIG).unwrap()
}

fn process_with(
    g: *mut VmlsGroup,
    msg: &[u8],
    cap: usize,
) -> Result<(u32, u32, Vec<u8>), (c_int, usize)> {
    let mut out = vec![0u8; cap.max(1)];
    let mut len = cap;
    let (mut kind, mut sender) = (0u32, 0u32);
    let rc = unsafe {
        vmls_group_process(
            g,
            msg.as_ptr(),
            msg.len(),
            &mut kind,
            &mut sender,
            out.as_mut_ptr(),
            &mut len,
        )
    };
    if rc != VMLS_OK {
        return Err((rc, len));
    }
    out.truncate(len);
    Ok((kind, sender, out))
}

fn process(g: *mut VmlsGroup, msg: &[u8]) -> Result<(u32, u32, Vec<u8>), c_int> {
    process_with(g, msg, BIG).map_err(|(rc, _)| rc)
}

fn save(g: *const VmlsGroup) -> Vec<u8> {
    let mut len = 0usize;
    assert_eq!(
        unsafe { vmls_group_save(g, null_mut(), &mut len) },
        VMLS_ERR_BUFFER_TOO_SMALL
    );
    let mut blob = vec![0u8; len];
    ok(unsafe { vmls_group_save(g, blob.as_mut_ptr(), &mut len) });
    assert_eq!(len, blob.len());
    blob
}

fn merge(g: *mut VmlsGroup) {
    ok(unsafe { vmls_group_merge_pending_commit(g) });
}

fn free(g: *mut VmlsGroup) {
    unsafe { vmls_group_free(g) }
}

/// Alice's group with Bob joined (epoch 1).
fn pair(seed: u64) -> (*mut VmlsGroup, *mut VmlsGroup, TestRng, TestRng) {
    let (mut ra, mut rb) = (TestRng::new(seed), TestRng::new(seed + 1000));
    let gid = format!("ffi test group {seed}");
    let alice = create(&mut ra, gid.as_bytes(), b"alice");
    let (kp, kp_bytes) = key_package(&mut rb, b"bob");
    let (_commit, welcome) = add(alice, &mut ra, &kp_bytes);
    merge(alice);
    let bob = join(kp, &welcome).unwrap();
    unsafe { vmls_key_package_free(kp) };
    (alice, bob, ra, rb)
}

#[test]
fn error_names_are_the_header_names() {
    assert_eq!(name(VMLS_OK), "VMLS_OK");
    assert_eq!(name(20), "VMLS_ERR_DECRYPTION_FAILED");
    assert_eq!(name(3), "VMLS_ERR_BUFFER_TOO_SMALL");
    assert_eq!(name(-1), "VMLS_ERR_UNKNOWN");
    assert_eq!(name(6), "VMLS_ERR_UNKNOWN");
    assert_eq!(name(1000), "VMLS_ERR_UNKNOWN");
}

#[test]
fn null_pointers_are_refused_without_effect() {
    let (alice, bob, mut ra, _rb) = pair(1);
    let before = save(alice);
    ra.calls = 0;
    let r = ra.ffi();
    let mut len = BIG;
    let mut buf = vec![0u8; BIG];
    let (mut kind, mut sender) = (0u32, 0u32);
    let mut g = null_mut();
    let data = b"x";
    unsafe {
        // NULL handles.
        assert_eq!(
            vmls_group_merge_pending_commit(null_mut()),
            VMLS_ERR_NULL_POINTER
        );
        assert_eq!(
            vmls_group_save(null(), buf.as_mut_ptr(), &mut len),
            VMLS_ERR_NULL_POINTER
        );
        assert_eq!(
            vmls_group_join(null(), data.as_ptr(), 1, null(), 0, &mut g),
            VMLS_ERR_NULL_POINTER
        );
        // NULL RNG, and an RNG without a callback.
        let no_fill = VmlsRng {
            fill: None,
            ctx: null_mut(),
        };
        for rng in [null(), &no_fill as *const VmlsRng] {
            let mut len = BIG;
            assert_eq!(
                vmls_group_encrypt(
                    alice,
                    rng,
                    null(),
                    0,
                    data.as_ptr(),
                    1,
                    buf.as_mut_ptr(),
                    &mut len
                ),
                VMLS_ERR_NULL_POINTER
            );
            assert_eq!(
                vmls_group_create(rng, data.as_ptr(), 1, data.as_ptr(), 1, &mut g),
                VMLS_ERR_NULL_POINTER
            );
        }
        // NULL length pointer; NULL buffer with a non-zero capacity; NULL input with a length.
        assert_eq!(
            vmls_group_encrypt(
                alice,
                &r,
                null(),
                0,
                data.as_ptr(),
                1,
                buf.as_mut_ptr(),
                null_mut()
            ),
            VMLS_ERR_NULL_POINTER
        );
        let mut len = 100;
        assert_eq!(
            vmls_group_encrypt(alice, &r, null(), 0, data.as_ptr(), 1, null_mut(), &mut len),
            VMLS_ERR_NULL_POINTER
        );
        let mut len = BIG;
        assert_eq!(
            vmls_group_encrypt(
                alice,
                &r,
                null(),
                5,
                data.as_ptr(),
                1,
                buf.as_mut_ptr(),
                &mut len
            ),
            VMLS_ERR_NULL_POINTER
        );
        // NULL out-pointers for handles and values.
        assert_eq!(
            vmls_group_create(&r, data.as_ptr(), 1, data.as_ptr(), 1, null_mut()),
            VMLS_ERR_NULL_POINTER
        );
        assert_eq!(
            vmls_key_package_create(&r, data.as_ptr(), 1, null_mut(), buf.as_mut_ptr(), &mut len),
            VMLS_ERR_NULL_POINTER
        );
        assert_eq!(
            vmls_group_process(
                bob,
                data.as_ptr(),
                1,
                null_mut(),
                &mut sender,
                buf.as_mut_ptr(),
                &mut len
            ),
            VMLS_ERR_NULL_POINTER
        );
        assert_eq!(
            vmls_group_process(
                bob,
                data.as_ptr(),
                1,
                &mut kind,
                null_mut(),
                buf.as_mut_ptr(),
                &mut len
            ),
            VMLS_ERR_NULL_POINTER
        );
        assert_eq!(vmls_group_epoch(alice, null_mut()), VMLS_ERR_NULL_POINTER);
        assert_eq!(
            vmls_group_restore(data.as_ptr(), 1, null_mut()),
            VMLS_ERR_NULL_POINTER
        );
        // Nothing was created, nothing changed, and no randomness was drawn for refused calls.
        assert!(g.is_null());
        // Free functions accept NULL.
        vmls_group_free(null_mut());
        vmls_key_package_free(null_mut());
    }
    assert_eq!(ra.calls, 0);
    assert_eq!(save(alice), before);
    // Both members still work.
    let msg = encrypt(alice, &mut ra, b"still fine");
    assert_eq!(process(bob, &msg).unwrap().2, b"still fine");
    free(alice);
    free(bob);
}

#[test]
fn a_buffer_too_small_reports_the_size_and_changes_nothing() {
    let (mut ra, mut rb) = (TestRng::new(7), TestRng::new(8));
    let alice = create(&mut ra, b"sizes", b"alice");

    // KeyPackage: no handle is created.
    let id = b"bob";
    let (mut kp, mut len, mut small) = (null_mut(), 10usize, [0u8; 10]);
    let r = rb.ffi();
    let rc = unsafe {
        vmls_key_package_create(
            &r,
            id.as_ptr(),
            id.len(),
            &mut kp,
            small.as_mut_ptr(),
            &mut len,
        )
    };
    assert_eq!(rc, VMLS_ERR_BUFFER_TOO_SMALL);
    assert!(kp.is_null());
    assert!(len > 10);
    let (kp, kp_bytes) = key_package(&mut rb, b"bob");
    assert_eq!(kp_bytes.len(), len, "the size reported is the size written");
    let mut again = vec![0u8; kp_bytes.len()];
    let mut again_len = again.len();
    ok(unsafe { vmls_key_package_bytes(kp, again.as_mut_ptr(), &mut again_len) });
    assert_eq!(again, kp_bytes);

    // Add: both sizes are reported; the group is unchanged (no pending commit either).
    let before = save(alice);
    let (rc, need_commit, need_welcome) =
        add_with(alice, &mut ra, &kp_bytes, (BIG, 5)).unwrap_err();
    assert_eq!(rc, VMLS_ERR_BUFFER_TOO_SMALL);
    assert_eq!(save(alice), before);
    assert_eq!(
        unsafe { vmls_group_merge_pending_commit(alice) },
        VMLS_ERR_NO_PENDING_COMMIT
    );
    // Exactly the reported sizes are enough (this commit has fresh randomness, so its size is
    // the same only because sizes do not depend on the random values).
    let (commit, welcome) =
        add_with(alice, &mut ra, &kp_bytes, (need_commit, need_welcome)).unwrap();
    assert_eq!((commit.len(), welcome.len()), (need_commit, need_welcome));
    merge(alice);
    let bob = join(kp, &welcome).unwrap();
    unsafe { vmls_key_package_free(kp) };

    // Encrypt: the size is known before any key is used.
    let before = save(alice);
    let (rc, needed) = encrypt_with(alice, &mut ra, b"twelve bytes", 3).unwrap_err();
    assert_eq!(rc, VMLS_ERR_BUFFER_TOO_SMALL);
    assert_eq!(save(alice), before);
    let msg = encrypt_with(alice, &mut ra, b"twelve bytes", needed).unwrap();
    assert_eq!(msg.len(), needed);

    // Process: the message is checked and staged, then refused for the small buffer, then
    // accepted with the exact size (its generation was not consumed).
    let before = save(bob);
    let (rc, needed) = process_with(bob, &msg, 4).unwrap_err();
    assert_eq!(rc, VMLS_ERR_BUFFER_TOO_SMALL);
    assert_eq!(needed, b"twelve bytes".len());
    assert_eq!(save(bob), before);
    let (kind, sender, data) = process_with(bob, &msg, needed).unwrap();
    assert_eq!(
        (kind, sender, data.as_slice()),
        (VMLS_MSG_APPLICATION, 0, &b"twelve bytes"[..])
    );

    // Small getters follow the same convention.
    let mut auth = [0u8; 32];
    let mut len = 31;
    assert_eq!(
        unsafe { vmls_group_epoch_authenticator(alice, auth.as_mut_ptr(), &mut len) },
        VMLS_ERR_BUFFER_TOO_SMALL
    );
    assert_eq!(len, 32);
    free(alice);
    free(bob);
}

#[test]
fn a_failing_rng_is_an_error_and_changes_nothing() {
    let (alice, bob, mut ra, mut rb) = pair(20);
    let before = save(alice);
    let (kp, kp_bytes) = key_package(&mut rb, b"carol");
    unsafe { vmls_key_package_free(kp) };

    // The callback fails at once.
    let mut dead = TestRng::failing_after(5, 0);
    assert_eq!(
        encrypt_with(alice, &mut dead, b"x", BIG).unwrap_err().0,
        VMLS_ERR_RNG
    );
    assert_eq!(
        add_with(alice, &mut dead, &kp_bytes, (BIG, BIG))
            .unwrap_err()
            .0,
        VMLS_ERR_RNG
    );
    let mut g = null_mut();
    let r = dead.ffi();
    assert_eq!(
        unsafe { vmls_group_create(&r, b"g".as_ptr(), 1, b"a".as_ptr(), 1, &mut g) },
        VMLS_ERR_RNG
    );
    assert!(g.is_null());
    assert_eq!(save(alice), before);

    // The callback fails in the middle of a commit (after the first 64 bytes): the commit is
    // abandoned, nothing is pending, the state is unchanged.
    let mut flaky = TestRng::failing_after(6, 64);
    assert_eq!(
        add_with(alice, &mut flaky, &kp_bytes, (BIG, BIG))
            .unwrap_err()
            .0,
        VMLS_ERR_RNG
    );
    assert!(
        flaky.calls >= 2,
        "the failure came after the operation started"
    );
    assert_eq!(save(alice), before);
    let mut commit = vec![0u8; BIG];
    let (mut cl, mut wl) = (BIG, 0usize);
    let mut flaky = TestRng::failing_after(6, 64);
    let r = flaky.ffi();
    assert_eq!(
        unsafe {
            vmls_group_self_update(alice, &r, commit.as_mut_ptr(), &mut cl, null_mut(), &mut wl)
        },
        VMLS_ERR_RNG
    );
    assert_eq!(save(alice), before);

    // An application message needs only what is drawn before the ratchet moves (32 bytes in
    // one call), so a callback that fails after that cannot strike mid-message.
    let mut once = TestRng::failing_after(7, 32);
    let msg = encrypt_with(alice, &mut once, b"enough", BIG).unwrap();
    assert_eq!(once.calls, 1);
    assert_eq!(process(bob, &msg).unwrap().2, b"enough");

    // And the group goes on with a working RNG.
    let (commit, _) = add(alice, &mut ra, &kp_bytes);
    assert_eq!(process(bob, &commit).unwrap().0, VMLS_MSG_COMMIT);
    merge(alice);
    free(alice);
    free(bob);
}

#[test]
fn error_codes_say_what_is_wrong() {
    let (alice, bob, mut ra, mut rb) = pair(30);
    let msg = encrypt(alice, &mut ra, b"m");
    let before = save(bob);

    // A flipped bit in the AEAD ciphertext (the last field of a PrivateMessage, RFC 9420 6.3).
    let mut tampered = msg.clone();
    *tampered.last_mut().unwrap() ^= 0x80;
    assert_eq!(process(bob, &tampered), Err(VMLS_ERR_DECRYPTION_FAILED));
    // Cut short: the encoding does not decode.
    assert_eq!(process(bob, &msg[..msg.len() - 5]), Err(VMLS_ERR_MALFORMED));
    assert_eq!(process(bob, b""), Err(VMLS_ERR_MALFORMED));
    // Another group's message (its group_id is not this group's).
    let (other_a, other_b, mut oa, _ob) = pair(31);
    let foreign = encrypt(other_a, &mut oa, b"elsewhere");
    assert_eq!(process(bob, &foreign), Err(VMLS_ERR_WRONG_GROUP));
    assert_eq!(save(bob), before);
    // The genuine message, then its replay (RFC 9420 9.2: a generation is used once).
    assert_eq!(process(bob, &msg).unwrap().2, b"m");
    assert_eq!(process(bob, &msg), Err(VMLS_ERR_GENERATION));

    // A commit for an epoch that has passed (RFC 9420 12.4.2: the FramedContent's epoch must be
    // the current one).
    let mut commit = vec![0u8; BIG];
    let (mut cl, mut wl) = (BIG, 0usize);
    let r = rb.ffi();
    ok(unsafe {
        vmls_group_self_update(bob, &r, commit.as_mut_ptr(), &mut cl, null_mut(), &mut wl)
    });
    commit.truncate(cl);
    merge(bob);
    assert_eq!(process(alice, &commit).unwrap().0, VMLS_MSG_COMMIT);
    assert_eq!(process(alice, &commit), Err(VMLS_ERR_WRONG_EPOCH));
    // A message larger than the group's max_message_size (1 MiB by default).
    let huge = vec![0u8; (1 << 20) + 1];
    assert_eq!(process(alice, &huge), Err(VMLS_ERR_MESSAGE_TOO_LARGE));
    // Longer than the ABI's input bound: refused before anything is read.
    let mut len = BIG;
    let mut out = vec![0u8; BIG];
    let (mut kind, mut sender) = (0, 0);
    assert_eq!(
        unsafe {
            vmls_group_process(
                alice,
                huge.as_ptr(),
                vmls_ffi::VMLS_MAX_INPUT_LEN + 1,
                &mut kind,
                &mut sender,
                out.as_mut_ptr(),
                &mut len,
            )
        },
        VMLS_ERR_INVALID_ARGUMENT
    );

    // A Welcome where a protocol message is expected, and a KeyPackage where a Welcome is.
    let (kp, kp_bytes) = key_package(&mut rb, b"carol");
    let (commit, welcome) = add(alice, &mut ra, &kp_bytes);
    assert_eq!(process(bob, &welcome), Err(VMLS_ERR_UNEXPECTED_MESSAGE));
    assert_eq!(join(kp, &kp_bytes), Err(VMLS_ERR_UNEXPECTED_MESSAGE));
    // A Welcome for Carol given to Dave's KeyPackage (RFC 9420 12.4.3.1: no EncryptedGroupSecrets
    // for his KeyPackageRef).
    let (dave, _) = key_package(&mut rb, b"dave");
    assert_eq!(join(dave, &welcome), Err(VMLS_ERR_NO_MATCHING_KEY_PACKAGE));
    unsafe { vmls_key_package_free(dave) };
    // Alice's commit is pending: another commit must wait (merge or clear it first).
    assert_eq!(
        add_with(alice, &mut ra, &kp_bytes, (BIG, BIG))
            .unwrap_err()
            .0,
        VMLS_ERR_COMMIT_PENDING
    );
    assert_eq!(process(bob, &commit).unwrap().0, VMLS_MSG_COMMIT);
    ok(unsafe { vmls_group_clear_pending_commit(alice) });
    assert_eq!(
        unsafe { vmls_group_clear_pending_commit(alice) },
        VMLS_ERR_NO_PENDING_COMMIT
    );
    unsafe { vmls_key_package_free(kp) };

    // A KeyPackage whose signature does not verify (RFC 9420 10.1) cannot be added.
    let mut bad_kp = key_package(&mut rb, b"eve");
    unsafe { vmls_key_package_free(bad_kp.0) };
    let last = bad_kp.1.len() - 1;
    bad_kp.1[last] ^= 1;
    assert_eq!(
        add_with(bob, &mut rb, &bad_kp.1, (BIG, BIG)).unwrap_err().0,
        VMLS_ERR_INVALID_KEY_PACKAGE
    );

    // State blobs: another version (the first two bytes), and a truncated blob.
    let mut blob = save(bob);
    let mut g = null_mut();
    assert_eq!(
        unsafe { vmls_group_restore(blob.as_ptr(), blob.len() - 1, &mut g) },
        VMLS_ERR_MALFORMED
    );
    blob[0] = 0x7F;
    assert_eq!(
        unsafe { vmls_group_restore(blob.as_ptr(), blob.len(), &mut g) },
        VMLS_ERR_UNSUPPORTED_STATE_VERSION
    );
    assert!(g.is_null());
    for g in [alice, bob, other_a, other_b] {
        free(g);
    }
}

#[test]
fn overlapping_buffers_are_refused() {
    let (alice, bob, mut ra, _rb) = pair(40);
    let before = save(alice);
    let mut buf = vec![7u8; 4096];
    let mut len = 4000usize;
    let r = ra.ffi();
    // Encrypting in place: data inside the output buffer.
    let data = unsafe { buf.as_ptr().add(100) };
    assert_eq!(
        unsafe { vmls_group_encrypt(alice, &r, null(), 0, data, 16, buf.as_mut_ptr(), &mut len) },
        VMLS_ERR_INVALID_ARGUMENT
    );
    assert_eq!(save(alice), before);
    // Disjoint parts of the same allocation are fine.
    let (input, output) = buf.split_at_mut(16);
    let mut len = output.len();
    ok(unsafe {
        vmls_group_encrypt(
            alice,
            &r,
            null(),
            0,
            input.as_ptr(),
            16,
            output.as_mut_ptr(),
            &mut len,
        )
    });
    let msg = output[..len].to_vec();
    assert_eq!(process(bob, &msg).unwrap().2, vec![7u8; 16]);
    free(alice);
    free(bob);
}

#[test]
fn key_packages_carry_the_identity_and_an_open_lifetime() {
    // docs/spec-decisions.md "C ABI": every leaf the ABI creates has not_before = 0 and
    // not_after = 2^64 - 1, and a basic credential with the identity bytes.
    let (kp, bytes) = key_package(&mut TestRng::new(50), b"sensor-17");
    unsafe { vmls_key_package_free(kp) };
    let MLSMessageBody::KeyPackage(kp) = MLSMessage::decode_exact(&bytes).unwrap().body else {
        panic!("not a KeyPackage");
    };
    let leaf = &kp.tbs.leaf_node.content;
    assert_eq!(
        leaf.credential,
        Credential::Basic(b"sensor-17".to_vec().into())
    );
    assert_eq!(
        leaf.leaf_node_source,
        LeafNodeSource::KeyPackage(Lifetime {
            not_before: 0,
            not_after: u64::MAX
        })
    );
    assert_eq!(kp.tbs.cipher_suite, 3);
    // Identities are bounded.
    let long = vec![b'x'; vmls_ffi::VMLS_MAX_ID_LEN + 1];
    let (mut h, mut out, mut len) = (null_mut(), vec![0u8; BIG], BIG);
    let mut rng = TestRng::new(51);
    let r = rng.ffi();
    assert_eq!(
        unsafe {
            vmls_key_package_create(
                &r,
                long.as_ptr(),
                long.len(),
                &mut h,
                out.as_mut_ptr(),
                &mut len,
            )
        },
        VMLS_ERR_INVALID_ARGUMENT
    );
}

#[test]
fn handles_are_independent_and_results_depend_only_on_the_rng() {
    // No global state: the same operations with the same RNG seeds give the same bytes
    // whether or not another group runs in between.
    let run = |interleave: bool| {
        let (alice, bob, mut ra, _rb) = pair(60);
        if interleave {
            let (x, y, mut rx, _ry) = pair(61);
            let m = encrypt(x, &mut rx, b"noise");
            process(y, &m).unwrap();
            free(x);
            free(y);
        }
        let msg = encrypt(alice, &mut ra, b"same");
        let blob = save(bob);
        free(alice);
        free(bob);
        (msg, blob)
    };
    assert_eq!(run(false), run(true));
}

#[test]
fn a_joiner_without_the_tree_in_the_welcome_passes_it_out_of_band() {
    let (alice, bob, mut ra, mut rb) = pair(70);
    let (kp, kp_bytes) = key_package(&mut rb, b"carol");
    let (commit, welcome) = add(alice, &mut ra, &kp_bytes);
    merge(alice);
    assert_eq!(process(bob, &commit).unwrap().0, VMLS_MSG_COMMIT);
    // The Welcome carries the tree; the same tree from vmls_group_ratchet_tree also joins.
    let mut tree = vec![0u8; BIG];
    let mut len = BIG;
    ok(unsafe { vmls_group_ratchet_tree(alice, tree.as_mut_ptr(), &mut len) });
    tree.truncate(len);
    let mut carol = null_mut();
    ok(unsafe {
        vmls_group_join(
            kp,
            welcome.as_ptr(),
            welcome.len(),
            tree.as_ptr(),
            tree.len(),
            &mut carol,
        )
    });
    let mut count = 0u32;
    ok(unsafe { vmls_group_member_count(carol, &mut count) });
    assert_eq!(count, 3);
    let msg = encrypt(carol, &mut rb, b"hi all");
    assert_eq!(
        process(alice, &msg).unwrap(),
        (VMLS_MSG_APPLICATION, 2, b"hi all".to_vec())
    );
    unsafe { vmls_key_package_free(kp) };
    for g in [alice, bob, carol] {
        free(g);
    }
}
