//! Ratchet tree structure, encoding, hashing, validation and TreeKEM against RFC 9420's own
//! examples and rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Group, Op, params};
use vmls_codec::{Decode, Encode, VLBytes};
use vmls_crypto::{Mls128ChaCha, SeededPrng};
use vmls_tree::node::{Capabilities, Credential, LeafNodeContent, LeafNodeSource, Lifetime};
use vmls_tree::{
    Extension, LeafIndex, LeafNode, LeafNodeSourceType, LeafSigningContext, LeafValidationParams,
    Node, NodeIndex, ParentNode, RatchetTree, RequiredCapabilities, TreeError, TreePrivateKeys,
    UpdatePath,
};

/// A leaf whose only meaningful field is a distinct encryption key (shape tests only).
fn dummy_leaf(tag: u8) -> Node {
    Node::Leaf(LeafNode {
        content: LeafNodeContent {
            encryption_key: [tag; 32].into(),
            signature_key: [tag; 32].into(),
            credential: Credential::Basic(VLBytes::from(vec![tag])),
            capabilities: Capabilities::default().into(),
            leaf_node_source: LeafNodeSource::Update,
            extensions: vec![],
        },
        signature: [0; 64].into(),
    })
}

fn dummy_parent(tag: u8, unmerged: &[u32]) -> Node {
    Node::Parent(ParentNode {
        encryption_key: [tag; 32].into(),
        parent_hash: Default::default(),
        unmerged_leaves: unmerged.to_vec(),
    })
}

fn nodes(list: &[u32]) -> Vec<NodeIndex> {
    list.iter().map(|&i| NodeIndex(i)).collect()
}

/// RFC 9420 section 4.1.1, figure "A Tree with Blanks and Unmerged Leaves".
#[test]
fn resolution_example_of_section_4_1_1() {
    let mut v: Vec<Option<Node>> = vec![None; 15];
    for (leaf, tag) in [
        (0u32, b'A'),
        (1, b'B'),
        (3, b'D'),
        (4, b'E'),
        (5, b'F'),
        (7, b'H'),
    ] {
        v[2 * leaf as usize] = Some(dummy_leaf(tag));
    }
    v[3] = Some(dummy_parent(b'X', &[1]));
    v[9] = Some(dummy_parent(b'Y', &[]));
    let t = RatchetTree::from_nodes(v, 64).unwrap();
    assert_eq!(t.resolution(NodeIndex(3)), nodes(&[3, 2]), "X -> [X, B]");
    assert!(t.resolution(NodeIndex(4)).is_empty(), "leaf 2");
    assert!(t.resolution(NodeIndex(12)).is_empty(), "leaf 6");
    assert_eq!(
        t.resolution(NodeIndex(7)),
        nodes(&[3, 2, 9, 14]),
        "top -> [X, B, Y, H]"
    );
}

/// RFC 9420 section 4.1.2, figure "A Complete Tree with Five Members" and its table.
#[test]
fn filtered_direct_paths_of_section_4_1_2() {
    let mut v: Vec<Option<Node>> = vec![None; 15];
    for (leaf, tag) in [(0u32, b'A'), (1, b'B'), (4, b'E'), (5, b'F'), (6, b'G')] {
        v[2 * leaf as usize] = Some(dummy_leaf(tag));
    }
    v[1] = Some(dummy_parent(b'T', &[]));
    v[7] = Some(dummy_parent(b'W', &[]));
    v[9] = Some(dummy_parent(b'X', &[]));
    v[11] = Some(dummy_parent(b'Y', &[]));
    v.truncate(13);
    let t = RatchetTree::from_nodes(v, 64).unwrap();
    assert_eq!(t.n_leaves(), 8);
    let fdp = |l: u32| -> Vec<NodeIndex> {
        t.filtered_direct_path(LeafIndex(l))
            .iter()
            .map(|s| s.node)
            .collect()
    };
    // T=1, U=3, W=7, X=9, Y=11, Z=13.
    assert_eq!(fdp(0), nodes(&[1, 7]), "A: T, W");
    assert_eq!(fdp(1), nodes(&[1, 7]), "B: T, W");
    assert_eq!(fdp(4), nodes(&[9, 11, 7]), "E: X, Y, W");
    assert_eq!(fdp(5), nodes(&[9, 11, 7]), "F: X, Y, W");
    assert_eq!(fdp(6), nodes(&[11, 7]), "G: Y, W");
    let copath: Vec<NodeIndex> = t
        .filtered_direct_path(LeafIndex(4))
        .iter()
        .map(|s| s.copath_child)
        .collect();
    assert_eq!(copath, nodes(&[10, 13, 3]), "E's copath children: F, Z, U");
}

