//! A Welcome for a Commit with a path must give the joiner the `path_secret` for its common
//! ancestor with the committer (RFC 9420 section 12.4.3.1), or the joiner would hold a state
//! without the private keys of non-blank nodes on its direct path that do not list it as
//! unmerged (the tree invariant of section 4.1) and fail at the next Commit that encrypts to
//! them. Found by the `joiner_structured` fuzz target (issue 21): the harness re-encrypted the
//! GroupSecrets, with the right init key, without the path_secret, and the joiner accepted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use vmls_codec::{Decode, Encode};
use vmls_crypto::{Mls128ChaCha, SeededPrng, SignatureKeyPair};
use vmls_group::group::{
    CommitOptions, Group, GroupConfig, GroupError, KeyPackageParams, PskStore, create_key_package,
};
use vmls_group::{Add, KeyPackage, MLSMessage, MLSMessageBody, Proposal};
use vmls_tree::{Lifetime, TreeError};

const FOREVER: Lifetime = Lifetime {
    not_before: 0,
    not_after: u64::MAX,
};

fn kp(name: &[u8], rng: &mut SeededPrng) -> (KeyPackage, vmls_group::group::KeyPackagePrivate) {
    create_key_package::<Mls128ChaCha, _>(
        &KeyPackageParams::basic(name, FOREVER),
        &SignatureKeyPair::generate(rng),
        rng,
    )
    .unwrap()
}

/// Alice and Bob; Alice adds Erin (leaf 2) with `force_path`. Returns the Welcome, Erin's
/// KeyPackage and private keys.
fn welcome(path: bool) -> (Vec<u8>, KeyPackage, vmls_group::group::KeyPackagePrivate) {
    let mut rng = SeededPrng::from_seed([0x2A; 32]);
    let mut alice: Group = Group::create(
        b"path secret",
        &KeyPackageParams::basic(b"alice", FOREVER),
        &SignatureKeyPair::generate(&mut rng),
        vec![],
        GroupConfig::default(),
        &mut rng,
    )
    .unwrap();
    let (bob, _) = kp(b"bob", &mut rng);
    let add = |k: KeyPackage| CommitOptions {
        proposals: vec![Proposal::Add(Add { key_package: k })],
        force_path: path,
        ..CommitOptions::default()
    };
    alice.commit(&add(bob), &mut rng).unwrap();
    alice.merge_pending_commit().unwrap();
    let (erin, erin_private) = kp(b"erin", &mut rng);
    let out = alice.commit(&add(erin.clone()), &mut rng).unwrap();
    (out.welcome.unwrap(), erin, erin_private)
}

fn join(
    w: &[u8],
    k: &KeyPackage,
    p: &vmls_group::group::KeyPackagePrivate,
) -> Result<Group, GroupError> {
    Group::join_from_welcome_bytes(w, k, p, None, PskStore::new(), GroupConfig::default())
}

#[test]
fn a_welcome_without_the_needed_path_secret_is_refused() {
    let (w, erin, erin_private) = welcome(true);
    let MLSMessageBody::Welcome(mut welcome) = MLSMessage::decode_exact(&w).unwrap().body else {
        panic!("not a Welcome")
    };
    let mut secrets = welcome
        .decrypt_group_secrets::<Mls128ChaCha>(&erin, &erin_private.init_key)
        .unwrap();
    // The committer had a path, and Erin (leaf 2) sits under its root: the secret is there.
    assert!(secrets.path_secret.is_some());
    assert!(
        join(&w, &erin, &erin_private).is_ok(),
        "the valid Welcome joins"
    );
    // The same GroupSecrets without it, re-encrypted to Erin's init key.
    secrets.path_secret = None;
    let mut rng = SeededPrng::from_seed([0x2B; 32]);
    welcome.secrets[0].encrypted_group_secrets = secrets
        .encrypt::<Mls128ChaCha, _>(
            erin.tbs.init_key.as_slice(),
            &welcome.encrypted_group_info.0,
            &mut rng,
        )
        .unwrap();
    let stripped = MLSMessage::new(MLSMessageBody::Welcome(welcome))
        .to_bytes()
        .unwrap();
    // Leaves 0 (committer) and 2 (Erin) meet at the root of the 4-leaf tree, node 3.
    assert_eq!(
        join(&stripped, &erin, &erin_private).err(),
        Some(GroupError::Tree(TreeError::MissingPathKey {
            node: vmls_tree::NodeIndex(3)
        }))
    );
}

#[test]
fn a_welcome_without_path_needs_no_path_secret() {
    // Without a path Erin is an unmerged leaf of every non-blank node above her (RFC 9420
    // section 12.1.1), so she needs no key for them.
    let (w, erin, erin_private) = welcome(false);
    let MLSMessageBody::Welcome(welcome) = MLSMessage::decode_exact(&w).unwrap().body else {
        panic!("not a Welcome")
    };
    let secrets = welcome
        .decrypt_group_secrets::<Mls128ChaCha>(&erin, &erin_private.init_key)
        .unwrap();
    assert!(secrets.path_secret.is_none());
    assert!(join(&w, &erin, &erin_private).is_ok());
}
