//! `vmls_group`: one member's state of one MLS group (RFC 9420), over [`vmls::Group`].
use alloc::vec;
use alloc::vec::Vec;
use core::ffi::c_int;

use vmls::group::Sender;
use vmls::{
    Add, CommitOptions, Group, GroupConfig, KeyPackageParams, ProcessedMessage, Proposal, PskStore,
    SignatureKeyPair,
};
use zeroize::Zeroizing;

use crate::error::{VMLS_ERR_NO_PENDING_COMMIT, VMLS_ERR_NULL_POINTER, code_of};
use crate::io::{Out, VMLS_MAX_ID_LEN, VMLS_MAX_INPUT_LEN, disjoint, ensure_fit, input};
use crate::key_package::{FFI_LIFETIME, VmlsKeyPackage, decode_key_package};
use crate::rng::{CallbackRng, VmlsRng};
use crate::{
    VMLS_MSG_APPLICATION, VMLS_MSG_CBAM, VMLS_MSG_COMMIT, VMLS_MSG_PROPOSAL, VMLS_SENDER_NONE,
    give, guard,
};

/// `vmls_group` (opaque in C): a [`Group`] with the default [`GroupConfig`] (docs/embedding.md,
/// "Limits"). Free with `vmls_group_free`.
pub struct VmlsGroup {
    pub(crate) group: Group,
}

/// The handle behind a `vmls_group *`.
///
/// # Safety
/// `g` is NULL or a live handle that nobody else uses during the call.
unsafe fn group_mut<'a>(g: *mut VmlsGroup) -> Result<&'a mut Group, c_int> {
    // SAFETY: the caller guarantees `g` is NULL or live and unaliased; `as_mut` checks NULL.
    unsafe { g.as_mut() }
        .map(|h| &mut h.group)
        .ok_or(VMLS_ERR_NULL_POINTER)
}

/// The handle behind a `const vmls_group *`.
///
/// # Safety
/// `g` is NULL or a live handle that nobody changes during the call.
unsafe fn group_ref<'a>(g: *const VmlsGroup) -> Result<&'a Group, c_int> {
    // SAFETY: the caller guarantees `g` is NULL or live; `as_ref` checks NULL.
    unsafe { g.as_ref() }
        .map(|h| &h.group)
        .ok_or(VMLS_ERR_NULL_POINTER)
}

/// Checks that an out-pointer for a handle or a value is not NULL.
fn nonnull<T>(p: *mut T) -> Result<(), c_int> {
    if p.is_null() {
        Err(VMLS_ERR_NULL_POINTER)
    } else {
        Ok(())
    }
}

/// Creates a one-member group (RFC 9420 section 11) with ID `group_id`, for a creator with
/// the basic credential `identity` and a fresh signature key. Writes the handle to
/// `*group_out`.
///
/// # Safety
/// `rng` points to a valid `vmls_rng`; `group_id` and `identity` to their lengths in readable
/// bytes (NULL only with length 0); `group_out` to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_create(
    rng: *const VmlsRng,
    group_id: *const u8,
    group_id_len: usize,
    identity: *const u8,
    identity_len: usize,
    group_out: *mut *mut VmlsGroup,
) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `group_id_len` readable bytes at `group_id`.
        let group_id = unsafe { input(group_id, group_id_len, VMLS_MAX_ID_LEN) }?;
        // SAFETY: the caller guarantees `identity_len` readable bytes at `identity`.
        let identity = unsafe { input(identity, identity_len, VMLS_MAX_ID_LEN) }?;
        nonnull(group_out)?;
        // SAFETY: the caller guarantees `rng` points to a valid `vmls_rng`.
        let mut rng = unsafe { CallbackRng::new(rng) }?;
        let signer = SignatureKeyPair::generate(&mut rng);
        let group = Group::create(
            group_id,
            &KeyPackageParams::basic(identity, FFI_LIFETIME),
            &signer,
            Vec::new(),
            GroupConfig::default(),
            &mut rng,
        )
        .map_err(code_of)?;
        rng.finish()?;
        // SAFETY: `group_out` was checked non-NULL; the caller guarantees it is writable.
        unsafe { give(group_out, VmlsGroup { group }) };
        Ok(())
    })
}

