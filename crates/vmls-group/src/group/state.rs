//! The versioned state blob (DESIGN.md: "Group state serializes to a versioned byte blob").
//!
//! ```text
//! struct {
//!     uint16 version = 4;        /* 1 is read too: see OLDEST_STATE_VERSION */
//!     uint16 cipher_suite;
//!     GroupConfig config;
//!     EpochState epoch;
//!     opaque signature_key[32];
//!     CachedProposal proposals<V>;
//!     PastEpoch past_epochs<V>;
//!     PskStore psks;
//!     optional<PendingCommit> pending_commit;
//!     GroupStatus status;          /* uint8 0 active, 1 removed, 2 reinit + ReInit */
//! } GroupState;
//!
//! struct {
//!     GroupContext context; optional<Node> ratchet_tree<V>; uint32 own_leaf;
//!     TreePrivateKeys tree_keys; EpochSecrets secrets; SecretTreeState secret_tree;
//!     opaque interim_transcript_hash[32]; opaque confirmation_tag[32];
//!     CbamEpoch cbam;                /* format 3 */
//! } EpochState;
//! struct { ProposalRef reference; Sender sender; Proposal proposal;
//!          optional<opaque own_leaf_key[32]>; } CachedProposal;
//! struct { GroupContext context; opaque sender_data_secret[32]; SecretTreeState secret_tree;
//!          SignatureKeyEntry keys<V>; optional<CbamEpoch> cbam /* format 3 */;
//!          uint32 replaced<V> /* format 4, sorted */; } PastEpoch;  /* entry: uint32 leaf; opaque key[32] */
//! struct { opaque message<V>; EpochState next; CommitSummary summary;
//!          optional<opaque new_signature_key[32]> /* format 4 */; } PendingCommit;
//! ```
//!
//! `GroupConfig` ends with `uint8 late_messages_from_updated_senders` (0 refuse, 1 accept)
//! since format 4.
//!
//! ```text
//! ```
//!
//! The blob holds every secret of the member: store it where the application keeps keys.
use alloc::boxed::Box;
use alloc::vec::Vec;
use vmls_codec::{Decode, Encode, Error as CodecError, Reader, VLBytes, Writer};
use vmls_crypto::{CipherSuite, HpkePrivateKey, Secret, SignaturePrivateKey};
use vmls_keyschedule::{EpochSecrets, GroupContext};
use vmls_secret_tree::SecretTree;
use vmls_tree::{LeafIndex, RatchetTree, TreePrivateKeys};

use super::cbam::CbamEpoch;
use super::error::GroupError;
use super::process::CommitSummary;
use super::{
    CachedProposal, EpochState, Group, GroupConfig, GroupStatus, PastEpoch, PastSignatureKeys,
    PendingCommit, PskStore, encode_context,
};
use crate::framing::Sender;
use crate::labeled::PreparedSigner;
use crate::proposals::{Proposal, ProposalRef, ReInit};

/// The version this build writes and reads.
pub const STATE_VERSION: u16 = 4;

/// The oldest format this build still reads (and migrates). Version 1 lacks
/// `GroupConfig::check_received_lifetimes` (it reads as `false`, the default); versions 1 and
/// 2 lack the CBST bounds in the config (defaults), the current epoch's forward-secure exports
/// (derived on restore from its safe exporter, which those versions never used) and the past
/// epochs' (none: their CBAMs cannot be read). Versions 1 to 3 lack
/// `GroupConfig::late_messages_from_updated_senders` (reads as `Refuse`, the default), the
/// past epochs' replaced leaves (read as none: a late message of such an epoch is accepted
/// from every sender, as those versions did, until the epoch ages out) and a pending Commit's
/// new signature key (none: those versions could not rotate it).
pub const OLDEST_STATE_VERSION: u16 = 1;

fn put_vec<W: Writer + ?Sized>(w: &mut W, items: &[Vec<u8>]) -> Result<(), CodecError> {
    let body: usize = items.iter().map(Vec::len).sum();
    vmls_codec::encode_varint(w, body)?;
    for i in items {
        w.put(i)?;
    }
    Ok(())
}

