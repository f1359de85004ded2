//! Signature-key rotation by Commit between two plain RFC 9420 members (issue 18): Alice's
//! Commit carries an UpdatePath whose LeafNode has a new `signature_key`. The wire bytes are
//! checked against RFC 9420 directly (section 6.1: the FramedContent is signed with the key of
//! the sender's leaf in the *current* tree; section 7.3: the LeafNode with its own, new, key),
//! then Bob must accept the Commit and verify Alice's later messages with the new key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;
use common::{params, rng64 as rng};
use vmls_codec::Decode;
use vmls_crypto::SignatureKeyPair;
use vmls_group::group::{CommitOptions, Group, GroupConfig, ProcessedMessage, PskStore};
use vmls_group::{
    AuthenticatedContent, Content, MLSMessage, MLSMessageBody, Proposal, Remove, WireFormat,
};
use vmls_tree::{LeafIndex, LeafSigningContext};

#[test]
fn a_member_rotates_its_signature_key_and_the_other_verifies_it() {
    let config = GroupConfig {
        handshake_wire_format: WireFormat::PublicMessage,
        ..GroupConfig::default()
    };
    let alice_key = SignatureKeyPair::generate(&mut rng(1));
    let mut alice: Group = Group::create(
        b"rotate",
        &params("alice"),
        &alice_key,
        vec![],
        config,
        &mut rng(2),
    )
    .unwrap();
    let bob_key = SignatureKeyPair::generate(&mut rng(3));
    let (kp, kpp) = vmls_group::group::create_key_package::<vmls_crypto::Mls128ChaCha, _>(
        &params("bob"),
        &bob_key,
        &mut rng(4),
    )
    .unwrap();
    let out = alice
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(vmls_group::Add {
                    key_package: kp.clone(),
                })],
                ..CommitOptions::default()
            },
            &mut rng(5),
        )
        .unwrap();
    alice.merge_pending_commit().unwrap();
    let mut bob: Group = Group::join_from_welcome_bytes(
        &out.welcome.unwrap(),
        &kp,
        &kpp,
        None,
        PskStore::new(),
        config,
    )
    .unwrap();
    let context_before = bob.context().clone();

    let new_key = SignatureKeyPair::generate(&mut rng(6));
    let out = alice
        .commit(
            &CommitOptions {
                new_signature_key: Some(new_key.private.clone()),
                group_info: true,
                ..CommitOptions::default()
            },
            &mut rng(7),
        )
        .unwrap();

    // The wire, against RFC 9420 (independently of the receiving engine).
    let msg = MLSMessage::decode(&mut vmls_codec::Reader::new(&out.commit)).unwrap();
    let MLSMessageBody::PublicMessage(pm) = msg.body else {
        panic!("PublicMessage configured")
    };
    let auth = AuthenticatedContent {
        wire_format: WireFormat::PublicMessage,
        content: pm.content.clone(),
        auth: pm.auth.clone(),
    };
    auth.verify_signature(&alice_key.public, Some(&context_before))
        .expect("section 6.1: signed with the sender's current key");
    assert!(
        auth.verify_signature(&new_key.public, Some(&context_before))
            .is_err()
    );
    let Content::Commit(commit) = &pm.content.content else {
        panic!("a Commit")
    };
    let leaf = &commit
        .path
        .as_ref()
        .expect("the rotation forces a path")
        .leaf_node;
    assert_eq!(leaf.signature_key(), &new_key.public);
    assert_eq!(
        leaf.content.credential,
        alice.own_leaf().unwrap().content.credential
    );
    leaf.verify(Some(LeafSigningContext {
        group_id: b"rotate",
        leaf_index: LeafIndex(0),
    }))
    .expect("section 7.3: the LeafNode is signed with its own (new) key");

    // Bob accepts it and agrees on the new epoch and on Alice's new key.
    match bob.process_message(&out.commit).unwrap() {
        ProcessedMessage::Commit(s) => assert!(s.has_path),
        other => panic!("{other:?}"),
    }
    alice.merge_pending_commit().unwrap();
    assert_eq!(bob.epoch_authenticator(), alice.epoch_authenticator());
    assert_eq!(
        bob.tree().leaf(LeafIndex(0)).unwrap().signature_key(),
        &new_key.public
    );
    // The GroupInfo of the new epoch is signed with the new key (section 12.4.3: verified
    // with the signer's leaf in the new tree): a third party can join from it.
    let gi = out.group_info.unwrap();
    let carol_key = SignatureKeyPair::generate(&mut rng(8));
    let (carol, _join): (Group, _) = Group::join_by_external_commit(
        &gi,
        None,
        &params("carol"),
        &carol_key,
        &vmls_group::group::ExternalJoinOptions::default(),
        PskStore::new(),
        config,
        &mut rng(9),
    )
    .unwrap();
    assert_eq!(carol.epoch(), alice.epoch() + 1);

    // Alice's messages after the rotation verify under the new key only: a proposal (signed,
    // PublicMessage) and an application message.
    let mut buf = vec![0u8; alice.application_message_len(0, 2)];
    let n = alice
        .encrypt_application(b"", b"hi", &mut rng(11), &mut buf)
        .unwrap();
    match bob.process_message(&buf[..n]).unwrap() {
        ProcessedMessage::Application { sender, data, .. } => {
            assert_eq!((sender, data.as_slice()), (0, &b"hi"[..]))
        }
        other => panic!("{other:?}"),
    }
    let (proposal, _) = alice.propose_remove(1, &mut rng(10)).unwrap();
    let MLSMessageBody::PublicMessage(pm) =
        MLSMessage::decode(&mut vmls_codec::Reader::new(&proposal))
            .unwrap()
            .body
    else {
        panic!("PublicMessage configured")
    };
    let auth = AuthenticatedContent {
        wire_format: WireFormat::PublicMessage,
        content: pm.content,
        auth: pm.auth,
    };
    auth.verify_signature(&new_key.public, Some(bob.context()))
        .unwrap();
    assert!(
        auth.verify_signature(&alice_key.public, Some(bob.context()))
            .is_err()
    );
    match bob.process_message(&proposal).unwrap() {
        ProcessedMessage::Proposal { proposal, .. } => {
            assert_eq!(*proposal, Proposal::Remove(Remove { removed: 1 }))
        }
        other => panic!("{other:?}"),
    }
}
