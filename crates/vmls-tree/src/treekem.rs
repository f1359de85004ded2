//! TreeKEM (RFC 9420 sections 7.4-7.6, 12.4.2, 12.4.3.1): generating, encrypting, merging and
//! decrypting UpdatePaths, and the private keys a member holds for its direct path.
//!
//! The committer's steps, in the order section 12.4.2 requires:
//! 1. apply the proposals to the tree;
//! 2. [`RatchetTree::apply_own_update_path`]: fresh leaf key and path secrets, new node keys,
//!    parent hashes, the re-signed leaf, all merged into the tree;
//! 3. the caller computes [`RatchetTree::tree_hash`] and builds the provisional GroupContext
//!    (new epoch, new tree hash, old confirmed transcript hash, new extensions);
//! 4. [`RatchetTree::encrypt_update_path`] with that GroupContext's encoding.
//!
//! A receiver: apply the proposals, [`RatchetTree::merge_update_path`], compute the tree hash and
//! the provisional GroupContext, then [`TreePrivateKeys::process_update_path`].
use alloc::vec::Vec;
use rand_core::CryptoRng;
use vmls_codec::{Decode, Encode, Error as CodecError, Reader, Writer};
use vmls_crypto::{
    CipherSuite, HpkeKeyPair, HpkePrivateKey, Secret, SignaturePrivateKey, decrypt_with_label,
    derive_key_pair, derive_secret, encrypt_with_label,
};

use crate::error::TreeError;
use crate::leaf::{LeafNodeSourceType, LeafSigningContext, LeafValidationParams};
use crate::math::{self, LeafIndex, MAX_DEPTH, NodeIndex};
use crate::node::{
    HpkePublicKeyBytes, LeafNode, LeafNodeContent, LeafNodeSource, ParentNode, UpdatePath,
    UpdatePathNode,
};
use crate::tree::{FilteredPath, RatchetTree};

/// HPKE label of path-secret encryption (RFC 9420 section 7.6).
pub const UPDATE_PATH_NODE_LABEL: &[u8] = b"UpdatePathNode";

/// `DeriveKeyPair(DeriveSecret(path_secret, "node"))` (RFC 9420 section 7.4).
pub fn node_key_pair(path_secret: &Secret) -> Result<HpkeKeyPair, TreeError> {
    let node_secret = derive_secret(path_secret.as_bytes(), b"node")?;
    Ok(derive_key_pair(node_secret.as_bytes())?)
}

/// `DeriveSecret(path_secret, "path")`: the next path secret, or the commit secret after the
/// last one (RFC 9420 sections 7.4 and 12.4.2).
pub fn next_path_secret(path_secret: &Secret) -> Result<Secret, TreeError> {
    Ok(derive_secret(path_secret.as_bytes(), b"path")?)
}

/// One path secret of an UpdatePath with the public key it yields.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PathEntry {
    node: NodeIndex,
    secret: Secret,
    public: [u8; 32],
}

/// The path secrets of one UpdatePath that a member knows (all of them for the committer, those
/// from the common ancestor up for a receiver) and the resulting `commit_secret`. Zeroized on
/// drop; `Debug` never shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathSecrets {
    sender: LeafIndex,
    entries: heapless::Vec<PathEntry, MAX_DEPTH>,
    commit_secret: Secret,
}

impl PathSecrets {
    /// The committer of the UpdatePath.
    pub fn sender(&self) -> LeafIndex {
        self.sender
    }

    /// `commit_secret = DeriveSecret(path_secret[n], "path")` of the last path secret
    /// (RFC 9420 section 12.4.2).
    pub fn commit_secret(&self) -> &Secret {
        &self.commit_secret
    }

    /// The path secret of node `x`, if known.
    pub fn path_secret(&self, x: NodeIndex) -> Option<&Secret> {
        self.entries.iter().find(|e| e.node == x).map(|e| &e.secret)
    }

    /// The known path secrets, lowest node first.
    pub fn iter(&self) -> impl Iterator<Item = (NodeIndex, &Secret)> {
        self.entries.iter().map(|e| (e.node, &e.secret))
    }

    /// The path secret a new member at `joiner` gets in its Welcome: the one of the lowest
    /// common ancestor of the joiner and the committer (RFC 9420 section 12.4.3.1).
    pub fn path_secret_for_joiner(&self, joiner: LeafIndex) -> Option<&Secret> {
        self.path_secret(math::common_ancestor(joiner.node(), self.sender.node()))
    }
}

