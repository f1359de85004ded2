//! The challenge-based secret tree (draft-kohbrok-mls-virtual-clients-03 section 5.5.6).
//!
//! ```text
//! root     = MLS-FS-Export("CBST", "", Nh)
//! left(N)  = ExpandWithLabel(N, "CBST", "left",  Nh)
//! right(N) = ExpandWithLabel(N, "CBST", "right", Nh)
//! aead_key[C]   = ExpandWithLabel(leaf(C), "CBST", "key",   AEAD.Nk)
//! aead_nonce[C] = ExpandWithLabel(leaf(C), "CBST", "nonce", AEAD.Nn)
//! ```
//!
//! A leaf is a 256-bit challenge, read from the most significant bit of its first octet
//! (0 = left).
//!
//! # State
//!
//! The tree stores its *frontier*: disjoint subtrees whose union is every challenge that can
//! still be derived, each as `(prefix, depth, secret)`. It starts as the root alone. Using a
//! challenge removes the frontier node above it and keeps the siblings of its path, as a
//! puncturable PRF must, but only down to depth [`CbstConfig::prune_depth`] `D`: the subtree of
//! the challenge's `D`-bit prefix is deleted whole. After `k` random challenges the frontier has
//! about `k * (D - log2 k)` nodes instead of `k * (256 - log2 k)`, and a later challenge is lost
//! only if its first `D` bits equal those of a used one: probability at most `k / 2^D`.
//!
//! If the frontier would exceed [`CbstConfig::max_nodes`], the deepest nodes (the smallest
//! subtrees) are deleted first, which keeps memory bounded and, again, only deletes more:
//! forward secrecy is never weakened. [`ChallengeSecretTree::lost_fraction`] reports the
//! share of the challenge space that can no longer be derived (docs/performance.md has the
//! numbers and the epoch message budget built on them).
use alloc::vec::Vec;
use core::marker::PhantomData;
use vmls_codec::{Decode, Encode, Error as CodecError, Reader, Writer};
use vmls_crypto::{CipherSuite, NH, NONCE_LEN, Secret};
use zeroize::Zeroize;

use crate::error::CbstError;
use crate::hmac_label;

/// Length of a challenge (`KDF.Nh`).
pub const CHALLENGE_LEN: usize = NH;

/// Largest supported `prune_depth`: prefixes are stored in a `u64`.
pub const MAX_PRUNE_DEPTH: u8 = 64;

/// Default `prune_depth`: a later challenge is lost with probability at most `k / 2^32` after
/// `k` messages in the epoch.
pub const DEFAULT_PRUNE_DEPTH: u8 = 32;

/// Default `max_nodes`: 2048 frontier nodes, [`NODE_BYTES`] each (96 KiB).
pub const DEFAULT_MAX_NODES: u32 = 2048;

/// Nodes reserved at once when the table first grows (192 KiB): budgets up to this size are
/// allocated once per epoch.
const RESERVE_NODES: usize = 4096;

/// Bytes one frontier node takes in memory (prefix, depth, secret, padding).
pub const NODE_BYTES: usize = core::mem::size_of::<Node>();

/// Bounds of the CBST state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CbstConfig {
    /// Siblings are kept down to this depth (1..=64); a used challenge deletes the subtree of
    /// its first `prune_depth` bits.
    pub prune_depth: u8,
    /// Largest number of stored nodes (at least `prune_depth`); beyond it the deepest nodes are
    /// deleted.
    pub max_nodes: u32,
}

impl CbstConfig {
    /// [`DEFAULT_PRUNE_DEPTH`] and [`DEFAULT_MAX_NODES`].
    pub const DEFAULT: Self = Self {
        prune_depth: DEFAULT_PRUNE_DEPTH,
        max_nodes: DEFAULT_MAX_NODES,
    };

    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), CbstError> {
        if self.prune_depth == 0
            || self.prune_depth > MAX_PRUNE_DEPTH
            || self.max_nodes < u32::from(self.prune_depth)
        {
            return Err(CbstError::InvalidConfig);
        }
        Ok(())
    }
}