/// Joins a group from an `MLSMessage(Welcome)` (RFC 9420 section 12.4.3.1) with the KeyPackage
/// it was made for. `ratchet_tree` is the group's ratchet tree when the Welcome does not carry
/// it (NULL/0 otherwise; `vmls_group_add` puts it in the Welcome). `kp` stays valid: free it
/// once the join succeeded. Writes the handle to `*group_out`.
///
/// # Safety
/// `kp` is NULL or a live KeyPackage handle; `welcome` and `ratchet_tree` point to their
/// lengths in readable bytes (NULL only with length 0); `group_out` to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_join(
    kp: *const VmlsKeyPackage,
    welcome: *const u8,
    welcome_len: usize,
    ratchet_tree: *const u8,
    ratchet_tree_len: usize,
    group_out: *mut *mut VmlsGroup,
) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `kp` is NULL or live; `as_ref` checks NULL.
        let kp = unsafe { kp.as_ref() }.ok_or(VMLS_ERR_NULL_POINTER)?;
        // SAFETY: the caller guarantees `welcome_len` readable bytes at `welcome`.
        let welcome = unsafe { input(welcome, welcome_len, VMLS_MAX_INPUT_LEN) }?;
        // SAFETY: the caller guarantees `ratchet_tree_len` readable bytes at `ratchet_tree`.
        let tree = unsafe { input(ratchet_tree, ratchet_tree_len, VMLS_MAX_INPUT_LEN) }?;
        nonnull(group_out)?;
        let group = Group::join_from_welcome_bytes(
            welcome,
            &kp.key_package,
            &kp.private,
            (!tree.is_empty()).then_some(tree),
            PskStore::new(),
            GroupConfig::default(),
        )
        .map_err(code_of)?;
        // SAFETY: `group_out` was checked non-NULL; the caller guarantees it is writable.
        unsafe { give(group_out, VmlsGroup { group }) };
        Ok(())
    })
}

/// Runs `commit` on a copy of the group and installs the copy only if the RNG held and both
/// outputs fit: a failed call leaves the group byte-identical. (The copy costs one state's
/// heap for the duration of the commit; a commit with PrivateMessage handshakes consumes a
/// handshake generation, so undoing in place is not possible.)
fn commit_transaction(
    group: &mut Group,
    options: &CommitOptions,
    rng: &mut CallbackRng,
    commit_out: &mut Out,
    welcome_out: &mut Out,
) -> Result<(), c_int> {
    let mut next = group.clone();
    let output = next.commit(options, rng).map_err(code_of)?;
    rng.finish()?;
    let welcome = output.welcome.as_deref().unwrap_or_default();
    ensure_fit(&mut [
        (commit_out, output.commit.len()),
        (welcome_out, welcome.len()),
    ])?;
    commit_out.write(&output.commit)?;
    welcome_out.write(welcome)?;
    *group = next;
    Ok(())
}

/// Commits an Add of the client whose `MLSMessage(KeyPackage)` is `key_package` (RFC 9420
/// sections 12.1.1, 12.4), with an UpdatePath and the proposals received in this epoch. Writes
/// the Commit (for the group) and the Welcome with the ratchet tree (for the new member). The
/// commit is pending: send it, and once the Delivery Service accepted it call
/// `vmls_group_merge_pending_commit` (or process it when it comes back), then send the Welcome.
///
/// # Safety
/// `group` is NULL or a live handle not used elsewhere during the call; `rng` a valid
/// `vmls_rng`; `key_package` `key_package_len` readable bytes (NULL only if 0); each
/// `*_out_len` a readable, writable `size_t` and each `*_out` that many writable bytes (NULL
/// only if 0), overlapping no input and not each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_add(
    group: *mut VmlsGroup,
    rng: *const VmlsRng,
    key_package: *const u8,
    key_package_len: usize,
    commit_out: *mut u8,
    commit_out_len: *mut usize,
    welcome_out: *mut u8,
    welcome_out_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `group` is NULL or live and unaliased.
        let group = unsafe { group_mut(group) }?;
        // SAFETY: the caller guarantees `key_package_len` readable bytes at `key_package`.
        let kp = unsafe { input(key_package, key_package_len, VMLS_MAX_INPUT_LEN) }?;
        // SAFETY: the caller guarantees the commit buffer as documented.
        let mut commit = unsafe { Out::new(commit_out, commit_out_len) }?;
        // SAFETY: the caller guarantees the Welcome buffer as documented.
        let mut welcome = unsafe { Out::new(welcome_out, welcome_out_len) }?;
        disjoint(&[&commit, &welcome], &[kp])?;
        let key_package = decode_key_package(kp)?;
        // SAFETY: the caller guarantees `rng` points to a valid `vmls_rng`.
        let mut rng = unsafe { CallbackRng::new(rng) }?;
        let options = CommitOptions {
            proposals: vec![Proposal::Add(Add { key_package })],
            ..CommitOptions::default()
        };
        commit_transaction(group, &options, &mut rng, &mut commit, &mut welcome)
    })
}

