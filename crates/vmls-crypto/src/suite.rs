//! The cipher-suite seam: suites 0x0001 and 0x0003 differ only in their AEAD.
use chacha20poly1305::aead::consts::{U12, U16};
use chacha20poly1305::{AeadCore, AeadInOut, ChaCha20Poly1305, KeyInit};

use crate::Error;

/// AEAD nonce length (`Nn`) of both supported suites.
pub const NONCE_LEN: usize = 12;
/// AEAD tag length of both supported suites.
pub const TAG_LEN: usize = 16;

/// A cipher suite selected at compile time. Everything except the AEAD is shared by the suites
/// this crate supports (SHA-256, HKDF-SHA256, DHKEM(X25519), Ed25519).
pub trait CipherSuite: Copy + Clone + core::fmt::Debug + Default + Send + Sync + 'static {
    /// The `CipherSuite` value on the wire (RFC 9420 section 17.1).
    const ID: u16;
    /// AEAD key length (`Nk`).
    const AEAD_KEY_LEN: usize;

    /// Encrypts `buf` in place and returns the tag.
    fn seal_in_place(
        key: &[u8],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error>;

    /// Decrypts `buf` in place after checking `tag` (the AEAD checks it in constant time).
    fn open_in_place(
        key: &[u8],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error>;

    /// The HPKE AEAD identifier of this suite.
    #[doc(hidden)]
    fn hpke_aead() -> hpke_rs_crypto::types::AeadAlgorithm;

    /// `AEAD.Seal` returning `ciphertext || tag`.
    fn seal(
        key: &[u8],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<alloc::vec::Vec<u8>, Error> {
        let mut out = alloc::vec::Vec::with_capacity(plaintext.len() + TAG_LEN);
        out.extend_from_slice(plaintext);
        let tag = Self::seal_in_place(key, nonce, aad, &mut out)?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// `AEAD.Open` of `ciphertext || tag`.
    fn open(
        key: &[u8],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<alloc::vec::Vec<u8>, Error> {
        let split = ciphertext
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(Error::AeadOpenFailed)?;
        let (body, tag) = ciphertext.split_at(split);
        let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| Error::AeadOpenFailed)?;
        let mut out = body.to_vec();
        Self::open_in_place(key, nonce, aad, &mut out, tag)?;
        Ok(out)
    }
}

/// In-place detached seal with any 12-byte-nonce, 16-byte-tag RustCrypto AEAD.
fn seal_with<A>(
    key: &[u8],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<[u8; TAG_LEN], Error>
where
    A: AeadInOut + KeyInit + AeadCore<NonceSize = U12, TagSize = U16>,
{
    let cipher = A::new_from_slice(key).map_err(|_| Error::InvalidLength)?;
    let tag = cipher
        .encrypt_inout_detached(&(*nonce).into(), aad, buf.into())
        .map_err(|_| Error::InvalidLength)?;
    Ok(tag.into())
}

/// In-place detached open; the AEAD compares the tag in constant time.
fn open_with<A>(
    key: &[u8],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> Result<(), Error>
where
    A: AeadInOut + KeyInit + AeadCore<NonceSize = U12, TagSize = U16>,
{
    let cipher = A::new_from_slice(key).map_err(|_| Error::InvalidLength)?;
    cipher
        .decrypt_inout_detached(&(*nonce).into(), aad, buf.into(), &(*tag).into())
        .map_err(|_| Error::AeadOpenFailed)
}

/// Cipher suite 0x0003: `MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mls128ChaCha;

impl CipherSuite for Mls128ChaCha {
    const ID: u16 = 0x0003;
    const AEAD_KEY_LEN: usize = 32;

    fn seal_in_place(
        key: &[u8],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        seal_with::<ChaCha20Poly1305>(key, nonce, aad, buf)
    }

    fn open_in_place(
        key: &[u8],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        open_with::<ChaCha20Poly1305>(key, nonce, aad, buf, tag)
    }

    fn hpke_aead() -> hpke_rs_crypto::types::AeadAlgorithm {
        hpke_rs_crypto::types::AeadAlgorithm::ChaCha20Poly1305
    }
}

/// Cipher suite 0x0001: `MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519` (feature `suite-1`).
#[cfg(feature = "suite-1")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mls128Aes;

#[cfg(feature = "suite-1")]
impl CipherSuite for Mls128Aes {
    const ID: u16 = 0x0001;
    const AEAD_KEY_LEN: usize = 16;

    fn seal_in_place(
        key: &[u8],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        seal_with::<aes_gcm::Aes128Gcm>(key, nonce, aad, buf)
    }

    fn open_in_place(
        key: &[u8],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        open_with::<aes_gcm::Aes128Gcm>(key, nonce, aad, buf, tag)
    }

    fn hpke_aead() -> hpke_rs_crypto::types::AeadAlgorithm {
        hpke_rs_crypto::types::AeadAlgorithm::Aes128Gcm
    }
}