/// The HPKE private keys a member holds: its leaf's, and those of the nodes on its direct path
/// it learned from path secrets (RFC 9420 section 4.2). Zeroized on drop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreePrivateKeys {
    leaf: LeafIndex,
    /// Key pairs (the public half cached so consistency checks need no scalar multiplication).
    leaf_key: HpkeKeyPair,
    path: heapless::Vec<(NodeIndex, HpkeKeyPair), MAX_DEPTH>,
}

fn key_pair(private: HpkePrivateKey) -> HpkeKeyPair {
    let public = private.public_key();
    HpkeKeyPair { private, public }
}

impl TreePrivateKeys {
    /// The private state of the member at `leaf` with leaf key `leaf_key`.
    pub fn new(leaf: LeafIndex, leaf_key: HpkePrivateKey) -> Self {
        Self {
            leaf,
            leaf_key: key_pair(leaf_key),
            path: heapless::Vec::new(),
        }
    }

    /// The member's leaf index.
    pub fn leaf_index(&self) -> LeafIndex {
        self.leaf
    }

    /// The leaf's private key.
    pub fn leaf_key(&self) -> &HpkePrivateKey {
        &self.leaf_key.private
    }

    /// Replaces the leaf's private key (after the member's own Update is committed).
    pub fn set_leaf_key(&mut self, key: HpkePrivateKey) {
        self.leaf_key = key_pair(key);
    }

    /// The private key for node `x`, if held.
    pub fn get(&self, x: NodeIndex) -> Option<&HpkePrivateKey> {
        if x == self.leaf.node() {
            return Some(&self.leaf_key.private);
        }
        self.path
            .iter()
            .find(|(n, _)| *n == x)
            .map(|(_, k)| &k.private)
    }

    /// The private keys of the direct-path nodes, lowest first.
    pub fn path_keys(&self) -> impl Iterator<Item = (NodeIndex, &HpkePrivateKey)> {
        self.path.iter().map(|(n, k)| (*n, &k.private))
    }

    /// Stores `key` for node `x`, which must be on the member's direct path.
    pub fn insert(&mut self, x: NodeIndex, key: HpkePrivateKey) -> Result<(), TreeError> {
        self.insert_pair(x, key_pair(key))
    }

    fn insert_pair(&mut self, x: NodeIndex, key: HpkeKeyPair) -> Result<(), TreeError> {
        if x == self.leaf.node() {
            self.leaf_key = key;
            return Ok(());
        }
        if x.is_leaf() || !math::is_in_subtree(self.leaf.node(), x) {
            return Err(TreeError::NodeNotOnPath { node: x });
        }
        if let Some(slot) = self.path.iter_mut().find(|(n, _)| *n == x) {
            slot.1 = key;
            return Ok(());
        }
        let pos = self
            .path
            .iter()
            .position(|(n, _)| math::level(*n) > math::level(x));
        let pos = pos.unwrap_or(self.path.len());
        self.path
            .insert(pos, (x, key))
            .map_err(|_| TreeError::NodeNotOnPath { node: x })
    }

    /// Stores the key derived from `path_secret` for node `x` (RFC 9420 section 7.4).
    pub fn insert_path_secret(
        &mut self,
        x: NodeIndex,
        path_secret: &Secret,
    ) -> Result<(), TreeError> {
        let kp = node_key_pair(path_secret)?;
        self.insert_pair(x, kp)
    }

    /// Checks that this member holds a private key for every non-blank node of its direct path
    /// that does not list it as unmerged (the tree invariant of RFC 9420 section 4.1). A joiner
    /// whose Welcome lacks the `path_secret` its position needs fails here (RFC 9420 section
    /// 12.4.3.1) instead of joining with keys it will never have.
    pub fn check_complete(&self, tree: &RatchetTree) -> Result<(), TreeError> {
        for x in math::direct_path(self.leaf.node(), tree.n_leaves()) {
            if let Some(p) = tree.parent(x)
                && !p.unmerged_leaves.contains(&self.leaf.0)
                && self.get(x).is_none()
            {
                return Err(TreeError::MissingPathKey { node: x });
            }
        }
        Ok(())
    }