/// Commits with a fresh UpdatePath (RFC 9420 section 12.4: a self-update; post-compromise
/// security) and the proposals received in this epoch. Writes the Commit, and a Welcome if
/// those proposals added members (else `*welcome_out_len = 0`; a Welcome buffer of capacity 0
/// is fine when the caller received no Add proposal). Pending like `vmls_group_add`.
///
/// # Safety
/// As for `vmls_group_add`, without the KeyPackage.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_self_update(
    group: *mut VmlsGroup,
    rng: *const VmlsRng,
    commit_out: *mut u8,
    commit_out_len: *mut usize,
    welcome_out: *mut u8,
    welcome_out_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `group` is NULL or live and unaliased.
        let group = unsafe { group_mut(group) }?;
        // SAFETY: the caller guarantees the commit buffer as documented.
        let mut commit = unsafe { Out::new(commit_out, commit_out_len) }?;
        // SAFETY: the caller guarantees the Welcome buffer as documented.
        let mut welcome = unsafe { Out::new(welcome_out, welcome_out_len) }?;
        disjoint(&[&commit, &welcome], &[])?;
        // SAFETY: the caller guarantees `rng` points to a valid `vmls_rng`.
        let mut rng = unsafe { CallbackRng::new(rng) }?;
        let options = CommitOptions::default();
        commit_transaction(group, &options, &mut rng, &mut commit, &mut welcome)
    })
}

/// Moves to the epoch of this member's pending commit (RFC 9420 section 12.4.1), once the
/// Delivery Service accepted it.
///
/// # Safety
/// `group` is NULL or a live handle not used elsewhere during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_merge_pending_commit(group: *mut VmlsGroup) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `group` is NULL or live and unaliased.
        let group = unsafe { group_mut(group) }?;
        group.merge_pending_commit().map_err(code_of)
    })
}

/// Drops this member's pending commit (the Delivery Service rejected it). A handshake
/// generation it used stays consumed. `VMLS_ERR_NO_PENDING_COMMIT` if there is none.
///
/// # Safety
/// `group` is NULL or a live handle not used elsewhere during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_clear_pending_commit(group: *mut VmlsGroup) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `group` is NULL or live and unaliased.
        let group = unsafe { group_mut(group) }?;
        if !group.has_pending_commit() {
            return Err(VMLS_ERR_NO_PENDING_COMMIT);
        }
        group.clear_pending_commit();
        Ok(())
    })
}

/// Encrypts application data `data` (with `authenticated_data`, may be empty) as an
/// `MLSMessage(PrivateMessage)` (RFC 9420 section 6.3) into `out`. Takes the next generation
/// of this member's ratchet: save the state (`vmls_group_save`) durably before the message
/// leaves the device (docs/embedding.md). The size needed is known before any key is used, so
/// `VMLS_ERR_BUFFER_TOO_SMALL` changes nothing.
///
/// # Safety
/// `group` is NULL or a live handle not used elsewhere during the call; `rng` a valid
/// `vmls_rng`; the inputs their lengths in readable bytes (NULL only if 0); `out_len` a
/// readable, writable `size_t` and `out` that many writable bytes (NULL only if 0), overlapping
/// no input.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_encrypt(
    group: *mut VmlsGroup,
    rng: *const VmlsRng,
    authenticated_data: *const u8,
    authenticated_data_len: usize,
    data: *const u8,
    data_len: usize,
    out: *mut u8,
    out_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `group` is NULL or live and unaliased.
        let group = unsafe { group_mut(group) }?;
        // SAFETY: the caller guarantees the authenticated data's bytes.
        let aad = unsafe {
            input(
                authenticated_data,
                authenticated_data_len,
                VMLS_MAX_INPUT_LEN,
            )
        }?;
        // SAFETY: the caller guarantees `data_len` readable bytes at `data`.
        let data = unsafe { input(data, data_len, VMLS_MAX_INPUT_LEN) }?;
        // SAFETY: the caller guarantees the output buffer as documented.
        let mut out = unsafe { Out::new(out, out_len) }?;
        disjoint(&[&out], &[aad, data])?;
        let needed = group.application_message_len(aad.len(), data.len());
        ensure_fit(&mut [(&mut out, needed)])?;
        // SAFETY: the caller guarantees `rng` points to a valid `vmls_rng`.
        let mut rng = unsafe { CallbackRng::new(rng) }?;
        // The message needs 4 random bytes (its reuse_guard), served from the 32 `CallbackRng`
        // drew before the ratchet moved: a failing callback cannot strike after this point.
        let n = group
            .encrypt_application(aad, data, &mut rng, out.as_mut_slice())
            .map_err(code_of)?;
        rng.finish()?;
        out.set_len(n);
        Ok(())
    })
}