/// RFC 9420 section 12.4.3.3: `[A, W, B, X, C, _, D, Y, E, Z, F]` is an 8-leaf tree with Y at
/// the root, and it re-encodes without the padding.
#[test]
fn ratchet_tree_extension_example() {
    let v = vec![
        Some(dummy_leaf(b'A')),
        Some(dummy_parent(b'W', &[])),
        Some(dummy_leaf(b'B')),
        Some(dummy_parent(b'X', &[])),
        Some(dummy_leaf(b'C')),
        None,
        Some(dummy_leaf(b'D')),
        Some(dummy_parent(b'Y', &[])),
        Some(dummy_leaf(b'E')),
        Some(dummy_parent(b'Z', &[])),
        Some(dummy_leaf(b'F')),
    ];
    let wire = v.to_bytes().unwrap();
    let t = RatchetTree::from_bytes(&wire, 64).unwrap();
    assert_eq!(t.n_leaves(), 8);
    assert_eq!(t.root(), NodeIndex(7));
    assert_eq!(t.parent(t.root()).unwrap().encryption_key.0, [b'Y'; 32]);
    assert!(t.leaf(LeafIndex(6)).is_none() && t.leaf(LeafIndex(7)).is_none());
    assert_eq!(t.to_bytes().unwrap(), wire);
    assert_eq!(t.encoded_len(), wire.len());
}

#[test]
fn ratchet_tree_extension_rejects_malformed_trees() {
    let empty: Vec<Option<Node>> = vec![];
    assert_eq!(
        RatchetTree::from_bytes(&empty.to_bytes().unwrap(), 64),
        Err(TreeError::EmptyTree)
    );
    let trailing = vec![Some(dummy_leaf(1)), None, None];
    assert_eq!(
        RatchetTree::from_bytes(&trailing.to_bytes().unwrap(), 64),
        Err(TreeError::TrailingBlankNode)
    );
    let misplaced = vec![Some(dummy_leaf(1)), Some(dummy_leaf(2))];
    assert_eq!(
        RatchetTree::from_bytes(&misplaced.to_bytes().unwrap(), 64),
        Err(TreeError::NodeTypeMismatch { node: NodeIndex(1) })
    );
    let parent_at_leaf = vec![Some(dummy_parent(1, &[]))];
    assert_eq!(
        RatchetTree::from_bytes(&parent_at_leaf.to_bytes().unwrap(), 64),
        Err(TreeError::NodeTypeMismatch { node: NodeIndex(0) })
    );
    // 5 entries need 4 leaves: over a limit of 2.
    let big = vec![Some(dummy_leaf(1)), None, None, None, Some(dummy_leaf(2))];
    assert_eq!(
        RatchetTree::from_bytes(&big.to_bytes().unwrap(), 2),
        Err(TreeError::TooManyLeaves { max: 2 })
    );
    // An even-length list ends in a parent: the tree is extended to the right (12.4.3.3),
    // the parent is kept, not dropped.
    let ends_in_parent = vec![Some(dummy_leaf(1)), Some(dummy_parent(2, &[]))];
    let t = RatchetTree::from_bytes(&ends_in_parent.to_bytes().unwrap(), 64).unwrap();
    assert_eq!(t.n_leaves(), 2);
    assert!(t.parent(NodeIndex(1)).is_some());
    // A length prefix larger than the input.
    assert!(matches!(
        RatchetTree::from_bytes(&[0x40, 0xff, 0x01], 64),
        Err(TreeError::Codec(_))
    ));
}

/// RFC 9420 section 7.7 figures: adding a third member doubles a full 2-leaf tree; removing it
/// again halves the tree; section 12.1.3: the tree ends with 2^d leaves, d smallest with
/// 2^d > rightmost non-blank leaf.
#[test]
fn extend_and_truncate() {
    let mut rng = SeededPrng::from_seed([1; 32]);
    let (a, _, _) = common::new_member(&mut rng, 0);
    let mut t = RatchetTree::new(a).unwrap();
    let leaves: Vec<LeafNode> = (1..6).map(|i| common::new_member(&mut rng, i).0).collect();
    assert_eq!(t.add_leaf(leaves[0].clone()).unwrap(), LeafIndex(1));
    assert_eq!(t.n_leaves(), 2);
    assert_eq!(t.add_leaf(leaves[1].clone()).unwrap(), LeafIndex(2));
    assert_eq!(t.n_leaves(), 4);
    t.remove_leaf(LeafIndex(2)).unwrap();
    assert_eq!(t.n_leaves(), 2);
    for l in &leaves[1..5] {
        t.add_leaf(l.clone()).unwrap();
    }
    assert_eq!(t.n_leaves(), 8); // leaves 0..=5
    t.remove_leaf(LeafIndex(1)).unwrap();
    assert_eq!(t.n_leaves(), 8);
    assert_eq!(
        t.add_leaf(leaves[0].clone()).unwrap(),
        LeafIndex(1),
        "leftmost blank leaf"
    );
    t.remove_leaf(LeafIndex(5)).unwrap();
    t.remove_leaf(LeafIndex(4)).unwrap();
    assert_eq!(t.n_leaves(), 4, "rightmost leaf 3: 4 > 3");
    t.remove_leaf(LeafIndex(3)).unwrap();
    t.remove_leaf(LeafIndex(2)).unwrap();
    assert_eq!(t.n_leaves(), 2);
    assert_eq!(
        t.remove_leaf(LeafIndex(3)),
        Err(TreeError::LeafOutOfRange { leaf: LeafIndex(3) })
    );
    t.remove_leaf(LeafIndex(1)).unwrap();
    assert_eq!(t.n_leaves(), 1);
    assert_eq!(
        t.remove_leaf(LeafIndex(1)),
        Err(TreeError::LeafOutOfRange { leaf: LeafIndex(1) })
    );
}