fn read_secret(r: &mut Reader<'_>) -> Result<Secret, CodecError> {
    let raw = zeroize::Zeroizing::new(r.read_array::<32>()?);
    Ok(Secret::from_bytes(*raw))
}

impl<S: CipherSuite> EpochState<S> {
    fn encode_into(&self, w: &mut dyn Writer) -> Result<(), CodecError> {
        self.context.encode(w)?;
        self.tree.encode(w)?;
        self.own_leaf.0.encode(w)?;
        self.tree_keys.encode(w)?;
        self.secrets.encode(w)?;
        self.secret_tree.encode(w)?;
        w.put(&self.interim_transcript_hash)?;
        w.put(&self.confirmation_tag)?;
        self.cbam.encode(w)
    }

    fn decode_from(
        r: &mut Reader<'_>,
        config: &GroupConfig,
        version: u16,
    ) -> Result<Self, GroupError> {
        let context = GroupContext::decode(r)?;
        let tree = RatchetTree::decode_with_limit(r, config.max_tree_leaves())?;
        let own_leaf = LeafIndex(u32::decode(r)?);
        let tree_keys = TreePrivateKeys::decode(r)?;
        let mut secrets = EpochSecrets::decode(r)?;
        let secret_tree = SecretTree::<S>::decode(r)?;
        let interim_transcript_hash = r.read_array::<32>()?;
        let confirmation_tag = r.read_array::<32>()?;
        // Format 3 stores the epoch's exports; older blobs never exported component 0x8001,
        // so it is derived now (migration).
        let cbam = if version >= 3 {
            CbamEpoch::decode(r)?
        } else {
            CbamEpoch::derive(&mut secrets, config.cbst())?
        };
        if context.cipher_suite != S::ID
            || tree_keys.leaf_index() != own_leaf
            || tree.tree_hash()?.as_slice() != context.tree_hash.as_slice()
            || secret_tree.n_leaves() != tree.n_leaves()
        {
            return Err(GroupError::InvalidState);
        }
        tree_keys
            .check_consistent(&tree)
            .map_err(|_| GroupError::InvalidState)?;
        Ok(Self {
            encoded_context: encode_context(&context)?,
            context,
            tree,
            own_leaf,
            tree_keys,
            secrets,
            secret_tree,
            interim_transcript_hash,
            confirmation_tag,
            cbam,
        })
    }
}

impl Encode for CommitSummary {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.sender.encode(w)?;
        self.committer.encode(w)?;
        self.epoch.encode(w)?;
        self.added.encode(w)?;
        self.removed.encode(w)?;
        self.updated.encode(w)?;
        self.has_path.encode(w)?;
        (self.psks as u32).encode(w)?;
        self.extensions_changed.encode(w)?;
        self.self_removed.encode(w)?;
        self.reinit.encode(w)
    }
    fn encoded_len(&self) -> usize {
        self.sender.encoded_len()
            + 4
            + 8
            + self.added.encoded_len()
            + self.removed.encoded_len()
            + self.updated.encoded_len()
            + 1
            + 4
            + 2
            + self.reinit.encoded_len()
    }
}

impl Decode for CommitSummary {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Self {
            sender: Sender::decode(r)?,
            committer: u32::decode(r)?,
            epoch: u64::decode(r)?,
            added: Vec::decode(r)?,
            removed: Vec::decode(r)?,
            updated: Vec::decode(r)?,
            has_path: bool::decode(r)?,
            psks: u32::decode(r)? as usize,
            extensions_changed: bool::decode(r)?,
            self_removed: bool::decode(r)?,
            reinit: Option::<ReInit>::decode(r)?,
        })
    }
}

impl<S: CipherSuite> Group<S> {
    /// The versioned state blob (format at the top of `crates/vmls-group/src/group/state.rs`): version
    /// [`STATE_VERSION`] first. It contains every secret of the member. See docs/embedding.md
    /// for when to persist it (after taking a send generation, before sending).
    pub fn to_bytes(&self) -> Result<Vec<u8>, GroupError> {
        // Sized first, so the blob is one allocation of its exact length (a growing Vec would
        // hold up to three times the blob while it doubles: on a device, the peak heap).
        let mut len = vmls_codec::CountingWriter::default();
        self.write_state(&mut len)?;
        let mut w = Vec::with_capacity(len.0);
        self.write_state(&mut w)?;
        Ok(w)
    }

