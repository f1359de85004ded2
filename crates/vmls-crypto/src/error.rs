use core::fmt;

/// Why a cryptographic operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// A signature did not verify.
    InvalidSignature,
    /// A public key is malformed (wrong length or not a valid point).
    InvalidPublicKey,
    /// A private key is malformed.
    InvalidPrivateKey,
    /// AEAD decryption failed: wrong key, nonce, AAD, or a forged ciphertext.
    AeadOpenFailed,
    /// HPKE encapsulation or decryption failed.
    HpkeFailed,
    /// A MAC tag did not match.
    InvalidMac,
    /// A requested output length is not supported by the KDF or the label encoding.
    InvalidLength,
    /// The output buffer is too small.
    BufferTooSmall,
    /// Encoding a labeled structure failed.
    Codec(vmls_codec::Error),
}

impl From<vmls_codec::Error> for Error {
    fn from(e: vmls_codec::Error) -> Self {
        Error::Codec(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidSignature => f.write_str("invalid signature"),
            Error::InvalidPublicKey => f.write_str("invalid public key"),
            Error::InvalidPrivateKey => f.write_str("invalid private key"),
            Error::AeadOpenFailed => f.write_str("AEAD decryption failed"),
            Error::HpkeFailed => f.write_str("HPKE operation failed"),
            Error::InvalidMac => f.write_str("MAC mismatch"),
            Error::InvalidLength => f.write_str("invalid KDF output length"),
            Error::BufferTooSmall => f.write_str("output buffer too small"),
            Error::Codec(e) => write!(f, "encoding: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