/// RFC 9420 section 12.1.1: an Add lists the new leaf as unmerged at every non-blank parent on
/// its direct path, and the list stays sorted.
#[test]
fn add_marks_unmerged_leaves() {
    let mut g = Group::new(2);
    g.commit(0, &[Op::Add, Op::Add, Op::Add], true);
    g.commit(0, &[Op::Update(1)], true);
    g.commit(0, &[Op::Remove(2)], true);
    // Tree: 0 1 _ 3, root non-blank (commit by 0), node 1 non-blank, node 5 blank.
    let t = g.any_tree();
    assert!(t.parent(NodeIndex(3)).unwrap().unmerged_leaves.is_empty());
    g.commit(0, &[Op::Add], false);
    let t = g.any_tree();
    assert_eq!(t.parent(NodeIndex(3)).unwrap().unmerged_leaves, vec![2]);
    assert!(t.parent(NodeIndex(5)).is_none());
    assert_eq!(t.resolution(NodeIndex(3)), nodes(&[3, 4]));
    g.check_invariants();
}

/// Tree hashes are cached per parent node and refreshed along changed paths: after a series of
/// operations every node's cached hash equals a from-scratch computation over the decoded tree.
#[test]
fn cached_tree_hashes_match_fresh_computation() {
    let mut g = Group::new(3);
    g.commit(0, &[Op::Add, Op::Add, Op::Add, Op::Add, Op::Add], true);
    g.commit(2, &[Op::Remove(4), Op::Update(1)], true);
    g.commit(3, &[Op::Add, Op::Add, Op::Add, Op::Add], false);
    g.commit(5, &[Op::Remove(0)], true);
    let t = g.any_tree();
    let fresh = RatchetTree::from_bytes(&t.to_bytes().unwrap(), 64).unwrap();
    for x in 0..t.storage().width() {
        let x = NodeIndex(x);
        assert_eq!(
            t.node_hash(x).unwrap(),
            fresh.node_hash(x).unwrap(),
            "node {}",
            x.0
        );
        // Parent hashes are cached; leaf hashes are recomputed on demand.
        assert_eq!(
            t.storage().cached_hash(x).is_some(),
            !x.is_leaf(),
            "node {} cached",
            x.0
        );
    }
    g.check_invariants();
}

fn key_package_content(rng: &mut SeededPrng) -> (LeafNodeContent, vmls_crypto::SignatureKeyPair) {
    let sig = vmls_crypto::SignatureKeyPair::generate(rng);
    let enc = vmls_crypto::generate_hpke_key_pair(rng).unwrap();
    let c = LeafNodeContent {
        encryption_key: enc.public.into(),
        signature_key: sig.public.into(),
        credential: Credential::Basic(VLBytes::from(b"alice".to_vec())),
        capabilities: common::capabilities().into(),
        leaf_node_source: LeafNodeSource::KeyPackage(Lifetime {
            not_before: 100,
            not_after: 200,
        }),
        extensions: vec![],
    };
    (c, sig)
}

/// RFC 9420 section 7.2: the TBS of `update`/`commit` leaves binds group_id and leaf_index;
/// `key_package` leaves bind neither.
#[test]
fn leaf_signatures_bind_group_and_index() {
    let mut rng = SeededPrng::from_seed([4; 32]);
    let (mut c, sig) = key_package_content(&mut rng);
    let kp = LeafNode::sign(c.clone(), &sig.private, None).unwrap();
    kp.verify(None).unwrap();
    let other = LeafSigningContext {
        group_id: b"g",
        leaf_index: LeafIndex(9),
    };
    kp.verify(Some(other)).unwrap();

    c.leaf_node_source = LeafNodeSource::Update;
    assert_eq!(
        LeafNode::sign(c.clone(), &sig.private, None),
        Err(TreeError::MissingLeafContext)
    );
    let ctx = LeafSigningContext {
        group_id: b"group",
        leaf_index: LeafIndex(3),
    };
    let up = LeafNode::sign(c.clone(), &sig.private, Some(ctx)).unwrap();
    up.verify(Some(ctx)).unwrap();
    for bad in [
        LeafSigningContext {
            group_id: b"grouq",
            leaf_index: LeafIndex(3),
        },
        LeafSigningContext {
            group_id: b"group",
            leaf_index: LeafIndex(4),
        },
    ] {
        assert_eq!(
            up.verify(Some(bad)),
            Err(TreeError::InvalidLeafSignature {
                leaf: Some(bad.leaf_index)
            })
        );
    }
    let mut tampered = up.clone();
    std::sync::Arc::make_mut(&mut tampered.content.capabilities)
        .versions
        .push(2);
    assert!(matches!(
        tampered.verify(Some(ctx)),
        Err(TreeError::InvalidLeafSignature { .. })
    ));

    let other_key = vmls_crypto::SignatureKeyPair::generate(&mut rng);
    assert_eq!(
        LeafNode::sign(c, &other_key.private, Some(ctx)),
        Err(TreeError::SignatureKeyMismatch)
    );
}