    /// Checks that every held key belongs to a non-blank node of `tree` whose public key it
    /// matches.
    pub fn check_consistent(&self, tree: &RatchetTree) -> Result<(), TreeError> {
        let leaf_node = self.leaf.node();
        let entries = core::iter::once((leaf_node, &self.leaf_key))
            .chain(self.path.iter().map(|(n, k)| (*n, k)));
        for (x, k) in entries {
            match tree.node(x) {
                Some(n) if *n.encryption_key() == k.public => {}
                _ => return Err(TreeError::PrivateKeyMismatch { node: x }),
            }
        }
        Ok(())
    }

    /// Drops the keys of path nodes that are blank in `tree` or hold another public key (after
    /// proposals blanked them or a commit replaced them, RFC 9420 section 7.5).
    pub fn prune(&mut self, tree: &RatchetTree) {
        self.path.retain(|(x, k)| {
            tree.node(*x)
                .is_some_and(|n| *n.encryption_key() == k.public)
        });
    }

    /// A joiner's path keys from the `path_secret` of its Welcome (RFC 9420 section 12.4.3.1):
    /// the secret belongs to the lowest common ancestor of this member and the committer, and
    /// the ones above along the committer's filtered direct path follow from it. Each derived
    /// key must match the tree.
    pub fn join_with_path_secret(
        &mut self,
        tree: &RatchetTree,
        committer: LeafIndex,
        path_secret: &Secret,
    ) -> Result<(), TreeError> {
        let fdp = tree.filtered_direct_path(committer);
        let ca = math::common_ancestor(self.leaf.node(), committer.node());
        let start = fdp
            .iter()
            .position(|s| s.node == ca)
            .ok_or(TreeError::NodeNotOnPath { node: ca })?;
        let mut keys: heapless::Vec<(NodeIndex, HpkeKeyPair), MAX_DEPTH> = heapless::Vec::new();
        let mut secret = path_secret.clone();
        for step in fdp.iter().skip(start) {
            let kp = node_key_pair(&secret)?;
            match tree.node(step.node) {
                Some(n) if *n.encryption_key() == kp.public => {}
                _ => return Err(TreeError::PathKeyMismatch { node: step.node }),
            }
            let _ = keys.push((step.node, kp));
            secret = next_path_secret(&secret)?;
        }
        for (x, k) in keys {
            self.insert_pair(x, k)?;
        }
        Ok(())
    }

    /// Processes another member's UpdatePath (RFC 9420 section 7.5), on `tree` AFTER
    /// [`RatchetTree::merge_update_path`] and with the provisional GroupContext:
    /// checks the ciphertext counts, finds the common ancestor with the committer, decrypts the
    /// path secret sent to a node this member holds a key for, derives the secrets above it,
    /// checks every derived public key against the UpdatePath, then stores the new keys and
    /// drops keys the commit made stale. `new_members` are the leaves added by the same Commit
    /// (excluded from the resolutions). Nothing changes unless everything succeeds.
    pub fn process_update_path<S: CipherSuite>(
        &mut self,
        tree: &RatchetTree,
        sender: LeafIndex,
        path: &UpdatePath,
        group_context: &[u8],
        new_members: &[LeafIndex],
    ) -> Result<PathSecrets, TreeError> {
        if sender == self.leaf {
            return Err(TreeError::OwnUpdatePath);
        }
        let fdp = tree.filtered_direct_path(sender);
        check_path_shape(tree, &fdp, path, new_members)?;
        let ca = math::common_ancestor(self.leaf.node(), sender.node());
        let start = fdp
            .iter()
            .position(|s| s.node == ca)
            .ok_or(TreeError::NoDecryptionKey)?;
        let (step, upn) = fdp
            .get(start)
            .zip(path.nodes.get(start))
            .ok_or(TreeError::NoDecryptionKey)?;
        let res = filtered_resolution(tree, step.copath_child, new_members);
        let (ct, key) = res
            .iter()
            .zip(&upn.encrypted_path_secret)
            .find_map(|(x, ct)| self.get(*x).map(|k| (ct, k)))
            .ok_or(TreeError::NoDecryptionKey)?;
        let fail = TreeError::PathSecretDecryptionFailed { node: ca };
        let pt = decrypt_with_label::<S>(
            key,
            UPDATE_PATH_NODE_LABEL,
            group_context,
            &ct.kem_output,
            &ct.ciphertext,
        )
        .map_err(|_| fail)?;
        let mut secret = Secret::from_slice(&pt).ok_or(fail)?;
        let mut entries: heapless::Vec<PathEntry, MAX_DEPTH> = heapless::Vec::new();
        let mut keys: heapless::Vec<(NodeIndex, HpkeKeyPair), MAX_DEPTH> = heapless::Vec::new();
        for (step, upn) in fdp.iter().zip(&path.nodes).skip(start) {
            let kp = node_key_pair(&secret)?;
            let in_tree = tree.node(step.node).map(|n| *n.encryption_key());
            if kp.public != upn.encryption_key.0 || in_tree != Some(kp.public) {
                return Err(TreeError::PathKeyMismatch { node: step.node });
            }
            let next = next_path_secret(&secret)?;
            let _ = entries.push(PathEntry {
                node: step.node,
                secret,
                public: kp.public,
            });
            let _ = keys.push((step.node, kp));
            secret = next;
        }
        // Commit point: all checks passed.
        for (x, k) in keys {
            self.insert_pair(x, k)?;
        }
        self.prune(tree);
        Ok(PathSecrets {
            sender,
            entries,
            commit_secret: secret,
        })
    }
}