impl Default for CbstConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A frontier node: the subtree of challenges whose first `depth` bits are `prefix`'s
/// (left-aligned in the `u64`, the other bits zero).
#[derive(Clone)]
struct Node {
    prefix: u64,
    depth: u8,
    secret: Secret,
}

impl Node {
    fn contains(&self, c: u64) -> bool {
        self.depth == 0 || (c ^ self.prefix) >> (64 - u32::from(self.depth)) == 0
    }
}

/// The AEAD key (`AEAD.Nk` bytes of suite `S`) and nonce of one challenge; zeroized on drop.
pub struct CbstKey<S: CipherSuite> {
    key: [u8; NH],
    nonce: [u8; NONCE_LEN],
    _suite: PhantomData<S>,
}

impl<S: CipherSuite> CbstKey<S> {
    /// `aead_key[C]`.
    pub fn key(&self) -> &[u8] {
        self.key.get(..S::AEAD_KEY_LEN).unwrap_or(&self.key)
    }

    /// `aead_nonce[C]`.
    pub fn nonce(&self) -> &[u8; NONCE_LEN] {
        &self.nonce
    }
}

impl<S: CipherSuite> Drop for CbstKey<S> {
    fn drop(&mut self) {
        self.key.zeroize();
        self.nonce.zeroize();
    }
}

impl<S: CipherSuite> core::fmt::Debug for CbstKey<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("CbstKey(***)")
    }
}

/// A puncture computed by [`ChallengeSecretTree::open`], applied by
/// [`ChallengeSecretTree::apply`]: the siblings of the challenge's path (zeroized on drop if
/// never applied).
pub struct PuncturePlan {
    challenge: [u8; CHALLENGE_LEN],
    node_prefix: u64,
    node_depth: u8,
    siblings: heapless::Vec<Node, 64>,
}

impl core::fmt::Debug for PuncturePlan {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PuncturePlan(***)")
    }
}

/// The first 64 bits of a challenge.
fn head(c: &[u8; CHALLENGE_LEN]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(c.get(..8).unwrap_or(&[0; 8]));
    u64::from_be_bytes(b)
}

/// Bit `i` (0 = most significant of the first octet) of a challenge.
fn bit(c: &[u8; CHALLENGE_LEN], i: usize) -> bool {
    c.get(i / 8).is_some_and(|b| b >> (7 - i % 8) & 1 == 1)
}

/// The challenge-based secret tree of one epoch for cipher suite `S`. See the
/// format and pruning rules at the top of `crates/vmls-cbst/src/tree.rs`.
#[derive(Clone)]
pub struct ChallengeSecretTree<S: CipherSuite> {
    config: CbstConfig,
    /// Sorted by prefix; disjoint.
    nodes: Vec<Node>,
    /// Share of the challenge space deleted by pruning and eviction (not by the exact uses),
    /// in units of 2^-64.
    pruned: u128,
    used: u64,
    _suite: PhantomData<S>,
}