/// RFC 9420 section 7.3 checks on a single leaf.
#[test]
fn leaf_validation_rules() {
    let mut rng = SeededPrng::from_seed([5; 32]);
    let (c, sig) = key_package_content(&mut rng);
    let sign = |c: &LeafNodeContent| LeafNode::sign(c.clone(), &sig.private, None).unwrap();
    let p = LeafValidationParams::default();
    sign(&c)
        .validate(Some(LeafNodeSourceType::KeyPackage), None, &p)
        .unwrap();
    assert!(matches!(
        sign(&c).validate(Some(LeafNodeSourceType::Commit), None, &p),
        Err(TreeError::WrongLeafNodeSource {
            expected: 3,
            got: 1,
            ..
        })
    ));

    let mut no_cred = c.clone();
    std::sync::Arc::make_mut(&mut no_cred.capabilities).credentials = vec![2];
    assert!(matches!(
        sign(&no_cred).validate(None, None, &p),
        Err(TreeError::CredentialTypeNotInCapabilities {
            credential_type: 1,
            ..
        })
    ));

    let mut ext = c.clone();
    ext.extensions.push(Extension {
        extension_type: 0xff00,
        extension_data: VLBytes::default(),
    });
    assert!(matches!(
        sign(&ext).validate(None, None, &p),
        Err(TreeError::UnsupportedExtension {
            extension_type: 0xff00,
            ..
        })
    ));
    std::sync::Arc::make_mut(&mut ext.capabilities)
        .extensions
        .push(0xff00);
    sign(&ext).validate(None, None, &p).unwrap();
    // application_id is a default extension: allowed without being listed.
    ext.extensions.push(Extension {
        extension_type: 1,
        extension_data: VLBytes::default(),
    });
    sign(&ext).validate(None, None, &p).unwrap();
    ext.extensions.push(Extension {
        extension_type: 1,
        extension_data: VLBytes::default(),
    });
    assert!(matches!(
        sign(&ext).validate(None, None, &p),
        Err(TreeError::DuplicateExtension { .. })
    ));

    let req = RequiredCapabilities {
        extension_types: vec![0xff01, 2],
        proposal_types: vec![1],
        credential_types: vec![1],
    };
    let with_req = LeafValidationParams {
        required_capabilities: Some(&req),
        ..p
    };
    assert!(matches!(
        sign(&c).validate(None, None, &with_req),
        Err(TreeError::MissingRequiredCapability { .. })
    ));
    let mut caps = c.clone();
    std::sync::Arc::make_mut(&mut caps.capabilities)
        .extensions
        .push(0xff01);
    sign(&caps).validate(None, None, &with_req).unwrap();

    for (now, ok) in [(99, false), (100, true), (200, true), (201, false)] {
        let at = LeafValidationParams {
            now: Some(now),
            ..p
        };
        assert_eq!(
            sign(&c).validate(None, None, &at).is_ok(),
            ok,
            "now = {now}"
        );
    }
    let short = LeafValidationParams {
        max_lifetime: Some(99),
        ..p
    };
    assert!(matches!(
        sign(&c).validate(None, None, &short),
        Err(TreeError::InvalidLifetime { .. })
    ));
}

/// RFC 9420 section 7.3: a new leaf's keys must be unique and its credential type supported by
/// all members.
#[test]
fn new_leaf_checks_against_the_tree() {
    let mut g = Group::new(6);
    g.commit(0, &[Op::Add, Op::Add], true);
    let t = g.any_tree().clone();
    let p = params();
    let mut rng = SeededPrng::from_seed([60; 32]);
    let (leaf, _, sig) = common::new_member(&mut rng, 99);
    t.validate_new_leaf(&leaf, None, Some(LeafNodeSourceType::KeyPackage), &p)
        .unwrap();

    // Same encryption key as member 1.
    let mut c = leaf.content.clone();
    c.encryption_key = t.leaf(LeafIndex(1)).unwrap().content.encryption_key;
    let dup = LeafNode::sign(c, &sig.private, None).unwrap();
    assert_eq!(
        t.validate_new_leaf(&dup, None, None, &p),
        Err(TreeError::DuplicateEncryptionKey { node: NodeIndex(2) })
    );
    // Same encryption key as the root (a parent node).
    let mut c = leaf.content.clone();
    c.encryption_key = t.parent(t.root()).unwrap().encryption_key;
    let dup = LeafNode::sign(c, &sig.private, None).unwrap();
    assert_eq!(
        t.validate_new_leaf(&dup, None, None, &p),
        Err(TreeError::DuplicateEncryptionKey { node: t.root() })
    );
    // An Update that keeps the encryption key of the leaf it replaces.
    let m1 = &g.members[&1];
    let mut c = t.leaf(LeafIndex(1)).unwrap().content.clone();
    c.leaf_node_source = LeafNodeSource::Update;
    let ctx = LeafSigningContext {
        group_id: common::GROUP_ID,
        leaf_index: LeafIndex(1),
    };
    let same = LeafNode::sign(c, &m1.sig.private, Some(ctx)).unwrap();
    assert_eq!(
        t.validate_new_leaf(
            &same,
            Some(LeafIndex(1)),
            Some(LeafNodeSourceType::Update),
            &p
        ),
        Err(TreeError::EncryptionKeyNotUpdated { leaf: LeafIndex(1) })
    );
    // Member 2's signature key.
    let m2 = &g.members[&2];
    let mut c = t.leaf(LeafIndex(2)).unwrap().content.clone();
    c.encryption_key = leaf.content.encryption_key;
    c.leaf_node_source = LeafNodeSource::KeyPackage(Lifetime {
        not_before: 0,
        not_after: 1,
    });
    let dup = LeafNode::sign(c, &m2.sig.private, None).unwrap();
    assert_eq!(
        t.validate_new_leaf(&dup, None, None, &p),
        Err(TreeError::DuplicateSignatureKey { leaf: LeafIndex(2) })
    );
    // An x509 credential the members do not support.
    let mut c = leaf.content.clone();
    c.credential = Credential::X509(vec![VLBytes::from(vec![1, 2, 3])].into());
    std::sync::Arc::make_mut(&mut c.capabilities).credentials = vec![1, 2];
    let x509 = LeafNode::sign(c, &sig.private, None).unwrap();
    assert_eq!(
        t.validate_new_leaf(&x509, None, None, &p),
        Err(TreeError::UnsupportedCredentialType {
            leaf: Some(LeafIndex(0)),
            credential_type: 2
        })
    );
}