/// Processes one incoming `MLSMessage` (RFC 9420 sections 6, 12.4.2): application data (or a
/// CBAM's data) is written to `out`; a proposal is cached; a commit is merged (also this
/// member's own pending commit coming back). `*kind_out` says which (`VMLS_MSG_*`),
/// `*sender_out` the sender's leaf index (the committer's leaf in the new epoch for a commit;
/// `VMLS_SENDER_NONE` for non-members). A rejected message changes nothing, and so does
/// `VMLS_ERR_BUFFER_TOO_SMALL` (the message is checked and staged first, merged after the data
/// fit).
///
/// # Safety
/// `group` is NULL or a live handle not used elsewhere during the call; `message`
/// `message_len` readable bytes; `kind_out` and `sender_out` writable `uint32_t`s; `out_len` a
/// readable, writable `size_t` and `out` that many writable bytes (NULL only if 0),
/// overlapping no input.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_process(
    group: *mut VmlsGroup,
    message: *const u8,
    message_len: usize,
    kind_out: *mut u32,
    sender_out: *mut u32,
    out: *mut u8,
    out_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `group` is NULL or live and unaliased.
        let group = unsafe { group_mut(group) }?;
        // SAFETY: the caller guarantees `message_len` readable bytes at `message`.
        let message = unsafe { input(message, message_len, VMLS_MAX_INPUT_LEN) }?;
        nonnull(kind_out)?;
        nonnull(sender_out)?;
        // SAFETY: the caller guarantees the output buffer as documented.
        let mut out = unsafe { Out::new(out, out_len) }?;
        disjoint(&[&out], &[message])?;
        let staged = group.stage_message(message).map_err(code_of)?;
        ensure_fit(&mut [(&mut out, data_of(staged.outcome()).len())])?;
        let outcome = group.merge_staged(staged).map_err(code_of)?;
        out.write(data_of(&outcome))?;
        let (kind, sender) = match &outcome {
            ProcessedMessage::Application { sender, .. } => (VMLS_MSG_APPLICATION, *sender),
            ProcessedMessage::Cbam { sender, .. } => (VMLS_MSG_CBAM, *sender),
            ProcessedMessage::Proposal { sender, .. } => (VMLS_MSG_PROPOSAL, member(sender)),
            ProcessedMessage::Commit(summary) => (VMLS_MSG_COMMIT, summary.committer),
        };
        // SAFETY: both checked non-NULL; the caller guarantees they are writable.
        unsafe { kind_out.write_unaligned(kind) };
        // SAFETY: as above.
        unsafe { sender_out.write_unaligned(sender) };
        Ok(())
    })
}

/// The application data a processed message carries (empty for handshake messages).
fn data_of(m: &ProcessedMessage) -> &[u8] {
    match m {
        ProcessedMessage::Application { data, .. } | ProcessedMessage::Cbam { data, .. } => data,
        ProcessedMessage::Proposal { .. } | ProcessedMessage::Commit(_) => &[],
    }
}

/// A member sender's leaf index, else [`VMLS_SENDER_NONE`].
fn member(sender: &Sender) -> u32 {
    match sender {
        Sender::Member(leaf) => *leaf,
        _ => VMLS_SENDER_NONE,
    }
}

/// Writes the state blob (docs/embedding.md: versioned, every secret of the member: store it
/// as a key) to `out`.
///
/// # Safety
/// `group` is NULL or a live handle not changed during the call; `out_len` a readable,
/// writable `size_t` and `out` that many writable bytes (NULL only if 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_save(
    group: *const VmlsGroup,
    out: *mut u8,
    out_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `group` is NULL or live.
        let group = unsafe { group_ref(group) }?;
        // SAFETY: the caller guarantees the output buffer as documented.
        let mut out = unsafe { Out::new(out, out_len) }?;
        let blob = Zeroizing::new(group.to_bytes().map_err(code_of)?);
        ensure_fit(&mut [(&mut out, blob.len())])?;
        out.write(&blob)
    })
}

