//! Inspectable joins (RFC 9420 sections 5.3.1 and 12.4.3.1): a staged Welcome shows the
//! joiner the group it would join (GroupContext, members with their credentials and signature
//! keys, the GroupInfo signer) exactly as the committer sees it, and nothing is kept until the
//! application accepts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(missing_docs)]

mod common;
use common::{params, rng64 as rng};
use vmls_crypto::{Mls128ChaCha, SignatureKeyPair};
use vmls_group::group::{
    CommitOptions, Group, GroupConfig, GroupError, KeyPackagePrivate, PskStore, StagedWelcome,
    create_key_package,
};
use vmls_group::{Add, KeyPackage, Proposal};
use vmls_tree::Credential;

type G = Group;
type S = Mls128ChaCha;

/// Alice's group with Bob and `others` added in one Commit; returns Alice, the Welcome and
/// Bob's KeyPackage and private keys.
fn welcome_for_bob(
    others: &[&str],
    tree_in_welcome: bool,
) -> (G, Vec<u8>, KeyPackage, KeyPackagePrivate) {
    let alice = SignatureKeyPair::generate(&mut rng(1));
    let mut a = G::create(
        b"staged",
        &params("alice"),
        &alice,
        vec![],
        GroupConfig::default(),
        &mut rng(2),
    )
    .unwrap();
    let bob = SignatureKeyPair::generate(&mut rng(3));
    let (kb, pb) = create_key_package::<S, _>(&params("bob"), &bob, &mut rng(4)).unwrap();
    let mut adds = vec![Proposal::Add(Add {
        key_package: kb.clone(),
    })];
    for (i, name) in others.iter().enumerate() {
        let key = SignatureKeyPair::generate(&mut rng(10 + i as u64));
        let (kp, _) =
            create_key_package::<S, _>(&params(name), &key, &mut rng(20 + i as u64)).unwrap();
        adds.push(Proposal::Add(Add { key_package: kp }));
    }
    let out = a
        .commit(
            &CommitOptions {
                proposals: adds,
                ratchet_tree_in_welcome: tree_in_welcome,
                ..CommitOptions::default()
            },
            &mut rng(5),
        )
        .unwrap();
    a.merge_pending_commit().unwrap();
    (a, out.welcome.unwrap(), kb, pb)
}

fn stage(w: &[u8], kb: &KeyPackage, pb: &KeyPackagePrivate) -> Result<StagedWelcome, GroupError> {
    G::stage_welcome_bytes(w, kb, pb, None, PskStore::new(), GroupConfig::default())
}

/// What the staged Welcome shows is the committer's view of the new epoch: the same
/// GroupContext, the same members (leaf index, credential, signature key), the GroupInfo signed
/// by Alice's leaf, Bob's own leaf, and the same epoch authenticator; accepting gives the group
/// `join_from_welcome` gives.
#[test]
fn staged_welcome_shows_the_committers_view() {
    let (a, w, kb, pb) = welcome_for_bob(&["carol"], true);
    let staged = stage(&w, &kb, &pb).unwrap();
    assert_eq!(staged.context(), a.context());
    assert_eq!(staged.group_id(), b"staged");
    assert_eq!(staged.epoch(), a.epoch());
    assert_eq!(staged.signer(), a.own_leaf_index());
    assert_eq!(staged.group_info().group_context(), a.context());
    assert!(staged.psks().is_empty());
    let theirs: Vec<_> = a
        .members()
        .map(|(i, l)| (i, l.content.credential.clone(), *l.signature_key()))
        .collect();
    let ours: Vec<_> = staged
        .members()
        .map(|(i, l)| (i, l.content.credential.clone(), *l.signature_key()))
        .collect();
    assert_eq!(ours, theirs);
    assert_eq!(
        ours.iter().map(|(_, c, _)| c.clone()).collect::<Vec<_>>(),
        ["alice", "bob", "carol"]
            .map(|n| Credential::Basic(n.as_bytes().into()))
            .to_vec()
    );
    // Bob's leaf in Alice's tree is the one with his signature key.
    let bob_leaf = a
        .members()
        .find(|(_, l)| l.signature_key() == kb.tbs.leaf_node.signature_key())
        .unwrap()
        .0;
    assert_eq!(staged.own_leaf_index(), bob_leaf);
    assert_eq!(
        staged.tree().tree_hash().unwrap().as_slice(),
        a.context().tree_hash.as_slice()
    );
    assert_eq!(staged.epoch_authenticator(), a.epoch_authenticator());

    let joined =
        G::join_from_welcome_bytes(&w, &kb, &pb, None, PskStore::new(), GroupConfig::default())
            .unwrap();
    let accepted = staged.accept();
    assert_eq!(accepted.to_bytes().unwrap(), joined.to_bytes().unwrap());
    assert_eq!(accepted.epoch_authenticator(), a.epoch_authenticator());
}

/// Refusing is dropping the staged Welcome: nothing is kept, so the same Welcome can be
/// staged again (the application changed its mind, or learned a credential) and accepted,
/// giving the same group. The tree given out of band works the same way.
#[test]
fn refusing_keeps_nothing() {
    let (mut a, w, kb, pb) = welcome_for_bob(&["mallory"], false);
    // Without the tree (not in the Welcome) the stage fails with a typed error.
    assert_eq!(
        stage(&w, &kb, &pb).unwrap_err(),
        GroupError::MissingRatchetTree
    );
    let tree = a.ratchet_tree_bytes().unwrap();
    let stage_oob = || {
        G::stage_welcome_bytes(
            &w,
            &kb,
            &pb,
            Some(&tree),
            PskStore::new(),
            GroupConfig::default(),
        )
        .unwrap()
    };
    let accepted = |c: &Credential| matches!(c, Credential::Basic(id) if [&b"alice"[..], b"bob"].contains(&id.as_slice()));
    let first = stage_oob();
    let untrusted: Vec<u32> = first
        .members()
        .filter(|(_, l)| !accepted(&l.content.credential))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(untrusted, vec![2]);
    let auth = first.epoch_authenticator().to_vec();
    drop(first); // refused

    let mut b = stage_oob().accept();
    assert_eq!(b.epoch_authenticator().as_slice(), auth.as_slice());
    let mut wire = [0u8; 256];
    let n = b
        .encrypt_application(b"", b"hi", &mut rng(30), &mut wire)
        .unwrap();
    let mut plain = [0u8; 256];
    let got = a.decrypt_application(&wire[..n], &mut plain).unwrap();
    assert_eq!(&plain[..got.len], b"hi");
}

/// A Welcome that fails a check does not stage: the typed error of the ordinary join (here, a
/// KeyPackage that is not in the Welcome, and a Welcome cut short).
#[test]
fn invalid_welcomes_do_not_stage() {
    let (_, w, kb, pb) = welcome_for_bob(&[], true);
    let dave = SignatureKeyPair::generate(&mut rng(40));
    let (kd, pd) = create_key_package::<S, _>(&params("dave"), &dave, &mut rng(41)).unwrap();
    assert_eq!(
        stage(&w, &kd, &pd).unwrap_err(),
        GroupError::Message(vmls_group::Error::NoMatchingKeyPackage)
    );
    assert!(matches!(
        stage(&w[..w.len() - 1], &kb, &pb).unwrap_err(),
        GroupError::Codec(_)
    ));
    assert_eq!(
        stage(&w, &kb, &pd).unwrap_err(),
        GroupError::PrivateKeyMismatch
    );
}