/// `SignContent` (RFC 9420 section 5.1.2), built by hand.
fn sign_content(label: &[u8], content: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    vmls_codec::encode_opaque(&mut v, &[b"MLS 1.0 ".as_slice(), label].concat()).unwrap();
    vmls_codec::encode_opaque(&mut v, content).unwrap();
    v
}

/// `SignWithLabel` by the RFC 8032 5.1.6 equations for the key with this seed, except that the
/// nonce point is `R = [r]B + T` with `T` of order 8.
fn torsion_signature(seed: &[u8; 32], label: &[u8], content: &[u8]) -> [u8; 64] {
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
    use curve25519_dalek::scalar::Scalar;
    use sha2::{Digest, Sha512};
    let h = Sha512::digest(seed);
    let mut a_bytes: [u8; 32] = h[..32].try_into().unwrap();
    a_bytes[0] &= 248;
    a_bytes[31] &= 127;
    a_bytes[31] |= 64;
    let a = Scalar::from_bytes_mod_order(a_bytes);
    let public = (ED25519_BASEPOINT_POINT * a).compress();
    assert_eq!(
        public.to_bytes(),
        ed25519_dalek::SigningKey::from_bytes(seed)
            .verifying_key()
            .to_bytes()
    );
    let r = Scalar::from_bytes_mod_order_wide(&Sha512::digest(b"torsion nonce").into());
    let big_r = (ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[1]).compress();
    let mut k = Sha512::new();
    k.update(big_r.as_bytes());
    k.update(public.as_bytes());
    k.update(sign_content(label, content));
    let k = Scalar::from_bytes_mod_order_wide(&k.finalize().into());
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(big_r.as_bytes());
    sig[32..].copy_from_slice((r + k * a).as_bytes());
    sig
}

/// The cofactored RFC 8032 5.1.7 equation `[8][S]B = [8]R + [8][k]A`.
fn cofactored_holds(key: &ed25519_dalek::VerifyingKey, msg: &[u8], sig: &[u8; 64]) -> bool {
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
    use curve25519_dalek::edwards::CompressedEdwardsY;
    use curve25519_dalek::scalar::Scalar;
    use curve25519_dalek::traits::IsIdentity;
    use sha2::{Digest, Sha512};
    let r = CompressedEdwardsY(sig[..32].try_into().unwrap())
        .decompress()
        .unwrap();
    let s = Scalar::from_canonical_bytes(sig[32..].try_into().unwrap()).unwrap();
    let mut k = Sha512::new();
    k.update(&sig[..32]);
    k.update(key.as_bytes());
    k.update(msg);
    let k = Scalar::from_bytes_mod_order_wide(&k.finalize().into());
    (ED25519_BASEPOINT_POINT * s - key.to_edwards() * k - r)
        .mul_by_cofactor()
        .is_identity()
}

