//! The secret tree of one epoch (RFC 9420 section 9).
use alloc::vec::Vec;
use core::marker::PhantomData;

use vmls_codec::{Decode, Encode, Error as CodecError, Reader, Writer};
use vmls_crypto::{CipherSuite, Secret, expand_with_label};

use crate::SecretTreeError;
use crate::key::KeyNonce;
use crate::lazy::LazySecretTree;
use crate::ratchet::{Ratchet, RatchetId};

/// Which of a sender's two ratchets (RFC 9420 section 9): handshake messages (proposals and
/// commits sent as PrivateMessage) or application messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RatchetType {
    /// `handshake_ratchet_secret_[N]_[j]`.
    Handshake,
    /// `application_ratchet_secret_[N]_[j]`.
    Application,
}

/// Out-of-order tolerance (RFC 9750 section 7 lists both as parameters two deployments must
/// agree on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretTreeConfig {
    /// How many generations a ratchet may move forward for one message: a message with
    /// generation `g` is rejected with [`SecretTreeError::TooFarAhead`] when `g` is more than this
    /// many generations past the next one expected. Bounds the work one message can cause.
    pub max_forward_distance: u32,
    /// How many keys of skipped generations each ratchet (one per sender and
    /// [`RatchetType`]) keeps for late messages. When more are skipped, the oldest are deleted;
    /// their generations then fail with [`SecretTreeError::GenerationConsumed`]. Bounds memory:
    /// each retained key costs 48 bytes.
    pub max_retained_keys: u32,
}

impl SecretTreeConfig {
    /// The default: [`DEFAULT_MAX_FORWARD_DISTANCE`] and [`DEFAULT_MAX_RETAINED_KEYS`].
    pub const DEFAULT: Self = Self {
        max_forward_distance: DEFAULT_MAX_FORWARD_DISTANCE,
        max_retained_keys: DEFAULT_MAX_RETAINED_KEYS,
    };
}

impl Default for SecretTreeConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Default maximum forward jump of a ratchet for one message: 1000 generations.
pub const DEFAULT_MAX_FORWARD_DISTANCE: u32 = 1000;

/// Default number of skipped keys kept per sender ratchet: 64 (at most 3 KiB per ratchet).
pub const DEFAULT_MAX_RETAINED_KEYS: u32 = 64;

/// Largest group the secret tree supports: 2^31 leaves (node indices fit a `u32`).
pub const MAX_LEAVES: u32 = 1 << 31;

/// One sender's two ratchets, created when the sender's leaf secret is first used.
#[derive(Clone)]
struct SenderRatchets {
    leaf: u32,
    handshake: Ratchet,
    application: Ratchet,
}

impl SenderRatchets {
    /// `handshake_ratchet_secret_[N]_[0] = ExpandWithLabel(leaf_secret, "handshake", "", Nh)`,
    /// `application_ratchet_secret_[N]_[0] = ExpandWithLabel(leaf_secret, "application", "", Nh)`.
    fn from_leaf_secret(leaf: u32, leaf_secret: &Secret) -> Result<Self, SecretTreeError> {
        Ok(Self {
            leaf,
            handshake: Ratchet::new(expand_with_label(
                leaf_secret.as_bytes(),
                b"handshake",
                &[],
            )?),
            application: Ratchet::new(expand_with_label(
                leaf_secret.as_bytes(),
                b"application",
                &[],
            )?),
        })
    }

    fn get(&self, kind: RatchetType) -> &Ratchet {
        match kind {
            RatchetType::Handshake => &self.handshake,
            RatchetType::Application => &self.application,
        }
    }

    fn get_mut(&mut self, kind: RatchetType) -> &mut Ratchet {
        match kind {
            RatchetType::Handshake => &mut self.handshake,
            RatchetType::Application => &mut self.application,
        }
    }
}

impl Encode for SenderRatchets {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.leaf.encode(w)?;
        self.handshake.encode(w)?;
        self.application.encode(w)
    }
    fn encoded_len(&self) -> usize {
        4 + self.handshake.encoded_len() + self.application.encoded_len()
    }
}

impl Decode for SenderRatchets {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Self {
            leaf: u32::decode(r)?,
            handshake: Ratchet::decode(r)?,
            application: Ratchet::decode(r)?,
        })
    }
}

