use core::fmt;

/// Why an encoding could not be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The input ended before the value did.
    EndOfInput {
        /// Bytes the value needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// Bytes were left over after a whole message was decoded.
    TrailingBytes(usize),
    /// A variable-length integer used more bytes than its value needs (RFC 9420 2.1.2).
    NonMinimalVarint,
    /// A variable-length integer started with the reserved `0b11` prefix.
    InvalidVarintPrefix,
    /// A length does not fit a variable-length integer (at most 2^30 - 1).
    VarintTooLarge,
    /// An `optional<T>` presence byte other than 0 or 1.
    InvalidOptional(u8),
    /// A value outside the enumeration or a field value the protocol forbids.
    InvalidEnum(u64),
    /// A length or count is larger than a configured limit.
    LimitExceeded,
    /// The output buffer is too small.
    BufferTooSmall,
    /// A fixed-size field had the wrong length.
    WrongLength {
        /// Expected length.
        expected: usize,
        /// Length found.
        got: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::EndOfInput { needed, remaining } => {
                write!(f, "input ended: needed {needed} bytes, {remaining} left")
            }
            Error::TrailingBytes(n) => write!(f, "{n} trailing bytes after the message"),
            Error::NonMinimalVarint => f.write_str("non-minimal variable-length integer"),
            Error::InvalidVarintPrefix => f.write_str("variable-length integer with 0b11 prefix"),
            Error::VarintTooLarge => f.write_str("length too large for a variable-length integer"),
            Error::InvalidOptional(b) => write!(f, "invalid optional presence byte {b}"),
            Error::InvalidEnum(v) => write!(f, "invalid enumeration value {v}"),
            Error::LimitExceeded => f.write_str("configured limit exceeded"),
            Error::BufferTooSmall => f.write_str("output buffer too small"),
            Error::WrongLength { expected, got } => {
                write!(f, "wrong length: expected {expected}, got {got}")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
