//! `vmls_key_package`: a client's KeyPackage (RFC 9420 section 10) with its private keys.
use alloc::vec::Vec;
use core::ffi::c_int;

use vmls::codec::{Decode, Encode};
use vmls::group::{MLSMessage, MLSMessageBody};
use vmls::{
    KeyPackage, KeyPackageParams, KeyPackagePrivate, Lifetime, Mls128ChaCha, SignatureKeyPair,
    create_key_package,
};

use crate::error::{
    VMLS_ERR_INTERNAL, VMLS_ERR_NULL_POINTER, VMLS_ERR_UNEXPECTED_MESSAGE, code_of,
};
use crate::io::{Out, VMLS_MAX_ID_LEN, disjoint, ensure_fit, input};
use crate::rng::{CallbackRng, VmlsRng};
use crate::{give, guard};

/// The lifetime of every leaf this ABI creates: `not_before = 0`, `not_after = 2^64 - 1`
/// (RFC 9420 section 7.2 leaves the range to the application; a device without a clock
/// cannot pick one, docs/spec-decisions.md "C ABI").
pub const FFI_LIFETIME: Lifetime = Lifetime {
    not_before: 0,
    not_after: u64::MAX,
};

/// `vmls_key_package` (opaque in C): the public KeyPackage, its encoding as an
/// `MLSMessage(KeyPackage)`, and the private keys behind it (init key, leaf key, signature
/// key; zeroized when the handle is freed). Free with `vmls_key_package_free` once the client
/// joined (a KeyPackage is used once, RFC 9420 section 16.8).
pub struct VmlsKeyPackage {
    pub(crate) key_package: KeyPackage,
    pub(crate) private: KeyPackagePrivate,
    encoded: Vec<u8>,
}

/// `MLSMessage(KeyPackage)` bytes to a KeyPackage (structure only; the signature and the rules
/// of RFC 9420 section 10.1 are checked by the commit that adds it).
pub(crate) fn decode_key_package(bytes: &[u8]) -> Result<KeyPackage, c_int> {
    match MLSMessage::decode_exact(bytes)
        .map_err(|e| code_of(e.into()))?
        .body
    {
        MLSMessageBody::KeyPackage(kp) => Ok(kp),
        _ => Err(VMLS_ERR_UNEXPECTED_MESSAGE),
    }
}

/// Creates a KeyPackage for a client with a basic credential `identity` and a fresh Ed25519
/// signature key, all randomness from `rng`. Writes the `MLSMessage(KeyPackage)` to
/// `out`/`out_len` (for the Delivery Service) and the handle to `*kp_out`.
///
/// # Safety
/// `rng` points to a valid `vmls_rng`; `identity` to `identity_len` readable bytes (or NULL if
/// 0); `kp_out` to a writable pointer; `out_len` to a readable and writable `size_t`, and
/// `out` to `*out_len` writable bytes (or NULL if 0), not overlapping `identity`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_key_package_create(
    rng: *const VmlsRng,
    identity: *const u8,
    identity_len: usize,
    kp_out: *mut *mut VmlsKeyPackage,
    out: *mut u8,
    out_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `identity_len` readable bytes at `identity`.
        let identity = unsafe { input(identity, identity_len, VMLS_MAX_ID_LEN) }?;
        // SAFETY: the caller guarantees `out`/`out_len` as documented.
        let mut out = unsafe { Out::new(out, out_len) }?;
        if kp_out.is_null() {
            return Err(VMLS_ERR_NULL_POINTER);
        }
        disjoint(&[&out], &[identity])?;
        // SAFETY: the caller guarantees `rng` points to a valid `vmls_rng`.
        let mut rng = unsafe { CallbackRng::new(rng) }?;
        let signer = SignatureKeyPair::generate(&mut rng);
        let params = KeyPackageParams::basic(identity, FFI_LIFETIME);
        let (key_package, private) =
            create_key_package::<Mls128ChaCha, _>(&params, &signer, &mut rng).map_err(code_of)?;
        rng.finish()?;
        let encoded = MLSMessage::new(MLSMessageBody::KeyPackage(key_package.clone()))
            .to_bytes()
            .map_err(|_| VMLS_ERR_INTERNAL)?;
        ensure_fit(&mut [(&mut out, encoded.len())])?;
        out.write(&encoded)?;
        let handle = VmlsKeyPackage {
            key_package,
            private,
            encoded,
        };
        // SAFETY: `kp_out` was checked non-NULL; the caller guarantees it is writable.
        unsafe { give(kp_out, handle) };
        Ok(())
    })
}

/// Writes the `MLSMessage(KeyPackage)` of `kp` to `out`/`out_len` again.
///
/// # Safety
/// `kp` is NULL or a live handle from `vmls_key_package_create`; `out`/`out_len` as for
/// `vmls_key_package_create`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_key_package_bytes(
    kp: *const VmlsKeyPackage,
    out: *mut u8,
    out_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: the caller guarantees `kp` is NULL or a live handle; `as_ref` checks NULL.
        let kp = unsafe { kp.as_ref() }.ok_or(VMLS_ERR_NULL_POINTER)?;
        // SAFETY: the caller guarantees `out`/`out_len` as documented.
        let mut out = unsafe { Out::new(out, out_len) }?;
        ensure_fit(&mut [(&mut out, kp.encoded.len())])?;
        out.write(&kp.encoded)
    })
}

/// Frees a KeyPackage handle and zeroizes its private keys. NULL is a no-op.
///
/// # Safety
/// `kp` is NULL or a live handle from `vmls_key_package_create`, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmls_key_package_free(kp: *mut VmlsKeyPackage) {
    if !kp.is_null() {
        // SAFETY: a live handle is a `Box` turned into a raw pointer by `give`; the caller
        // gives up its pointer.
        drop(unsafe { alloc::boxed::Box::from_raw(kp) });
    }
}