impl<S: CipherSuite> ChallengeSecretTree<S> {
    /// A fresh tree from `root` = `MLS-FS-Export("CBST", "", Nh)`.
    pub fn new(root: Secret, config: CbstConfig) -> Result<Self, CbstError> {
        config.validate()?;
        Ok(Self {
            config,
            nodes: alloc::vec![Node {
                prefix: 0,
                depth: 0,
                secret: root,
            }],
            pruned: 0,
            used: 0,
            _suite: PhantomData,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &CbstConfig {
        &self.config
    }

    /// Position of the frontier node containing `c`, if any.
    fn find(&self, c: &[u8; CHALLENGE_LEN]) -> Option<usize> {
        let h = head(c);
        // The last node whose prefix is <= h is the only one that can contain h.
        let pos = self.nodes.partition_point(|n| n.prefix <= h);
        let i = pos.checked_sub(1)?;
        self.nodes.get(i).filter(|n| n.contains(h)).map(|_| i)
    }

    /// `aead_key[C]` and `aead_nonce[C]` without changing the tree.
    pub fn key_for(&self, challenge: &[u8]) -> Result<CbstKey<S>, CbstError> {
        let c = as_challenge(challenge)?;
        let node = self
            .find(c)
            .and_then(|i| self.nodes.get(i))
            .ok_or(CbstError::ChallengeUnavailable)?;
        Ok(Self::leaf_key(*node.secret.as_bytes(), node.depth, c))
    }

    /// Walks from `secret` at `depth` down to the leaf `c` and derives its key and nonce.
    fn leaf_key(mut s: [u8; NH], depth: u8, c: &[u8; CHALLENGE_LEN]) -> CbstKey<S> {
        // Each level overwrites the secret in place; the last one is zeroized below.
        for i in usize::from(depth)..CHALLENGE_LEN * 8 {
            s = hmac_label::child(&s, bit(c, i));
        }
        let mut out = CbstKey {
            key: [0; NH],
            nonce: [0; NONCE_LEN],
            _suite: PhantomData,
        };
        hmac_label::key_and_nonce(&s, S::AEAD_KEY_LEN, &mut out.key, &mut out.nonce);
        s.zeroize();
        out
    }

    /// The siblings of `c`'s path from frontier node `node` down to `prune_depth`, and the
    /// secret on the path at that depth.
    fn plan_from(&self, node: &Node, c: &[u8; CHALLENGE_LEN]) -> (PuncturePlan, [u8; NH]) {
        // At most 64 siblings (prune_depth <= 64): on the stack, no allocation.
        let mut siblings: heapless::Vec<Node, 64> = heapless::Vec::new();
        let mut s = *node.secret.as_bytes();
        let mut prefix = node.prefix;
        for depth in node.depth..self.config.prune_depth {
            let (l, r) = hmac_label::children(&s);
            s.zeroize();
            let b = bit(c, usize::from(depth));
            let (on, off) = if b { (r, l) } else { (l, r) };
            let bit_mask = 1u64 << (63 - u32::from(depth));
            let off_prefix = if b { prefix } else { prefix | bit_mask };
            // Capacity 64 >= prune_depth - node.depth; a full list cannot happen.
            let _ = siblings.push(Node {
                prefix: off_prefix,
                depth: depth + 1,
                secret: Secret::from_bytes(off),
            });
            if b {
                prefix |= bit_mask;
            }
            s = on;
        }
        (
            PuncturePlan {
                challenge: *c,
                node_prefix: node.prefix,
                node_depth: node.depth,
                siblings,
            },
            s,
        )
    }

    /// The key of `challenge` and the puncture to apply once the message it protects has been
    /// verified ([`Self::apply`]), in one walk of the tree: the receiver's operation. Changes
    /// nothing.
    pub fn open(&self, challenge: &[u8]) -> Result<(CbstKey<S>, PuncturePlan), CbstError> {
        let c = as_challenge(challenge)?;
        let node = self
            .find(c)
            .and_then(|i| self.nodes.get(i))
            .ok_or(CbstError::ChallengeUnavailable)?;
        let (plan, s) = self.plan_from(node, c);
        let depth = self.config.prune_depth.max(node.depth);
        Ok((Self::leaf_key(s, depth, c), plan))
    }

    /// Deletes the key of `challenge` (with the whole subtree of its first `prune_depth` bits)
    /// and every secret on its path, keeping only the siblings of the path. Fails, changing
    /// nothing, if the challenge is no longer available.
    pub fn puncture(&mut self, challenge: &[u8]) -> Result<(), CbstError> {
        let c = as_challenge(challenge)?;
        let node = self
            .find(c)
            .and_then(|i| self.nodes.get(i))
            .ok_or(CbstError::ChallengeUnavailable)?;
        let (plan, mut s) = self.plan_from(node, c);
        s.zeroize();
        self.apply(plan)
    }

    /// [`Self::open`] then [`Self::apply`]: the sender's operation.
    pub fn derive(&mut self, challenge: &[u8]) -> Result<CbstKey<S>, CbstError> {
        let (key, plan) = self.open(challenge)?;
        self.apply(plan)?;
        Ok(key)
    }

    /// Applies a puncture made by [`Self::open`] on this tree. Fails, changing nothing, if the
    /// tree changed in between so that the plan no longer fits (its node is gone).
    pub fn apply(&mut self, plan: PuncturePlan) -> Result<(), CbstError> {
        let PuncturePlan {
            challenge: c,
            node_prefix,
            node_depth,
            mut siblings,
        } = plan;
        let fits = |t: &Self| {
            t.find(&c)
                .and_then(|i| t.nodes.get(i).map(|n| (i, n)))
                .filter(|(_, n)| n.prefix == node_prefix && n.depth == node_depth)
                .map(|(i, _)| i)
        };
        fits(self).ok_or(CbstError::ChallengeUnavailable)?;
        let d = self.config.prune_depth;
        // The deleted D-bit subtree beyond the used challenge itself.
        self.pruned = self.pruned.saturating_add(measure(d).saturating_sub(1));
        self.used = self.used.saturating_add(1);
        // The used node is replaced by the siblings. Over the budget, the deepest nodes go
        // first; the new siblings are usually the deepest (the last one is at depth D), so they
        // are dropped before insertion. The used node is shallower than every sibling, so it
        // is never the one evicted.
        let max = self.config.max_nodes as usize;
        while self.nodes.len().saturating_sub(1) + siblings.len() > max {
            let deepest_new = siblings.last().map_or(0, |n| n.depth);
            let deepest_old = self.deepest().map_or(0, |(_, d)| d);
            if deepest_new >= deepest_old && deepest_new > 0 {
                if let Some(n) = siblings.pop() {
                    self.pruned = self.pruned.saturating_add(measure(n.depth));
                }
            } else {
                self.evict_one();
            }
        }
        // The node table takes its whole budget (up to RESERVE_NODES) at the first use of the
        // epoch, so with a budget up to that size the message path allocates at most once per
        // epoch (and a tree never used costs one node); larger budgets grow by doubling.
        let needed = self.nodes.len() + siblings.len();
        if self.nodes.capacity() < needed {
            let target = max
                .min(RESERVE_NODES)
                .max(needed.saturating_mul(2))
                .min(max);
            self.nodes
                .reserve_exact(target.saturating_sub(self.nodes.len()));
        }
        // The siblings partition the used node's subtree (minus the deleted prefix), so they
        // take its place in the sorted table: one move of the tail, whatever the table size.
        vmls_codec::sort::sort_unstable_by_key(&mut siblings, |n| n.prefix);
        let at = fits(self).ok_or(CbstError::ChallengeUnavailable)?;
        self.nodes.splice(at..=at, siblings);
        Ok(())
    }

    /// The deepest stored node (the last one of that depth in prefix order) and its depth.
    fn deepest(&self) -> Option<(usize, u8)> {
        self.nodes
            .iter()
            .enumerate()
            .max_by_key(|(i, n)| (n.depth, *i))
            .map(|(i, n)| (i, n.depth))
    }

    fn evict_one(&mut self) {
        if let Some((i, _)) = self.deepest() {
            let n = self.nodes.remove(i);
            self.pruned = self.pruned.saturating_add(measure(n.depth));
        }
    }

    /// Reserves room for `additional` more nodes (capped by the budget), so that the next
    /// punctures do not allocate.
    pub fn reserve(&mut self, additional: usize) {
        let room = (self.config.max_nodes as usize).saturating_sub(self.nodes.len());
        self.nodes.reserve_exact(additional.min(room));
    }

    /// Number of stored secrets.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes of secret state held in memory ([`NODE_BYTES`] per node).
    pub fn state_bytes(&self) -> usize {
        self.nodes.len() * NODE_BYTES
    }

    /// Challenges used (punctured) in this tree.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// The share of the challenge space deleted beyond the used challenges themselves, as
    /// `(numerator, 2^64)`: the probability that the next fresh random challenge cannot be
    /// derived any more (at most `used / 2^prune_depth` plus what eviction deleted).
    pub fn lost_fraction(&self) -> (u128, u128) {
        (self.pruned, 1u128 << 64)
    }

    /// Whether `challenge` can still be derived.
    pub fn is_available(&self, challenge: &[u8]) -> bool {
        as_challenge(challenge).is_ok_and(|c| self.find(c).is_some())
    }
}

impl<S: CipherSuite> core::fmt::Debug for ChallengeSecretTree<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChallengeSecretTree")
            .field("config", &self.config)
            .field("nodes", &self.nodes.len())
            .field("used", &self.used)
            .finish_non_exhaustive()
    }
}

/// Size of a subtree at `depth` in units of 2^-64 of the challenge space.
fn measure(depth: u8) -> u128 {
    1u128 << (64 - u32::from(depth.min(64)))
}

fn as_challenge(c: &[u8]) -> Result<&[u8; CHALLENGE_LEN], CbstError> {
    c.try_into()
        .map_err(|_| CbstError::InvalidChallengeLength(c.len()))
}

/// Encoding in the group state blob:
/// `struct { uint8 prune_depth; uint32 max_nodes; uint64 used; opaque pruned[16];
///           Node nodes<V>; }` with `struct { uint64 prefix; uint8 depth; opaque secret[32]; }`.
impl<S: CipherSuite> Encode for ChallengeSecretTree<S> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.config.prune_depth.encode(w)?;
        self.config.max_nodes.encode(w)?;
        self.used.encode(w)?;
        w.put(&self.pruned.to_be_bytes())?;
        vmls_codec::encode_varint(w, self.nodes.len() * (8 + 1 + NH))?;
        for n in &self.nodes {
            n.prefix.encode(w)?;
            n.depth.encode(w)?;
            w.put(n.secret.as_bytes())?;
        }
        Ok(())
    }
    fn encoded_len(&self) -> usize {
        let body = self.nodes.len() * (8 + 1 + NH);
        1 + 4 + 8 + 16 + vmls_codec::varint_len(body) + body
    }
}

