//! Pre-shared keys (RFC 9420 section 8.4; the `application` type of draft-ietf-mls-extensions,
//! "Pre-Shared Keys (PSKs)").
use vmls_codec::{Decode, Encode, Error as CodecError, Reader, VLBytes, Writer};
use vmls_crypto::{CryptoRng, NH, Secret, expand_with_label, extract};

use crate::KeyScheduleError;

/// `PSKType` value `external`.
pub const PSK_TYPE_EXTERNAL: u8 = 1;
/// `PSKType` value `resumption`.
pub const PSK_TYPE_RESUMPTION: u8 = 2;
/// `PSKType` value `application` (draft-ietf-mls-extensions).
pub const PSK_TYPE_APPLICATION: u8 = 3;

/// `ResumptionPSKUsage` (RFC 9420 section 8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ResumptionPskUsage {
    /// `application(1)`: an application's own use of a resumption PSK.
    Application = 1,
    /// `reinit(2)`: reinitializing a group (section 11.2).
    Reinit = 2,
    /// `branch(3)`: branching a subgroup (section 11.3).
    Branch = 3,
}

impl Encode for ResumptionPskUsage {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        w.put(&[*self as u8])
    }
    fn encoded_len(&self) -> usize {
        1
    }
}

impl Decode for ResumptionPskUsage {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        match u8::decode(r)? {
            1 => Ok(Self::Application),
            2 => Ok(Self::Reinit),
            3 => Ok(Self::Branch),
            v => Err(CodecError::InvalidEnum(u64::from(v))),
        }
    }
}

/// The `psktype`-dependent part of a `PreSharedKeyID`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Psk {
    /// `external(1)`: a PSK provisioned by the application, named by `psk_id`.
    External {
        /// `opaque psk_id<V>`.
        psk_id: VLBytes,
    },
    /// `resumption(2)`: the `resumption_psk` of epoch `psk_epoch` of group `psk_group_id`.
    Resumption {
        /// `ResumptionPSKUsage usage`.
        usage: ResumptionPskUsage,
        /// `opaque psk_group_id<V>`.
        psk_group_id: VLBytes,
        /// `uint64 psk_epoch`.
        psk_epoch: u64,
    },
    /// `application(3)` (draft-ietf-mls-extensions): a component's PSK.
    Application {
        /// `ComponentID component_id` (uint16).
        component_id: u16,
        /// `opaque psk_id<V>`.
        psk_id: VLBytes,
    },
}

/// `PreSharedKeyID` (RFC 9420 section 8.4):
///
/// ```text
/// struct {
///   PSKType psktype;
///   select (PreSharedKeyID.psktype) {
///     case external:    opaque psk_id<V>;
///     case resumption:  ResumptionPSKUsage usage; opaque psk_group_id<V>; uint64 psk_epoch;
///     case application: ComponentID component_id; opaque psk_id<V>;   /* mls-extensions */
///   };
///   opaque psk_nonce<V>;
/// } PreSharedKeyID;
/// ```
///
/// The nonce MUST be a fresh `KDF.Nh`-byte random value each time a PSK is injected
/// ([`PreSharedKeyId::new`]); whether a received nonce has that length is checked by the group
/// layer (RFC 9420 section 12.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PreSharedKeyId {
    /// The type and its fields.
    pub psk: Psk,
    /// `opaque psk_nonce<V>`.
    pub psk_nonce: VLBytes,
}

impl PreSharedKeyId {
    /// An id for `psk` with a fresh `Nh`-byte nonce from `rng`.
    pub fn new<R: CryptoRng + ?Sized>(psk: Psk, rng: &mut R) -> Self {
        let mut nonce = alloc::vec![0u8; NH];
        rng.fill_bytes(&mut nonce);
        Self {
            psk,
            psk_nonce: VLBytes::new(nonce),
        }
    }

    /// The `PSKType` value of this id.
    pub fn psk_type(&self) -> u8 {
        match self.psk {
            Psk::External { .. } => PSK_TYPE_EXTERNAL,
            Psk::Resumption { .. } => PSK_TYPE_RESUMPTION,
            Psk::Application { .. } => PSK_TYPE_APPLICATION,
        }
    }
}