/// The resolution of `x` without the leaves of `new_members` (RFC 9420 section 7.6).
fn filtered_resolution(
    tree: &RatchetTree,
    x: NodeIndex,
    new_members: &[LeafIndex],
) -> Vec<NodeIndex> {
    let mut res = tree.resolution(x);
    res.retain(|n| !n.leaf().is_some_and(|l| new_members.contains(&l)));
    res
}

/// Every UpdatePathNode has one ciphertext per node of its copath child's resolution, new
/// members excluded (RFC 9420 section 7.6).
fn check_path_shape(
    tree: &RatchetTree,
    fdp: &FilteredPath,
    path: &UpdatePath,
    new_members: &[LeafIndex],
) -> Result<(), TreeError> {
    if fdp.len() != path.nodes.len() {
        return Err(TreeError::PathLengthMismatch {
            expected: fdp.len(),
            got: path.nodes.len(),
        });
    }
    for (step, upn) in fdp.iter().zip(&path.nodes) {
        let expected = filtered_resolution(tree, step.copath_child, new_members).len();
        if expected != upn.encrypted_path_secret.len() {
            return Err(TreeError::CiphertextCountMismatch {
                node: step.node,
                expected,
                got: upn.encrypted_path_secret.len(),
            });
        }
    }
    Ok(())
}

impl RatchetTree {
    /// The committer's side of RFC 9420 sections 7.4 and 7.5, merged into this tree: blanks the
    /// direct path of `sender`, draws a fresh `leaf_secret` from `rng`, derives the leaf key pair
    /// (`DeriveKeyPair(DeriveSecret(leaf_secret, "node"))`) and the path secrets
    /// (`path_secret[0] = DeriveSecret(leaf_secret, "path")`, then `DeriveSecret(., "path")` up
    /// the filtered direct path, as in the figure of section 7.4), sets the new node keys with
    /// empty unmerged lists, computes the parent hashes, and re-signs `leaf` as source `commit`
    /// with the new encryption key and parent hash. `leaf` carries the rest of the new leaf
    /// (credential, capabilities, extensions, signature key).
    ///
    /// Returns the path secrets (for the Welcome and the commit secret) and the committer's new
    /// private keys. Then compute the tree hash, build the provisional GroupContext and call
    /// [`RatchetTree::encrypt_update_path`].
    pub fn apply_own_update_path<R: CryptoRng + ?Sized>(
        &mut self,
        sender: LeafIndex,
        leaf: LeafNodeContent,
        signer: &SignaturePrivateKey,
        group_id: &[u8],
        rng: &mut R,
    ) -> Result<(PathSecrets, TreePrivateKeys), TreeError> {
        if sender.0 >= self.n_leaves() {
            return Err(TreeError::LeafOutOfRange { leaf: sender });
        }
        let fdp = self.filtered_direct_path(sender);
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let leaf_secret = Secret::from_bytes(seed);
        zeroize::Zeroize::zeroize(&mut seed);
        let leaf_kp = node_key_pair(&leaf_secret)?;
        let mut secret = next_path_secret(&leaf_secret)?;
        let mut entries: heapless::Vec<PathEntry, MAX_DEPTH> = heapless::Vec::new();
        let mut keys: heapless::Vec<[u8; 32], MAX_DEPTH> = heapless::Vec::new();
        let leaf_public = leaf_kp.public;
        let mut private = TreePrivateKeys {
            leaf: sender,
            leaf_key: leaf_kp,
            path: heapless::Vec::new(),
        };
        for step in &fdp {
            let kp = node_key_pair(&secret)?;
            let next = next_path_secret(&secret)?;
            let public = kp.public;
            let _ = keys.push(public);
            private.insert_pair(step.node, kp)?;
            let _ = entries.push(PathEntry {
                node: step.node,
                secret,
                public,
            });
            secret = next;
        }
        let phs = self.path_parent_hashes(&fdp, &keys)?;
        let mut content = leaf;
        content.encryption_key = HpkePublicKeyBytes::from(leaf_public);
        content.leaf_node_source =
            LeafNodeSource::Commit(phs.leaf.map(|h| h[..].into()).unwrap_or_default());
        let ctx = LeafSigningContext {
            group_id,
            leaf_index: sender,
        };
        let new_leaf = LeafNode::sign(content, signer, Some(ctx))?;
        self.install_path(sender, &fdp, &keys, &phs.fields, new_leaf)?;
        Ok((
            PathSecrets {
                sender,
                entries,
                commit_secret: secret,
            },
            private,
        ))
    }