/// Joiner validation (RFC 9420 section 12.4.3.1) rejects tampered trees.
#[test]
fn joiner_validation_rejects_tampering() {
    let mut g = Group::new(7);
    g.commit(0, &[Op::Add, Op::Add, Op::Add, Op::Add], true);
    g.commit(2, &[], true);
    g.commit(0, &[Op::Add], false);
    let good = g.any_tree().clone();
    let p = params();
    good.validate(&p).unwrap();
    let mut v: Vec<Option<Node>> =
        Vec::<Option<Node>>::decode_exact(&good.to_bytes().unwrap()).unwrap();
    let rebuild = |v: &Vec<Option<Node>>| RatchetTree::from_nodes(v.clone(), 64).unwrap();

    // A parent key replaced: its parent hash no longer chains.
    let mut w = v.clone();
    if let Some(Some(Node::Parent(pn))) = w.get_mut(3) {
        pn.encryption_key = [9; 32].into();
    } else {
        panic!("node 3 should be a parent");
    }
    assert!(matches!(
        rebuild(&w).validate(&p),
        Err(TreeError::InvalidParentHash { .. })
    ));

    // An unmerged leaf dropped from the root.
    let root = good.root().0 as usize;
    let mut w = v.clone();
    if let Some(Some(Node::Parent(pn))) = w.get_mut(root) {
        assert_eq!(pn.unmerged_leaves, vec![5]);
        pn.unmerged_leaves.clear();
    }
    assert!(rebuild(&w).validate(&p).is_err());

    // An unmerged leaf that is not below the node.
    let mut w = v.clone();
    if let Some(Some(Node::Parent(pn))) = w.get_mut(3) {
        pn.unmerged_leaves.push(5);
    }
    assert_eq!(
        rebuild(&w).check_unmerged_leaves(),
        Err(TreeError::InvalidUnmergedLeaves { node: NodeIndex(3) })
    );

    // A leaf signature broken.
    let mut w = v.clone();
    if let Some(Some(Node::Leaf(l))) = w.get_mut(2) {
        l.signature.0[0] ^= 1;
    }
    assert_eq!(
        rebuild(&w).validate(&p),
        Err(TreeError::InvalidLeafSignature {
            leaf: Some(LeafIndex(1))
        })
    );

    // A broken S (the point R still decodes): the equation fails and the error names the leaf.
    let mut w = v.clone();
    if let Some(Some(Node::Leaf(l))) = w.get_mut(2) {
        l.signature.0[40] ^= 1;
    }
    assert_eq!(
        rebuild(&w).validate(&p),
        Err(TreeError::InvalidLeafSignature {
            leaf: Some(LeafIndex(1))
        })
    );

    // Leaf 1 re-signed with a torsion component in R (a malicious member's own leaf): the
    // cofactored equation holds, so a joiner verifying with it (or in a cofactored batch, as
    // vmls did) accepted the tree; ed25519-dalek's verify_strict (OpenMLS) rejects it, and so
    // must the joiner (docs/spec-decisions.md, "Ed25519 verification semantics").
    let mut w = v.clone();
    let seed = g.members[&1].sig.private.to_bytes();
    if let Some(Some(Node::Leaf(l))) = w.get_mut(2) {
        let tbs = vmls_tree::LeafNodeTbs::new(
            &l.content,
            Some(LeafSigningContext {
                group_id: common::GROUP_ID,
                leaf_index: LeafIndex(1),
            }),
        )
        .unwrap()
        .to_bytes()
        .unwrap();
        let sig = torsion_signature(&seed, b"LeafNodeTBS", &tbs);
        let key = ed25519_dalek::VerifyingKey::from_bytes(l.signature_key()).unwrap();
        let msg = sign_content(b"LeafNodeTBS", &tbs);
        assert!(cofactored_holds(&key, &msg, &sig));
        assert!(
            key.verify_strict(&msg, &ed25519_dalek::Signature::from_bytes(&sig))
                .is_err()
        );
        l.signature.0 = sig;
    } else {
        panic!("leaf 1 should be present");
    }
    assert_eq!(
        rebuild(&w).validate(&p),
        Err(TreeError::InvalidLeafSignature {
            leaf: Some(LeafIndex(1))
        })
    );

    // The same tree under another group id.
    let other = LeafValidationParams {
        group_id: b"another group",
        ..p
    };
    assert!(matches!(
        good.validate(&other),
        Err(TreeError::InvalidLeafSignature { .. })
    ));

    // Two leaves with one encryption key.
    let Some(Some(Node::Leaf(a))) = v.first().cloned() else {
        panic!("leaf 0 should be present");
    };
    if let Some(Some(Node::Leaf(b))) = v.get_mut(4) {
        b.content.encryption_key = a.content.encryption_key;
    }
    assert!(matches!(
        rebuild(&v).check_unique_keys(),
        Err(TreeError::DuplicateEncryptionKey { .. })
    ));
}

