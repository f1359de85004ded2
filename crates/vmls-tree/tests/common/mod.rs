//! A small in-memory group for the tree tests: every member keeps its own copy of the public
//! tree and its own private keys, and proposals and commits are applied to every copy, the way
//! the group layer will drive vmls-tree.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use vmls_codec::{Decode, Encode, VLBytes};
use vmls_crypto::{
    HpkePrivateKey, Mls128ChaCha, SeededPrng, SignatureKeyPair, generate_hpke_key_pair,
};
use vmls_tree::node::{Capabilities, Credential, LeafNodeContent, LeafNodeSource, Lifetime};
use vmls_tree::{
    LeafIndex, LeafNode, LeafNodeSourceType, LeafSigningContext, LeafValidationParams, RatchetTree,
    TreePrivateKeys, UpdatePath,
};

pub const GROUP_ID: &[u8] = b"vmls-tree test group";

pub fn capabilities() -> Capabilities {
    Capabilities {
        versions: vec![1],
        cipher_suites: vec![3],
        extensions: vec![],
        proposals: vec![],
        credentials: vec![1],
    }
}

/// A fresh member: a KeyPackage-source leaf, its HPKE private key and signature key pair.
pub fn new_member(rng: &mut SeededPrng, id: u32) -> (LeafNode, HpkePrivateKey, SignatureKeyPair) {
    let sig = SignatureKeyPair::generate(rng);
    let enc = generate_hpke_key_pair(rng).unwrap();
    let content = LeafNodeContent {
        encryption_key: enc.public.into(),
        signature_key: sig.public.into(),
        credential: Credential::Basic(VLBytes::from(id.to_be_bytes().to_vec())),
        capabilities: capabilities().into(),
        leaf_node_source: LeafNodeSource::KeyPackage(Lifetime {
            not_before: 0,
            not_after: u64::MAX,
        }),
        extensions: vec![],
    };
    let leaf = LeafNode::sign(content, &sig.private, None).unwrap();
    (leaf, enc.private, sig)
}

pub fn params() -> LeafValidationParams<'static> {
    LeafValidationParams {
        group_id: GROUP_ID,
        ..LeafValidationParams::default()
    }
}

/// The GroupContext bytes the tests use as HPKE context: any byte string both sides agree on
/// works for TreeKEM; it includes the epoch and the new tree hash like the real one.
pub fn group_context(epoch: u64, tree: &RatchetTree) -> Vec<u8> {
    let mut v = GROUP_ID.to_vec();
    v.extend_from_slice(&epoch.to_be_bytes());
    v.extend_from_slice(&tree.tree_hash().unwrap());
    v
}

pub struct Member {
    pub tree: RatchetTree,
    pub keys: TreePrivateKeys,
    pub sig: SignatureKeyPair,
    /// Leaf key of a pending (proposed, not yet committed) Update.
    pub pending_leaf_key: Option<HpkePrivateKey>,
}

/// A proposal in a commit.
#[derive(Clone, Debug)]
pub enum Op {
    Add,
    Remove(u32),
    Update(u32),
}

pub struct Group {
    pub members: BTreeMap<u32, Member>,
    pub epoch: u64,
    pub next_id: u32,
    pub rng: SeededPrng,
}

pub struct CommitResult {
    pub commit_secret: Option<[u8; 32]>,
    pub joiners: Vec<LeafIndex>,
}

impl Group {
    pub fn new(seed: u8) -> Self {
        let mut rng = SeededPrng::from_seed([seed; 32]);
        let (leaf, enc, sig) = new_member(&mut rng, 0);
        let tree = RatchetTree::new(leaf).unwrap();
        let mut members = BTreeMap::new();
        members.insert(
            0,
            Member {
                tree,
                keys: TreePrivateKeys::new(LeafIndex(0), enc),
                sig,
                pending_leaf_key: None,
            },
        );
        Self {
            members,
            epoch: 0,
            next_id: 1,
            rng,
        }
    }

    pub fn indices(&self) -> Vec<u32> {
        self.members.keys().copied().collect()
    }

    pub fn any_tree(&self) -> &RatchetTree {
        &self.members.values().next().unwrap().tree
    }