    /// Blanks the direct path, sets the filtered-direct-path nodes and the leaf (the merge of
    /// RFC 9420 section 7.5), and refreshes the tree hashes.
    fn install_path(
        &mut self,
        sender: LeafIndex,
        fdp: &FilteredPath,
        keys: &[[u8; 32]],
        parent_hashes: &[Option<vmls_crypto::HashValue>],
        leaf: LeafNode,
    ) -> Result<(), TreeError> {
        for p in math::direct_path(sender.node(), self.n_leaves()) {
            self.storage.set_parent(p, None);
        }
        for ((step, key), ph) in fdp.iter().zip(keys).zip(parent_hashes) {
            self.storage.set_parent(
                step.node,
                Some(ParentNode {
                    encryption_key: HpkePublicKeyBytes::from(*key),
                    parent_hash: ph.map(|h| h[..].into()).unwrap_or_default(),
                    unmerged_leaves: Vec::new(),
                }),
            );
        }
        self.storage.set_leaf(sender, Some(leaf))?;
        self.storage.refresh_hashes()
    }

    /// Encrypts each path secret of `secrets` to the resolution of its copath child, without
    /// the leaves in `new_members`, under the provisional GroupContext `group_context`
    /// (`EncryptWithLabel(pk, "UpdatePathNode", group_context, path_secret)`, RFC 9420 sections
    /// 7.6 and 12.4.2), and assembles the UpdatePath from the committer's leaf and node keys in
    /// this tree (the tree [`RatchetTree::apply_own_update_path`] produced).
    pub fn encrypt_update_path<S: CipherSuite, R: CryptoRng + ?Sized>(
        &self,
        secrets: &PathSecrets,
        group_context: &[u8],
        new_members: &[LeafIndex],
        rng: &mut R,
    ) -> Result<UpdatePath, TreeError> {
        let sender = secrets.sender;
        let fdp = self.filtered_direct_path(sender);
        let leaf_node = self
            .leaf(sender)
            .ok_or(TreeError::BlankLeaf { leaf: sender })?
            .clone();
        if fdp.len() != secrets.entries.len() {
            return Err(TreeError::StalePathSecrets);
        }
        let mut nodes = Vec::with_capacity(fdp.len());
        for (step, e) in fdp.iter().zip(&secrets.entries) {
            let in_tree = self.node(step.node).map(|n| *n.encryption_key());
            if e.node != step.node || in_tree != Some(e.public) {
                return Err(TreeError::StalePathSecrets);
            }
            let res = filtered_resolution(self, step.copath_child, new_members);
            let mut cts = Vec::with_capacity(res.len());
            for x in res {
                let pk = self
                    .node(x)
                    .map(|n| *n.encryption_key())
                    .ok_or(TreeError::StalePathSecrets)?;
                cts.push(encrypt_with_label::<S, R>(
                    &pk,
                    UPDATE_PATH_NODE_LABEL,
                    group_context,
                    e.secret.as_bytes(),
                    rng,
                )?);
            }
            nodes.push(UpdatePathNode {
                encryption_key: HpkePublicKeyBytes::from(e.public),
                encrypted_path_secret: cts,
            });
        }
        Ok(UpdatePath { leaf_node, nodes })
    }