/// Restores a group from a state blob written by `vmls_group_save` (any blob version this
/// build reads). Writes the handle to `*group_out`.
///
/// # Safety
/// `blob` points to `blob_len` readable bytes; `group_out` to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_restore(
    blob: *const u8,
    blob_len: usize,
    group_out: *mut *mut VmlsGroup,
) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `blob_len` readable bytes at `blob`.
        let blob = unsafe { input(blob, blob_len, VMLS_MAX_INPUT_LEN) }?;
        nonnull(group_out)?;
        let group = Group::from_bytes(blob).map_err(code_of)?;
        // SAFETY: `group_out` was checked non-NULL; the caller guarantees it is writable.
        unsafe { give(group_out, VmlsGroup { group }) };
        Ok(())
    })
}

/// Frees a group handle (its secrets are zeroized). NULL is a no-op.
///
/// # Safety
/// `group` is NULL or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_free(group: *mut VmlsGroup) {
    if !group.is_null() {
        // SAFETY: a live handle is a `Box` turned into a raw pointer by `give`; the caller
        // gives up its pointer.
        drop(unsafe { alloc::boxed::Box::from_raw(group) });
    }
}

/// The group's current epoch.
///
/// # Safety
/// `group` is NULL or a live handle; `epoch_out` a writable `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_epoch(group: *const VmlsGroup, epoch_out: *mut u64) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `group` is NULL or live.
        let group = unsafe { group_ref(group) }?;
        nonnull(epoch_out)?;
        // SAFETY: checked non-NULL; the caller guarantees it is writable.
        unsafe { epoch_out.write_unaligned(group.epoch()) };
        Ok(())
    })
}

/// The number of members (non-blank leaves).
///
/// # Safety
/// `group` is NULL or a live handle; `count_out` a writable `uint32_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_member_count(
    group: *const VmlsGroup,
    count_out: *mut u32,
) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `group` is NULL or live.
        let group = unsafe { group_ref(group) }?;
        nonnull(count_out)?;
        let n = u32::try_from(group.member_count()).unwrap_or(u32::MAX);
        // SAFETY: checked non-NULL; the caller guarantees it is writable.
        unsafe { count_out.write_unaligned(n) };
        Ok(())
    })
}

/// This member's leaf index.
///
/// # Safety
/// `group` is NULL or a live handle; `leaf_out` a writable `uint32_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_own_leaf_index(
    group: *const VmlsGroup,
    leaf_out: *mut u32,
) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `group` is NULL or live.
        let group = unsafe { group_ref(group) }?;
        nonnull(leaf_out)?;
        // SAFETY: checked non-NULL; the caller guarantees it is writable.
        unsafe { leaf_out.write_unaligned(group.own_leaf_index()) };
        Ok(())
    })
}

/// The epoch authenticator (RFC 9420 section 8.7, 32 bytes): equal for every member in the
/// same epoch; compare it out of band to detect an attacker in the group.
///
/// # Safety
/// `group` is NULL or a live handle; `out_len` a readable, writable `size_t` and `out` that
/// many writable bytes (NULL only if 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_epoch_authenticator(
    group: *const VmlsGroup,
    out: *mut u8,
    out_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `group` is NULL or live.
        let group = unsafe { group_ref(group) }?;
        // SAFETY: the caller guarantees the output buffer as documented.
        let mut out = unsafe { Out::new(out, out_len) }?;
        let value = group.epoch_authenticator();
        ensure_fit(&mut [(&mut out, value.len())])?;
        out.write(value)
    })
}

/// The encoded ratchet tree of the current epoch (RFC 9420 section 12.4.3.3), for a joiner
/// whose Welcome does not carry it.
///
/// # Safety
/// `group` is NULL or a live handle; `out_len` a readable, writable `size_t` and `out` that
/// many writable bytes (NULL only if 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_group_ratchet_tree(
    group: *const VmlsGroup,
    out: *mut u8,
    out_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `group` is NULL or live.
        let group = unsafe { group_ref(group) }?;
        // SAFETY: the caller guarantees the output buffer as documented.
        let mut out = unsafe { Out::new(out, out_len) }?;
        let tree = group.ratchet_tree_bytes().map_err(code_of)?;
        ensure_fit(&mut [(&mut out, tree.len())])?;
        out.write(&tree)
    })
}