/// The secret tree of an epoch: node secrets derived lazily from `encryption_secret`, and per
/// sender a handshake and an application ratchet yielding one AEAD key and nonce per generation
/// (RFC 9420 section 9), with the deletion schedule of section 9.2 and a bounded out-of-order
/// window ([`SecretTreeConfig`]).
///
/// Keys are single use. A sender takes its next key with [`SecretTree::next_send_key`]. A
/// receiver that wants the state to change only after a successful decryption calls
/// [`SecretTree::peek_key`] (no change), decrypts, then [`SecretTree::consume_key`];
/// [`SecretTree::take_key`] does both at once. Taking generation `g` deletes the ratchet secrets
/// up to `g`, so `g` can never be derived again; the keys of skipped generations are kept (at
/// most `max_retained_keys` per ratchet) and deleted when used.
///
/// Heap use: one `Vec` entry per sender seen in the epoch (created on a sender's first message),
/// the frontier of the node secrets (at most `log2(n)` new entries per new sender), and the
/// skipped keys (only when messages are skipped). The in-order path allocates nothing.
///
/// Persistence: the state encodes with [`Encode`] and restores with [`Decode`]. A sender MUST
/// persist the state after [`SecretTree::next_send_key`] and before the message leaves the
/// device: restoring an older state would hand out the same generation twice (key and nonce
/// reuse; the reuse guard of RFC 9420 section 6.3.1 only mitigates this).
#[derive(Clone)]
pub struct SecretTree<S: CipherSuite> {
    n_leaves: u32,
    tree: LazySecretTree,
    /// Sorted by leaf.
    senders: Vec<SenderRatchets>,
    config: SecretTreeConfig,
    _suite: PhantomData<S>,
}