impl Encode for PreSharedKeyId {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.psk_type().encode(w)?;
        match &self.psk {
            Psk::External { psk_id } => psk_id.encode(w)?,
            Psk::Resumption {
                usage,
                psk_group_id,
                psk_epoch,
            } => {
                usage.encode(w)?;
                psk_group_id.encode(w)?;
                psk_epoch.encode(w)?;
            }
            Psk::Application {
                component_id,
                psk_id,
            } => {
                component_id.encode(w)?;
                psk_id.encode(w)?;
            }
        }
        self.psk_nonce.encode(w)
    }
    fn encoded_len(&self) -> usize {
        let body = match &self.psk {
            Psk::External { psk_id } => psk_id.encoded_len(),
            Psk::Resumption { psk_group_id, .. } => 1 + psk_group_id.encoded_len() + 8,
            Psk::Application { psk_id, .. } => 2 + psk_id.encoded_len(),
        };
        1 + body + self.psk_nonce.encoded_len()
    }
}

impl Decode for PreSharedKeyId {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let psk = match u8::decode(r)? {
            PSK_TYPE_EXTERNAL => Psk::External {
                psk_id: VLBytes::decode(r)?,
            },
            PSK_TYPE_RESUMPTION => Psk::Resumption {
                usage: ResumptionPskUsage::decode(r)?,
                psk_group_id: VLBytes::decode(r)?,
                psk_epoch: u64::decode(r)?,
            },
            PSK_TYPE_APPLICATION => Psk::Application {
                component_id: u16::decode(r)?,
                psk_id: VLBytes::decode(r)?,
            },
            t => return Err(CodecError::InvalidEnum(u64::from(t))),
        };
        Ok(Self {
            psk,
            psk_nonce: VLBytes::decode(r)?,
        })
    }
}

/// `struct { PreSharedKeyID id; uint16 index; uint16 count; } PSKLabel;` (encode only).
#[derive(Debug, Clone, Copy)]
pub struct PskLabel<'a> {
    /// The PSK's id.
    pub id: &'a PreSharedKeyId,
    /// Its position in the list.
    pub index: u16,
    /// The length of the list.
    pub count: u16,
}

impl Encode for PskLabel<'_> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.id.encode(w)?;
        self.index.encode(w)?;
        self.count.encode(w)
    }
    fn encoded_len(&self) -> usize {
        self.id.encoded_len() + 4
    }
}

/// `psk_secret` over the PSKs in the order of the Commit or `GroupSecrets.psks` (RFC 9420
/// section 8.4):
///
/// ```text
/// psk_extracted_[i] = KDF.Extract(0, psk_[i])
/// psk_input_[i]     = ExpandWithLabel(psk_extracted_[i], "derived psk", PSKLabel, KDF.Nh)
/// psk_secret_[0]    = 0
/// psk_secret_[i]    = KDF.Extract(psk_input_[i-1], psk_secret_[i-1])
/// ```
///
/// An empty list gives the all-zero `psk_secret`.
pub fn psk_secret<'a, I>(psks: I) -> Result<Secret, KeyScheduleError>
where
    I: IntoIterator<Item = (&'a PreSharedKeyId, &'a [u8])>,
    I::IntoIter: ExactSizeIterator,
{
    let psks = psks.into_iter();
    let count = u16::try_from(psks.len()).map_err(|_| KeyScheduleError::TooManyPsks(psks.len()))?;
    let zero = [0u8; NH];
    let mut secret = Secret::zero();
    for (i, (id, psk)) in psks.enumerate() {
        let index = u16::try_from(i).map_err(|_| KeyScheduleError::TooManyPsks(i))?;
        let label = PskLabel { id, index, count }.to_bytes()?;
        let extracted = extract(&zero, psk);
        let input = expand_with_label(extracted.as_bytes(), b"derived psk", &label)?;
        secret = extract(input.as_bytes(), secret.as_bytes());
    }
    Ok(secret)
}
