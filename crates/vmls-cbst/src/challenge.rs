//! Challenge generation (draft-kohbrok-mls-virtual-clients-03 section 5.5.1):
//!
//! ```text
//! struct {
//!   optional<GroupChallengeContext> subgroup_context;
//!   uint32 leaf_index;
//!   MAC confirmation_tag;            /* opaque<V> */
//! } GroupChallengeContext;
//! struct {
//!   GroupChallengeContext group_challenge_context;
//!   uint32 generation;
//!   opaque application_context<V>;
//! } ChallengeContext;
//! challenge = FS-KDF.Expand(challenge_seed, ChallengeContext, Nh)
//! FS-KDF.Expand(secret, context, length) = ExpandWithLabel(secret, "CBAM Challenge", context, length)
//! ```
//!
//! `challenge_seed` is `AEAD.Nk` fresh random octets. The recursion of
//! `GroupChallengeContext` runs from the group the message is sent in down to the real client
//! that drew the seed: one level per emulation group, each with the emulator's own leaf index
//! and that group's confirmation tag. Two devices acting as one leaf therefore never derive the
//! same challenge, even from the same seed.
use heapless::Vec as HVec;
use vmls_codec::{Encode, Error as CodecError, Writer};
use vmls_crypto::NH;

use crate::error::CbstError;
use crate::tree::CHALLENGE_LEN;

/// Most nested levels a `GroupChallengeContext` may have (this group plus seven emulation
/// groups below it). Nesting deeper than that is refused with [`CbstError::TooManyLevels`].
pub const MAX_CHALLENGE_LEVELS: usize = 8;

/// One level of a `GroupChallengeContext`: the sender's leaf and the confirmation tag of the
/// current epoch of one group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChallengeLevel {
    /// The sender's leaf index in that group.
    pub leaf_index: u32,
    /// The group's current confirmation tag.
    pub confirmation_tag: [u8; NH],
}

/// A `GroupChallengeContext`, stored flat: `levels[0]` is the group the message is sent in,
/// `levels[i + 1]` is the `subgroup_context` of `levels[i]`, the last one is the real client's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupChallengeContext {
    levels: HVec<ChallengeLevel, MAX_CHALLENGE_LEVELS>,
}

impl GroupChallengeContext {
    /// The context of a real client: one level.
    pub fn real(level: ChallengeLevel) -> Self {
        let mut levels = HVec::new();
        // Capacity is at least 1.
        let _ = levels.push(level);
        Self { levels }
    }

    /// The context of a virtual sender whose emulator's own context (in the emulation group) is
    /// `emulator`: `level` on top, `emulator` as its `subgroup_context`.
    pub fn virtual_sender(level: ChallengeLevel, emulator: &Self) -> Result<Self, CbstError> {
        let mut levels = HVec::new();
        levels.push(level).map_err(|_| CbstError::TooManyLevels)?;
        for l in &emulator.levels {
            levels.push(*l).map_err(|_| CbstError::TooManyLevels)?;
        }
        Ok(Self { levels })
    }

    /// The levels, outermost first.
    pub fn levels(&self) -> &[ChallengeLevel] {
        &self.levels
    }

    fn encode_from<W: Writer + ?Sized>(
        levels: &[ChallengeLevel],
        w: &mut W,
    ) -> Result<(), CodecError> {
        let Some((first, rest)) = levels.split_first() else {
            return Err(CodecError::InvalidEnum(0));
        };
        if rest.is_empty() {
            w.put(&[0])?;
        } else {
            w.put(&[1])?;
            Self::encode_from(rest, w)?;
        }
        first.leaf_index.encode(w)?;
        vmls_codec::encode_opaque(w, &first.confirmation_tag)
    }
}

impl Encode for GroupChallengeContext {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        Self::encode_from(&self.levels, w)
    }
    fn encoded_len(&self) -> usize {
        self.levels.len() * (1 + 4 + vmls_codec::opaque_len(NH))
    }
}

/// A `ChallengeContext`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeContext<'a> {
    /// The sender's context, recursively down to the real client.
    pub group_challenge_context: &'a GroupChallengeContext,
    /// The sender's per-epoch generation counter.
    pub generation: u32,
    /// Further context the application supplies (empty by default).
    pub application_context: &'a [u8],
}

impl Encode for ChallengeContext<'_> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.group_challenge_context.encode(w)?;
        self.generation.encode(w)?;
        vmls_codec::encode_opaque(w, self.application_context)
    }
    fn encoded_len(&self) -> usize {
        self.group_challenge_context.encoded_len()
            + 4
            + vmls_codec::opaque_len(self.application_context.len())
    }
}

/// `challenge = ExpandWithLabel(challenge_seed, "CBAM Challenge", ChallengeContext, Nh)`.
/// Encodes the context on the stack when it fits 512 bytes (no heap on the sending path).
pub fn derive_challenge(
    challenge_seed: &[u8],
    context: &ChallengeContext<'_>,
) -> Result<[u8; CHALLENGE_LEN], CbstError> {
    let mut out = [0u8; CHALLENGE_LEN];
    let mut buf = [0u8; 512];
    let len = context.encoded_len();
    if let Some(b) = buf.get_mut(..len) {
        let mut w = vmls_codec::SliceWriter::new(b);
        context.encode(&mut w)?;
        vmls_crypto::expand_with_label_into(challenge_seed, b"CBAM Challenge", b, &mut out)?;
    } else {
        let bytes = context.to_bytes()?;
        vmls_crypto::expand_with_label_into(challenge_seed, b"CBAM Challenge", &bytes, &mut out)?;
    }
    Ok(out)
}