/// RFC 9420 sections 7.5, 7.6, 12.4.2: a receiver rejects an UpdatePath whose shape or parent
/// hash is wrong, and the tree is unchanged after the error.
#[test]
fn merge_rejects_bad_update_paths() {
    let mut g = Group::new(8);
    g.commit(0, &[Op::Add, Op::Add, Op::Add, Op::Add], true);
    let base = g.any_tree().clone();
    let p = params();
    let mut rng = SeededPrng::from_seed([80; 32]);
    let committer = LeafIndex(3);
    let m = &g.members[&3];
    let mut mine = base.clone();
    let content = base.leaf(committer).unwrap().content.clone();
    let (secrets, _) = mine
        .apply_own_update_path(
            committer,
            content,
            &m.sig.private,
            common::GROUP_ID,
            &mut rng,
        )
        .unwrap();
    let ctx = common::group_context(1, &mine);
    let path = mine
        .encrypt_update_path::<Mls128ChaCha, _>(&secrets, &ctx, &[], &mut rng)
        .unwrap();

    let mut t = base.clone();
    t.merge_update_path(committer, &path, &p).unwrap();
    assert_eq!(t, mine);

    // Wrong sender: signature and parent hash are for leaf 3.
    let mut t = base.clone();
    assert!(t.merge_update_path(LeafIndex(1), &path, &p).is_err());
    assert_eq!(t, base);

    // A node key swapped: the leaf's parent hash no longer matches.
    let mut bad = path.clone();
    bad.nodes[0].encryption_key = [7; 32].into();
    let mut t = base.clone();
    assert_eq!(
        t.merge_update_path(committer, &bad, &p),
        Err(TreeError::LeafParentHashMismatch { leaf: committer })
    );
    assert_eq!(t, base);

    // A node too many.
    let mut bad = path.clone();
    bad.nodes.push(bad.nodes[0].clone());
    assert!(matches!(
        base.clone().merge_update_path(committer, &bad, &p),
        Err(TreeError::PathLengthMismatch { .. })
    ));

    // A node key that repeats a key already in the tree.
    let mut bad = path.clone();
    bad.nodes[0].encryption_key = base.leaf(LeafIndex(0)).unwrap().content.encryption_key;
    assert!(matches!(
        base.clone().merge_update_path(committer, &bad, &p),
        Err(TreeError::DuplicateEncryptionKey { .. })
    ));

    // A ciphertext missing: the receiver refuses before decrypting.
    let mut merged = base.clone();
    merged.merge_update_path(committer, &path, &p).unwrap();
    let mut bad = path.clone();
    bad.nodes[0].encrypted_path_secret.pop();
    let mut keys = g.members[&0].keys.clone();
    let before = keys.clone();
    assert!(matches!(
        keys.process_update_path::<Mls128ChaCha>(&merged, committer, &bad, &ctx, &[]),
        Err(TreeError::CiphertextCountMismatch { .. })
    ));
    // The wrong GroupContext: decryption fails, keys unchanged.
    assert_eq!(
        keys.process_update_path::<Mls128ChaCha>(&merged, committer, &path, b"other", &[]),
        Err(TreeError::PathSecretDecryptionFailed { node: NodeIndex(3) })
    );
    assert_eq!(keys, before);
    // The committer cannot process its own path.
    let mut own = g.members[&3].keys.clone();
    assert_eq!(
        own.process_update_path::<Mls128ChaCha>(&merged, committer, &path, &ctx, &[]),
        Err(TreeError::OwnUpdatePath)
    );
    keys.process_update_path::<Mls128ChaCha>(&merged, committer, &path, &ctx, &[])
        .unwrap();
    assert_eq!(
        keys.get(NodeIndex(7)).unwrap().public_key(),
        merged.parent(NodeIndex(7)).unwrap().encryption_key.0
    );
}

/// RFC 9420 section 7.6: new members are excluded from the resolutions, so an UpdatePath has no
/// ciphertext for them; they get the common ancestor's path secret in the Welcome instead.
#[test]
fn new_members_are_excluded_and_join_with_path_secret() {
    let mut g = Group::new(9);
    let r = g.commit(0, &[Op::Add, Op::Add, Op::Add], true);
    assert_eq!(r.joiners, vec![LeafIndex(1), LeafIndex(2), LeafIndex(3)]);
    // The first commit of a one-member group has an empty filtered direct path on the old tree
    // shape... after the adds, leaves 1..3 are all new: no ciphertext at all.
    g.check_invariants();
    let r = g.commit(1, &[Op::Add], true);
    assert_eq!(r.joiners, vec![LeafIndex(4)]);
    g.check_invariants();
    // Leaf 4 knows the root key from its Welcome path secret.
    let tree = g.any_tree().clone();
    let root = tree.root();
    assert!(g.members[&4].keys.get(root).is_some());
    // A wrong Welcome path secret is refused and changes nothing.
    let mut keys = TreePrivateKeys::new(LeafIndex(4), g.members[&4].keys.leaf_key().clone());
    let before = keys.clone();
    assert_eq!(
        keys.join_with_path_secret(
            &tree,
            LeafIndex(1),
            &vmls_crypto::Secret::from_bytes([3; 32])
        ),
        Err(TreeError::PathKeyMismatch { node: root })
    );
    assert_eq!(keys, before);
    // A key for a node whose public key differs is reported by the consistency check.
    let mut wrong = g.members[&0].keys.clone();
    wrong
        .insert(
            root,
            vmls_crypto::HpkePrivateKey::from_slice(&[5; 32]).unwrap(),
        )
        .unwrap();
    assert_eq!(
        wrong.check_consistent(&tree),
        Err(TreeError::PrivateKeyMismatch { node: root })
    );
    wrong.prune(&tree);
    assert!(wrong.get(root).is_none());
}

