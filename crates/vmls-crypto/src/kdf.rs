//! HKDF-SHA256 and the labeled derivations of RFC 9420 sections 5.1 and 8.
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use vmls_codec::{SliceWriter, Writer, encode_opaque, opaque_len};

use crate::{Error, HashValue, LABEL_PREFIX, NH, Secret};

/// Longest label plus context this crate encodes on the stack for `KDFLabel`.
const MAX_KDF_LABEL: usize = 512;

/// `KDF.Extract(salt, ikm)` (HKDF-Extract with SHA-256).
pub fn extract(salt: &[u8], ikm: &[u8]) -> Secret {
    let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), ikm);
    let mut out = [0u8; NH];
    out.copy_from_slice(&prk);
    Secret::from_bytes(out)
}

/// `ExpandWithLabel(secret, label, context, out.len())` written into `out` (RFC 9420 5.1):
///
/// ```text
/// struct { uint16 length; opaque label<V> = "MLS 1.0 " + Label; opaque context<V>; } KDFLabel;
/// ```
pub fn expand_with_label_into(
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<(), Error> {
    let length = u16::try_from(out.len()).map_err(|_| Error::InvalidLength)?;
    let full_label_len = LABEL_PREFIX.len() + label.len();
    let info_len = 2 + opaque_len(full_label_len) + opaque_len(context.len());
    let hk = Hkdf::<Sha256>::from_prk(secret).map_err(|_| Error::InvalidLength)?;
    if info_len <= MAX_KDF_LABEL {
        let mut buf = [0u8; MAX_KDF_LABEL];
        let mut w = SliceWriter::new(&mut buf);
        write_kdf_label(&mut w, length, label, context)?;
        let info = w.into_written();
        hk.expand(info, out).map_err(|_| Error::InvalidLength)
    } else {
        let mut info = alloc::vec::Vec::with_capacity(info_len);
        write_kdf_label(&mut info, length, label, context)?;
        hk.expand(&info, out).map_err(|_| Error::InvalidLength)
    }
}

fn write_kdf_label<W: Writer + ?Sized>(
    w: &mut W,
    length: u16,
    label: &[u8],
    context: &[u8],
) -> Result<(), Error> {
    w.put(&length.to_be_bytes())?;
    vmls_codec::encode_varint(w, LABEL_PREFIX.len() + label.len())?;
    w.put(LABEL_PREFIX)?;
    w.put(label)?;
    encode_opaque(w, context)?;
    Ok(())
}

/// `ExpandWithLabel(secret, label, context, Nh)` as a [`Secret`].
pub fn expand_with_label(secret: &[u8], label: &[u8], context: &[u8]) -> Result<Secret, Error> {
    let mut out = [0u8; NH];
    expand_with_label_into(secret, label, context, &mut out)?;
    Ok(Secret::from_bytes(out))
}

/// `DeriveSecret(secret, label) = ExpandWithLabel(secret, label, "", Nh)`.
pub fn derive_secret(secret: &[u8], label: &[u8]) -> Result<Secret, Error> {
    expand_with_label(secret, label, &[])
}

/// `DeriveTreeSecret(secret, label, generation, length) =
///  ExpandWithLabel(secret, label, generation as uint32, length)` (RFC 9420 section 9).
pub fn derive_tree_secret(
    secret: &[u8],
    label: &[u8],
    generation: u32,
    out: &mut [u8],
) -> Result<(), Error> {
    expand_with_label_into(secret, label, &generation.to_be_bytes(), out)
}

/// `MAC(key, data)`: HMAC-SHA256.
pub fn mac(key: &[u8], data: &[u8]) -> HashValue {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut m = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0u8; NH],
    };
    m.update(data);
    m.finalize().into_bytes().into()
}

/// Checks `tag == MAC(key, data)` in constant time.
pub fn verify_mac(key: &[u8], data: &[u8], tag: &[u8]) -> Result<(), Error> {
    let expected = mac(key, data);
    if expected.as_slice().ct_eq(tag).into() {
        Ok(())
    } else {
        Err(Error::InvalidMac)
    }
}