    /// The blob's contents (one body behind `dyn Writer`, for the counting and the real pass).
    fn write_state(&self, w: &mut dyn Writer) -> Result<(), GroupError> {
        STATE_VERSION.encode(w)?;
        S::ID.encode(w)?;
        self.config.encode(w)?;
        self.epoch.encode_into(w)?;
        w.put(self.signer.to_bytes().as_ref())?;

        let mut items = Vec::with_capacity(self.proposals.len());
        for p in &self.proposals {
            let mut b = Vec::new();
            p.reference.encode(&mut b)?;
            p.sender.encode(&mut b)?;
            p.proposal.encode(&mut b)?;
            p.own_leaf_key
                .as_ref()
                .map(|k| *k.as_bytes())
                .encode(&mut b)?;
            items.push(b);
        }
        put_vec(w, &items)?;

        let mut items = Vec::with_capacity(self.past_epochs.len());
        for p in &self.past_epochs {
            let mut b = Vec::new();
            p.context.encode(&mut b)?;
            b.put(p.sender_data_secret.as_bytes())?;
            p.secret_tree.encode(&mut b)?;
            let keys: Vec<Vec<u8>> = p
                .signature_keys
                .entries()
                .iter()
                .map(|(i, k)| {
                    let mut e = i.to_be_bytes().to_vec();
                    e.extend_from_slice(k);
                    e
                })
                .collect();
            put_vec(&mut b, &keys)?;
            p.cbam.encode(&mut b)?;
            p.replaced.encode(&mut b)?;
            items.push(b);
        }
        put_vec(w, &items)?;
        self.psks.encode(w)?;
        match &self.pending_commit {
            None => w.put(&[0])?,
            Some(p) => {
                w.put(&[1])?;
                VLBytes::from(p.message.as_slice()).encode(w)?;
                p.next.encode_into(w)?;
                p.summary.encode(w)?;
                match &p.new_signer {
                    None => w.put(&[0])?,
                    Some(k) => {
                        w.put(&[1])?;
                        w.put(k.to_bytes().as_ref())?;
                    }
                }
            }
        }
        match &self.status {
            GroupStatus::Active => w.put(&[0])?,
            GroupStatus::Removed => w.put(&[1])?,
            GroupStatus::ReInitialized(r) => {
                w.put(&[2])?;
                r.encode(w)?;
            }
        }
        Ok(())
    }

    /// Restores a group from [`Group::to_bytes`]. A blob of another version is
    /// [`GroupError::UnsupportedStateVersion`], of another cipher suite
    /// [`GroupError::CipherSuiteMismatch`]; an inconsistent blob (keys that do not match the
    /// tree, a tree whose hash differs from the GroupContext) is [`GroupError::InvalidState`].
    ///
    /// Restoring a blob older than the last one written re-opens send generations that may
    /// have been used: see docs/embedding.md.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GroupError> {
        let mut r = Reader::new(bytes);
        let version = u16::decode(&mut r)?;
        if !(OLDEST_STATE_VERSION..=STATE_VERSION).contains(&version) {
            return Err(GroupError::UnsupportedStateVersion(version));
        }
        let suite = u16::decode(&mut r)?;
        if suite != S::ID {
            return Err(GroupError::CipherSuiteMismatch {
                expected: S::ID,
                got: suite,
            });
        }
        let config = GroupConfig::decode_versioned(&mut r, version)?;
        let epoch = EpochState::<S>::decode_from(&mut r, &config, version)?;
        let signer = SignaturePrivateKey::from_slice(r.take(32)?)?;
        if epoch
            .tree
            .leaf(epoch.own_leaf)
            .is_some_and(|l| *l.signature_key() != signer.public_key())
        {
            return Err(GroupError::InvalidState);
        }