#[test]
fn private_keys_encoding_round_trips() {
    let mut g = Group::new(10);
    g.commit(0, &[Op::Add, Op::Add, Op::Add], true);
    g.commit(2, &[], true);
    let keys = &g.members[&0].keys;
    assert!(keys.path_keys().count() >= 2);
    let wire = keys.to_bytes().unwrap();
    assert_eq!(wire.len(), keys.encoded_len());
    assert_eq!(&TreePrivateKeys::decode_exact(&wire).unwrap(), keys);
    // A key for a node that is not on leaf 0's direct path is rejected.
    let mut bad = keys.clone();
    assert_eq!(
        bad.insert(
            NodeIndex(11),
            vmls_crypto::HpkePrivateKey::from_slice(&[1; 32]).unwrap()
        ),
        Err(TreeError::NodeNotOnPath {
            node: NodeIndex(11)
        })
    );
}

/// The commit of a group's only member has an empty filtered direct path: nobody else derives
/// anything, and the leaf signs an empty parent hash.
#[test]
fn single_member_commit() {
    let mut g = Group::new(11);
    let before = g.any_tree().clone();
    let r = g.commit(0, &[], true);
    assert!(r.commit_secret.is_some());
    let t = g.any_tree().clone();
    assert_eq!(t.leaf(LeafIndex(0)).unwrap().parent_hash(), Some(&[][..]));
    g.check_invariants();
    // A receiver's view of that UpdatePath (no nodes) merges to the same tree.
    let path = UpdatePath {
        leaf_node: t.leaf(LeafIndex(0)).unwrap().clone(),
        nodes: vec![],
    };
    let mut other = before.clone();
    other
        .merge_update_path(LeafIndex(0), &path, &params())
        .unwrap();
    assert_eq!(other, t);
    // Merging it again fails: the leaf's encryption key did not change.
    assert_eq!(
        other.merge_update_path(LeafIndex(0), &path, &params()),
        Err(TreeError::EncryptionKeyNotUpdated { leaf: LeafIndex(0) })
    );
}

/// A leaf snapshot shares the tree's leaves and keeps those of the moment it was taken: a later
/// Update and Remove change the tree, not the snapshot. A copy of the tree is independent too.
#[test]
fn leaf_snapshot_and_copies_are_frozen() {
    let mut g = Group::new(9);
    g.commit(0, &[Op::Add, Op::Add, Op::Add], true);
    let before = g.any_tree().clone();
    let snap = before.leaf_snapshot();
    assert_eq!(
        snap.members()
            .map(|(i, l)| (i, l.clone()))
            .collect::<Vec<_>>(),
        before
            .members()
            .map(|(i, l)| (i, l.clone()))
            .collect::<Vec<_>>()
    );
    g.commit(0, &[Op::Update(1), Op::Remove(2)], true);
    let after = g.any_tree();
    assert_ne!(after.leaf(LeafIndex(1)), before.leaf(LeafIndex(1)));
    assert!(after.leaf(LeafIndex(2)).is_none());
    assert_eq!(snap.leaf(LeafIndex(1)), before.leaf(LeafIndex(1)));
    assert_eq!(snap.leaf(LeafIndex(2)), before.leaf(LeafIndex(2)));
    assert!(snap.leaf(LeafIndex(2)).is_some());
    // The copy taken before the commit still hashes to what it hashed to then.
    let fresh = RatchetTree::from_bytes(&before.to_bytes().unwrap(), 64).unwrap();
    assert_eq!(before.tree_hash().unwrap(), fresh.tree_hash().unwrap());
    assert_ne!(before.tree_hash().unwrap(), after.tree_hash().unwrap());
    g.check_invariants();
}

/// docs/spec-decisions.md "Leaf secret of a commit": the committer draws `leaf_secret` (32 bytes)
/// from the RNG, `path_secret[0] = DeriveSecret(leaf_secret, "path")`, and the leaf key is
/// `DeriveKeyPair(DeriveSecret(leaf_secret, "node"))` (RFC 9420 7.4 figure). Recomputed here from
/// the same RNG stream with the crypto primitives, not with TreeKEM.
#[test]
fn commit_path_starts_from_a_leaf_secret_drawn_from_the_rng() {
    use rand_core::Rng;
    let mut g = Group::new(8);
    g.commit(0, &[Op::Add, Op::Add, Op::Add], true);
    let mut tree = g.any_tree().clone();
    let committer = LeafIndex(2);
    let m = &g.members[&2];
    let content = tree.leaf(committer).unwrap().content.clone();
    let (secrets, keys) = tree
        .apply_own_update_path(
            committer,
            content,
            &m.sig.private,
            common::GROUP_ID,
            &mut SeededPrng::from_seed([91; 32]),
        )
        .unwrap();
    let mut leaf_secret = [0u8; 32];
    SeededPrng::from_seed([91; 32]).fill_bytes(&mut leaf_secret);
    let first = tree.filtered_direct_path(committer)[0].node;
    let want = vmls_crypto::derive_secret(&leaf_secret, b"path").unwrap();
    assert_eq!(secrets.path_secret(first).unwrap(), &want);
    let node_secret = vmls_crypto::derive_secret(&leaf_secret, b"node").unwrap();
    let leaf_kp = vmls_crypto::derive_key_pair(node_secret.as_bytes()).unwrap();
    assert_eq!(keys.leaf_key(), &leaf_kp.private);
    assert_eq!(
        tree.leaf(committer).unwrap().encryption_key(),
        &leaf_kp.public
    );
}