impl<S: CipherSuite> core::fmt::Debug for SecretTree<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SecretTree")
            .field("n_leaves", &self.n_leaves)
            .field("senders", &self.senders.len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Depth of the tree holding `n_leaves` leaves (RFC 9420 trees have a power-of-two leaf count;
/// any other count is rounded up, which gives the same tree for the leaves that exist).
fn depth_for(n_leaves: u32) -> Result<u8, SecretTreeError> {
    if n_leaves == 0 || n_leaves > MAX_LEAVES {
        return Err(SecretTreeError::InvalidLeafCount(u64::from(n_leaves)));
    }
    let depth = n_leaves.next_power_of_two().trailing_zeros();
    u8::try_from(depth).map_err(|_| SecretTreeError::InvalidLeafCount(u64::from(n_leaves)))
}

impl<S: CipherSuite> SecretTree<S> {
    /// The secret tree of a group of `n_leaves` leaves rooted at `encryption_secret`, with the
    /// default [`SecretTreeConfig`].
    pub fn new(encryption_secret: Secret, n_leaves: u32) -> Result<Self, SecretTreeError> {
        Self::with_config(encryption_secret, n_leaves, SecretTreeConfig::DEFAULT)
    }

    /// As [`SecretTree::new`] with an explicit configuration.
    pub fn with_config(
        encryption_secret: Secret,
        n_leaves: u32,
        config: SecretTreeConfig,
    ) -> Result<Self, SecretTreeError> {
        let depth = depth_for(n_leaves)?;
        Ok(Self {
            n_leaves,
            tree: LazySecretTree::new(encryption_secret, depth)?,
            senders: Vec::new(),
            config,
            _suite: PhantomData,
        })
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> u32 {
        self.n_leaves
    }

    /// The out-of-order configuration.
    pub fn config(&self) -> &SecretTreeConfig {
        &self.config
    }

    /// Changes the configuration; retained keys beyond a smaller `max_retained_keys` are deleted.
    pub fn set_config(&mut self, config: SecretTreeConfig) {
        self.config = config;
        for s in &mut self.senders {
            s.handshake.trim(config.max_retained_keys);
            s.application.trim(config.max_retained_keys);
        }
    }

    /// The next generation `leaf`'s ratchet will derive (0 before its first use).
    pub fn next_generation(&self, leaf: u32, kind: RatchetType) -> Result<u32, SecretTreeError> {
        self.check_leaf(leaf)?;
        Ok(self.sender(leaf).map_or(0, |s| s.get(kind).generation()))
    }

    /// Number of keys of skipped generations `leaf`'s ratchet currently holds.
    pub fn retained_keys(&self, leaf: u32, kind: RatchetType) -> Result<usize, SecretTreeError> {
        self.check_leaf(leaf)?;
        Ok(self.sender(leaf).map_or(0, |s| s.get(kind).retained()))
    }

    fn check_leaf(&self, leaf: u32) -> Result<(), SecretTreeError> {
        if leaf >= self.n_leaves {
            return Err(SecretTreeError::LeafOutOfRange {
                leaf,
                n_leaves: self.n_leaves,
            });
        }
        Ok(())
    }

    fn position(&self, leaf: u32) -> Result<usize, usize> {
        self.senders.binary_search_by_key(&leaf, |s| s.leaf)
    }

    fn sender(&self, leaf: u32) -> Option<&SenderRatchets> {
        self.position(leaf).ok().and_then(|p| self.senders.get(p))
    }

    /// The key and nonce for `generation` of `leaf`'s `kind` ratchet, without changing the tree.
    pub fn peek_key(
        &self,
        leaf: u32,
        kind: RatchetType,
        generation: u32,
    ) -> Result<KeyNonce<S>, SecretTreeError> {
        self.check_leaf(leaf)?;
        let id = RatchetId {
            leaf,
            ratchet: kind,
        };
        match self.sender(leaf) {
            Some(s) => s.get(kind).peek(id, generation, &self.config),
            None => {
                let fresh = SenderRatchets::from_leaf_secret(leaf, &self.tree.peek_leaf(leaf)?)?;
                fresh.get(kind).peek(id, generation, &self.config)
            }
        }
    }

    /// Marks `generation` of `leaf`'s `kind` ratchet consumed (after a successful decryption):
    /// its key and every secret it was derived from are deleted, and the keys of generations
    /// skipped on the way are retained (bounded). On error the tree is unchanged.
    pub fn consume_key(
        &mut self,
        leaf: u32,
        kind: RatchetType,
        generation: u32,
    ) -> Result<(), SecretTreeError> {
        self.advance(leaf, kind, generation, false).map(drop)
    }

    /// [`SecretTree::peek_key`] and [`SecretTree::consume_key`] in one step.
    pub fn take_key(
        &mut self,
        leaf: u32,
        kind: RatchetType,
        generation: u32,
    ) -> Result<KeyNonce<S>, SecretTreeError> {
        self.advance(leaf, kind, generation, true)?
            .ok_or(SecretTreeError::LeafConsumed { leaf })
    }

    /// The sender side: the next generation of `leaf`'s `kind` ratchet and its key and nonce,
    /// consumed at once (RFC 9420 section 9.1: a key/nonce pair encrypts one message only).
    pub fn next_send_key(
        &mut self,
        leaf: u32,
        kind: RatchetType,
    ) -> Result<(u32, KeyNonce<S>), SecretTreeError> {
        let generation = self.next_generation(leaf, kind)?;
        let key = self.take_key(leaf, kind, generation)?;
        Ok((generation, key))
    }

    fn advance(
        &mut self,
        leaf: u32,
        kind: RatchetType,
        generation: u32,
        want_key: bool,
    ) -> Result<Option<KeyNonce<S>>, SecretTreeError> {
        self.check_leaf(leaf)?;
        let id = RatchetId {
            leaf,
            ratchet: kind,
        };
        let config = self.config;
        match self.position(leaf) {
            Ok(p) => match self.senders.get_mut(p) {
                Some(s) => s
                    .get_mut(kind)
                    .advance::<S>(id, generation, &config, want_key),
                None => Err(SecretTreeError::LeafConsumed { leaf }),
            },
            Err(p) => {
                // First use of this sender: build its ratchets on the side, and take the leaf
                // secret out of the tree only once the advance succeeded.
                let mut fresh =
                    SenderRatchets::from_leaf_secret(leaf, &self.tree.peek_leaf(leaf)?)?;
                let key = fresh
                    .get_mut(kind)
                    .advance::<S>(id, generation, &config, want_key)?;
                drop(self.tree.take_leaf(leaf)?);
                self.senders.insert(p, fresh);
                Ok(key)
            }
        }
    }
}

/// Encoding of the persisted state (the group wraps it in its versioned blob):
///
/// ```text
/// struct {
///     uint16 cipher_suite;
///     uint32 n_leaves;
///     uint32 max_forward_distance;
///     uint32 max_retained_keys;
///     LazySecretTree tree;
///     SenderRatchets senders<V>;  /* struct { uint32 leaf; Ratchet handshake; Ratchet application; } */
/// } SecretTreeState;
/// ```
///
/// Decoding rejects a different cipher suite, a leaf count that does not match the tree, senders
/// out of order or outside the tree, a sender whose leaf secret is still in the tree, and skipped
/// keys out of order or over the retained bound.
impl<S: CipherSuite> Encode for SecretTree<S> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        S::ID.encode(w)?;
        self.n_leaves.encode(w)?;
        self.config.max_forward_distance.encode(w)?;
        self.config.max_retained_keys.encode(w)?;
        self.tree.encode(w)?;
        vmls_codec::encode_vec(w, &self.senders)
    }
    fn encoded_len(&self) -> usize {
        2 + 4 + 4 + 4 + self.tree.encoded_len() + vmls_codec::vec_len(&self.senders)
    }
}

impl<S: CipherSuite> Decode for SecretTree<S> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let suite = u16::decode(r)?;
        if suite != S::ID {
            return Err(CodecError::InvalidEnum(u64::from(suite)));
        }
        let n_leaves = u32::decode(r)?;
        let config = SecretTreeConfig {
            max_forward_distance: u32::decode(r)?,
            max_retained_keys: u32::decode(r)?,
        };
        let tree = LazySecretTree::decode(r)?;
        let depth =
            depth_for(n_leaves).map_err(|_| CodecError::InvalidEnum(u64::from(n_leaves)))?;
        if tree.depth() != depth {
            return Err(CodecError::InvalidEnum(u64::from(tree.depth())));
        }
        let senders = Vec::<SenderRatchets>::decode(r)?;
        let mut prev: Option<u32> = None;
        for s in &senders {
            let bad = s.leaf >= n_leaves
                || prev.is_some_and(|p| p >= s.leaf)
                || tree.has_leaf(s.leaf)
                || !s.handshake.is_consistent(config.max_retained_keys)
                || !s.application.is_consistent(config.max_retained_keys);
            if bad {
                return Err(CodecError::InvalidEnum(u64::from(s.leaf)));
            }
            prev = Some(s.leaf);
        }
        Ok(Self {
            n_leaves,
            tree,
            senders,
            config,
            _suite: PhantomData,
        })
    }
}