        let mut proposals = Vec::new();
        let mut body = r.read_vec_body()?;
        while !body.is_empty() {
            let reference = ProposalRef::decode(&mut body)?;
            let sender = Sender::decode(&mut body)?;
            let proposal = Proposal::decode(&mut body)?;
            let own_leaf_key = match Option::<[u8; 32]>::decode(&mut body)? {
                Some(k) => Some(HpkePrivateKey::from_slice(&k)?),
                None => None,
            };
            proposals.push(CachedProposal {
                reference,
                sender,
                proposal,
                own_leaf_key,
            });
        }
        if proposals.len() > usize::from(config.max_pending_proposals) {
            return Err(GroupError::InvalidState);
        }

        let mut past_epochs = Vec::new();
        let mut body = r.read_vec_body()?;
        while !body.is_empty() {
            let context = GroupContext::decode(&mut body)?;
            let sender_data_secret = read_secret(&mut body)?;
            let secret_tree = SecretTree::<S>::decode(&mut body)?;
            let mut keys = body.read_vec_body()?;
            let mut signature_keys = Vec::new();
            while !keys.is_empty() {
                let i = u32::decode(&mut keys)?;
                let k = keys.read_array::<32>()?;
                // Written in leaf order; anything else is a corrupt blob.
                if signature_keys.last().is_some_and(|(prev, _)| *prev >= i) {
                    return Err(GroupError::InvalidState);
                }
                signature_keys.push((i, k));
            }
            let cbam = if version >= 3 {
                Option::<CbamEpoch<S>>::decode(&mut body)?
            } else {
                None
            };
            let replaced = if version >= 4 {
                let v = Vec::<u32>::decode(&mut body)?;
                // Sorted, distinct, and only members of that epoch (bounded by its tree).
                if v.windows(2).any(|w| w.first() >= w.get(1))
                    || v.iter()
                        .any(|l| signature_keys.binary_search_by_key(l, |(i, _)| *i).is_err())
                {
                    return Err(GroupError::InvalidState);
                }
                v
            } else {
                Vec::new()
            };
            past_epochs.push(PastEpoch {
                encoded_context: encode_context(&context)?,
                context,
                sender_data_secret,
                secret_tree,
                signature_keys: PastSignatureKeys::Restored(signature_keys),
                cbam,
                replaced,
            });
        }
        if past_epochs.len() > usize::from(config.max_past_epochs) {
            return Err(GroupError::InvalidState);
        }
        let psks = PskStore::decode(&mut r)?;
        let pending_commit = match u8::decode(&mut r)? {
            0 => None,
            1 => {
                let message = VLBytes::decode(&mut r)?.0;
                let next = EpochState::<S>::decode_from(&mut r, &config, version)?;
                let summary = CommitSummary::decode(&mut r)?;
                let new_signer = if version >= 4 {
                    // optional<opaque[32]>, read straight into a zeroizing buffer.
                    match u8::decode(&mut r)? {
                        0 => None,
                        1 => {
                            let k = zeroize::Zeroizing::new(r.read_array::<32>()?);
                            Some(SignaturePrivateKey::from_bytes(&k))
                        }
                        b => return Err(CodecError::InvalidOptional(b).into()),
                    }
                } else {
                    None
                };
                // The pending epoch's own leaf carries the key that will sign after the merge.
                let next_key = new_signer
                    .as_ref()
                    .map_or_else(|| signer.public_key(), |k| k.public_key());
                if next
                    .tree
                    .leaf(next.own_leaf)
                    .is_some_and(|l| *l.signature_key() != next_key)
                {
                    return Err(GroupError::InvalidState);
                }
                Some(Box::new(PendingCommit {
                    message,
                    next,
                    summary,
                    new_signer,
                }))
            }
            b => return Err(CodecError::InvalidOptional(b).into()),
        };
        let status = match u8::decode(&mut r)? {
            0 => GroupStatus::Active,
            1 => GroupStatus::Removed,
            2 => GroupStatus::ReInitialized(ReInit::decode(&mut r)?),
            b => return Err(CodecError::InvalidEnum(u64::from(b)).into()),
        };
        r.finish()?;
        Ok(Self {
            config,
            epoch,
            prepared_signer: PreparedSigner::new(&signer),
            signer,
            proposals,
            past_epochs,
            psks,
            pending_commit,
            status,
        })
    }
}