    /// Merges another member's UpdatePath into the tree (RFC 9420 sections 7.5 and 12.4.2):
    /// validates the new leaf (section 7.3, source `commit`, signed over `params.group_id` and
    /// `sender`), checks that the path has one node per filtered-direct-path node and that none
    /// of its public keys is already in the tree or repeated, recomputes the parent hashes and
    /// checks the leaf's `parent_hash` (section 7.9.2), then blanks the direct path and installs
    /// the new nodes and leaf. The tree is unchanged on error.
    ///
    /// `sender` may be a blank leaf (an external commit's leaf, see
    /// [`RatchetTree::leftmost_free_leaf`]).
    pub fn merge_update_path(
        &mut self,
        sender: LeafIndex,
        path: &UpdatePath,
        params: &LeafValidationParams<'_>,
    ) -> Result<(), TreeError> {
        if sender.0 >= self.n_leaves() {
            return Err(TreeError::LeafOutOfRange { leaf: sender });
        }
        let fdp = self.filtered_direct_path(sender);
        if fdp.len() != path.nodes.len() {
            return Err(TreeError::PathLengthMismatch {
                expected: fdp.len(),
                got: path.nodes.len(),
            });
        }
        self.validate_new_leaf(
            &path.leaf_node,
            Some(sender),
            Some(LeafNodeSourceType::Commit),
            params,
        )?;
        let mut keys: heapless::Vec<[u8; 32], MAX_DEPTH> = heapless::Vec::new();
        for (step, upn) in fdp.iter().zip(&path.nodes) {
            let k = upn.encryption_key.0;
            if keys.contains(&k) || k == *path.leaf_node.encryption_key() {
                return Err(TreeError::DuplicateEncryptionKey { node: step.node });
            }
            let _ = keys.push(k);
        }
        if let Some(x) = self.find_encryption_key(&keys) {
            return Err(TreeError::DuplicateEncryptionKey { node: x });
        }
        let phs = self.path_parent_hashes(&fdp, &keys)?;
        let want: &[u8] = phs.leaf.as_ref().map_or(&[], |h| h.as_slice());
        if path.leaf_node.parent_hash() != Some(want) {
            return Err(TreeError::LeafParentHashMismatch { leaf: sender });
        }
        self.install_path(sender, &fdp, &keys, &phs.fields, path.leaf_node.clone())
    }
}

/// `struct { uint32 leaf; opaque leaf_key<V>; PathKey path<V>; }` with
/// `PathKey = struct { uint32 node; opaque key<V>; }`: the private state for a persisted group
/// blob. The encoding holds secret keys: write it only into storage the application protects.
impl Encode for TreePrivateKeys {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.leaf.0.encode(w)?;
        vmls_codec::encode_opaque(w, self.leaf_key.private.as_bytes())?;
        let body = self.path.len() * (4 + 1 + 32);
        vmls_codec::encode_varint(w, body)?;
        for (x, k) in &self.path {
            x.0.encode(w)?;
            vmls_codec::encode_opaque(w, k.private.as_bytes())?;
        }
        Ok(())
    }
    fn encoded_len(&self) -> usize {
        let body = self.path.len() * (4 + 1 + 32);
        4 + 33 + vmls_codec::varint_len(body) + body
    }
}

impl Decode for TreePrivateKeys {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let leaf = LeafIndex(u32::decode(r)?);
        let key = |r: &mut Reader<'_>| {
            let b = r.read_opaque()?;
            HpkePrivateKey::from_slice(b).map_err(|_| CodecError::WrongLength {
                expected: 32,
                got: b.len(),
            })
        };
        let leaf_key = key(r)?;
        let mut out = TreePrivateKeys::new(leaf, leaf_key);
        let mut body = r.read_vec_body()?;
        while !body.is_empty() {
            let x = NodeIndex(u32::decode(&mut body)?);
            let k = key(&mut body)?;
            out.insert(x, k)
                .map_err(|_| CodecError::InvalidEnum(u64::from(x.0)))?;
        }
        Ok(out)
    }
}