    /// Commits `ops` by `committer`, with an UpdatePath if `with_path`. Returns the commit
    /// secret every member derived (asserting they agree) and the new members.
    pub fn commit(&mut self, committer: u32, ops: &[Op], with_path: bool) -> CommitResult {
        let p = params();
        // Build the proposals once (as their senders would).
        let mut updates: Vec<(u32, LeafNode, HpkePrivateKey)> = Vec::new();
        let mut removes: Vec<u32> = Vec::new();
        let mut adds: Vec<(LeafNode, HpkePrivateKey, SignatureKeyPair)> = Vec::new();
        for op in ops {
            match op {
                Op::Update(i) => {
                    let m = &self.members[i];
                    let enc = generate_hpke_key_pair(&mut self.rng).unwrap();
                    let mut content = m.tree.leaf(LeafIndex(*i)).unwrap().content.clone();
                    content.encryption_key = enc.public.into();
                    content.leaf_node_source = LeafNodeSource::Update;
                    let ctx = LeafSigningContext {
                        group_id: GROUP_ID,
                        leaf_index: LeafIndex(*i),
                    };
                    let leaf = LeafNode::sign(content, &m.sig.private, Some(ctx)).unwrap();
                    m.tree
                        .validate_new_leaf(
                            &leaf,
                            Some(LeafIndex(*i)),
                            Some(LeafNodeSourceType::Update),
                            &p,
                        )
                        .unwrap();
                    updates.push((*i, leaf, enc.private));
                }
                Op::Remove(i) => removes.push(*i),
                Op::Add => {
                    let id = self.next_id;
                    self.next_id += 1;
                    let (leaf, enc, sig) = new_member(&mut self.rng, id);
                    adds.push((leaf, enc, sig));
                }
            }
        }
        // Every member applies the proposals: updates, removes, adds (RFC 9420 section 12.3).
        let mut joiners = Vec::new();
        for (idx, m) in self.members.iter_mut() {
            for (i, leaf, _) in &updates {
                m.tree.update_leaf(LeafIndex(*i), leaf.clone()).unwrap();
            }
            for i in &removes {
                m.tree.remove_leaf(LeafIndex(*i)).unwrap();
            }
            let mut js = Vec::new();
            for (leaf, _, _) in &adds {
                m.tree
                    .validate_new_leaf(leaf, None, Some(LeafNodeSourceType::KeyPackage), &p)
                    .unwrap();
                js.push(m.tree.add_leaf(leaf.clone()).unwrap());
            }
            if let Some((_, _, k)) = updates.iter().find(|(i, _, _)| i == idx) {
                m.keys.set_leaf_key(k.clone());
            }
            m.keys.prune(&m.tree);
            joiners = js;
        }
        for i in &removes {
            self.members.remove(i);
        }
        self.epoch += 1;
        let epoch = self.epoch;

        let mut commit_secret = None;
        let mut welcome_secrets: Vec<Option<[u8; 32]>> = vec![None; joiners.len()];
        if with_path {
            let c = self.members.get_mut(&committer).unwrap();
            let content = c.tree.leaf(LeafIndex(committer)).unwrap().content.clone();
            let (secrets, keys) = c
                .tree
                .apply_own_update_path(
                    LeafIndex(committer),
                    content,
                    &c.sig.private,
                    GROUP_ID,
                    &mut self.rng,
                )
                .unwrap();
            c.keys = keys;
            let ctx = group_context(epoch, &c.tree);
            let path = c
                .tree
                .encrypt_update_path::<Mls128ChaCha, _>(&secrets, &ctx, &joiners, &mut self.rng)
                .unwrap();
            let path = UpdatePath::decode_exact(&path.to_bytes().unwrap()).unwrap();
            let cs = *secrets.commit_secret().as_bytes();
            for (k, j) in joiners.iter().enumerate() {
                welcome_secrets[k] = secrets.path_secret_for_joiner(*j).map(|s| *s.as_bytes());
            }
            for (idx, m) in self.members.iter_mut() {
                if *idx == committer {
                    continue;
                }
                m.tree
                    .merge_update_path(LeafIndex(committer), &path, &p)
                    .unwrap();
                let ctx = group_context(epoch, &m.tree);
                let got = m
                    .keys
                    .process_update_path::<Mls128ChaCha>(
                        &m.tree,
                        LeafIndex(committer),
                        &path,
                        &ctx,
                        &joiners,
                    )
                    .unwrap();
                assert_eq!(
                    got.commit_secret().as_bytes(),
                    &cs,
                    "commit secret at leaf {idx}"
                );
                // The path secret each receiver decrypted is the committer's for that node.
                for (x, s) in got.iter() {
                    assert_eq!(secrets.path_secret(x).unwrap().as_bytes(), s.as_bytes());
                }
            }
            commit_secret = Some(cs);
        }
        // New members join from the committer's tree (sent as a ratchet_tree extension).
        let wire = self.members[&committer].tree.to_bytes().unwrap();
        for (k, ((_, enc, sig), j)) in adds.into_iter().zip(&joiners).enumerate() {
            let tree = RatchetTree::from_bytes(&wire, 1 << 16).unwrap();
            tree.validate(&p).unwrap();
            let mut keys = TreePrivateKeys::new(*j, enc);
            if let Some(ps) = welcome_secrets[k] {
                keys.join_with_path_secret(
                    &tree,
                    LeafIndex(committer),
                    &vmls_crypto::Secret::from_bytes(ps),
                )
                .unwrap();
            }
            self.members.insert(
                j.0,
                Member {
                    tree,
                    keys,
                    sig,
                    pending_leaf_key: None,
                },
            );
        }
        CommitResult {
            commit_secret,
            joiners,
        }
    }

    /// Every member has the same tree, the tree is valid, and each member's private keys match
    /// the tree invariant (RFC 9420 section 4.2): for each non-blank node on its direct path,
    /// the member either holds the private key or is an unmerged leaf of it.
    pub fn check_invariants(&self) {
        let first = self.any_tree();
        let th = first.tree_hash().unwrap();
        first.validate(&params()).unwrap();
        for (idx, m) in &self.members {
            assert_eq!(m.tree.tree_hash().unwrap(), th, "tree hash at leaf {idx}");
            assert_eq!(&m.tree, first, "tree at leaf {idx}");
            m.keys.check_consistent(&m.tree).unwrap();
            let leaf = LeafIndex(*idx);
            for x in vmls_tree::math::direct_path(leaf.node(), m.tree.n_leaves()) {
                if let Some(p) = m.tree.parent(x) {
                    let unmerged = p.unmerged_leaves.contains(idx);
                    let holds = m.keys.get(x).is_some();
                    assert!(
                        unmerged != holds,
                        "leaf {idx} node {}: unmerged {unmerged}, holds key {holds}",
                        x.0
                    );
                }
            }
        }
    }
}