impl<S: CipherSuite> Decode for ChallengeSecretTree<S> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let config = CbstConfig {
            prune_depth: u8::decode(r)?,
            max_nodes: u32::decode(r)?,
        };
        config
            .validate()
            .map_err(|_| CodecError::InvalidEnum(u64::from(config.prune_depth)))?;
        let used = u64::decode(r)?;
        let pruned = u128::from_be_bytes(r.read_array::<16>()?);
        let mut body = r.read_vec_body()?;
        let mut nodes: Vec<Node> = Vec::new();
        while !body.is_empty() {
            let prefix = u64::decode(&mut body)?;
            let depth = u8::decode(&mut body)?;
            let secret = Secret::from_bytes(body.read_array::<NH>()?);
            let n = Node {
                prefix,
                depth,
                secret,
            };
            // Depth within range, no bits below the depth, sorted and disjoint.
            let tail_clear = depth == 0 && prefix == 0
                || depth > 0
                    && depth <= 64
                    && prefix.checked_shl(u32::from(depth)).unwrap_or(0) == 0;
            let disjoint = nodes.last().is_none_or(|m| {
                m.prefix < prefix
                    && !m.contains(prefix)
                    && (m.depth == 0 || prefix > m.prefix | (u64::MAX >> u32::from(m.depth)))
            });
            if depth > config.prune_depth || !tail_clear || !disjoint {
                return Err(CodecError::InvalidEnum(prefix));
            }
            nodes.push(n);
            if nodes.len() > config.max_nodes as usize {
                return Err(CodecError::LimitExceeded);
            }
        }
        Ok(Self {
            config,
            nodes,
            pruned,
            used,
            _suite: PhantomData,
        })
    }
}
