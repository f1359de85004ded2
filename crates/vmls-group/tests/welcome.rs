//! KeyPackage (RFC 9420 section 10), GroupInfo and Welcome (section 12.4.3), and the typed
//! extensions: round trips between a committer and a joiner, and typed rejections.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(missing_docs)]

mod common;

use common::{assert_truncation_and_trailing_rejected, context, joiner, rng, torsion_signature};
use vmls_codec::{Decode, Encode, VLBytes};
use vmls_crypto::{HpkePrivateKey, Mls128ChaCha, Secret, SignatureKeyPair};
use vmls_group::extensions::find;
use vmls_group::{
    Add, Error, ExtensionBody, ExternalPub, ExternalSender, ExternalSenders, GroupInfo,
    GroupInfoTBS, GroupSecrets, KeyPackage, MLSMessage, MLSMessageBody, PathSecret, PreSharedKeyId,
    Psk, RatchetTreeExtension, RequiredCapabilities, Welcome,
};
use vmls_tree::{Credential, Extension, Node, RatchetTree, extension_type};

type S = Mls128ChaCha;

fn group_info(signer: &SignatureKeyPair, confirmation_key: &Secret) -> GroupInfo {
    let ctx = context(4);
    let tag = vmls_crypto::mac(confirmation_key.as_bytes(), &ctx.confirmed_transcript_hash);
    GroupInfoTBS {
        group_context: ctx,
        extensions: vec![
            ExternalPub {
                external_pub: [9; 32].into(),
            }
            .to_extension()
            .unwrap(),
        ],
        confirmation_tag: tag.into(),
        signer: 0,
    }
    .sign(&signer.private)
    .unwrap()
}

fn secrets(seed: u8) -> GroupSecrets {
    GroupSecrets {
        joiner_secret: Secret::from_bytes([seed; 32]),
        path_secret: Some(PathSecret {
            path_secret: Secret::from_bytes([seed.wrapping_add(1); 32]),
        }),
        psks: vec![PreSharedKeyId {
            psk: Psk::External {
                psk_id: VLBytes::from(&b"psk"[..]),
            },
            psk_nonce: VLBytes::from(&[7u8; 32][..]),
        }],
    }
}

#[test]
fn key_package_signature_ref_and_encoding() {
    let j = joiner(1);
    let kp = &j.key_package;
    kp.verify_signature().unwrap();
    let bytes = kp.to_bytes().unwrap();
    assert_truncation_and_trailing_rejected::<KeyPackage>(&bytes);
    assert_eq!(
        kp.make_ref().unwrap().0,
        vmls_crypto::ref_hash(b"MLS 1.0 KeyPackage Reference", &bytes).unwrap()
    );
    // The signature covers every field: another init key, or a flipped signature byte, fails.
    let mut bad = kp.clone();
    bad.tbs.init_key = [1; 32].into();
    assert_eq!(bad.verify_signature(), Err(Error::InvalidSignature));
    let mut bad = kp.clone();
    bad.signature.0[10] ^= 1;
    assert_eq!(bad.verify_signature(), Err(Error::InvalidSignature));
    // Signed by a key other than the leaf's.
    let other = SignatureKeyPair::generate(&mut rng(50));
    let forged = kp.tbs.clone().sign(&other.private).unwrap();
    assert_eq!(forged.verify_signature(), Err(Error::InvalidSignature));
    // As an MLSMessage and as an Add proposal.
    let m = MLSMessage::new(MLSMessageBody::KeyPackage(kp.clone()))
        .to_bytes()
        .unwrap();
    assert_eq!(&m[..4], &[0, 1, 0, 5]);
    assert_truncation_and_trailing_rejected::<MLSMessage>(&m);
    let add = Add {
        key_package: kp.clone(),
    }
    .to_bytes()
    .unwrap();
    assert_eq!(add, bytes);
}

/// KeyPackage, its LeafNode, and GroupInfo signed with a torsion component in R (the
/// cofactored RFC 8032 equation holds, ed25519-dalek's `verify_strict` rejects them, see
/// `torsion_signature`) are rejected, as OpenMLS rejects them (docs/spec-decisions.md).
#[test]
fn torsion_signatures_are_rejected_in_key_packages_and_group_info() {
    let j = joiner(1);
    let seed = j.signature.private.to_bytes();
    let mut kp = j.key_package.clone();
    let tbs = kp.tbs.to_bytes().unwrap();
    kp.signature.0 = torsion_signature(&seed, b"KeyPackageTBS", &tbs);
    assert_eq!(kp.verify_signature(), Err(Error::InvalidSignature));

    let mut leaf = j.key_package.tbs.leaf_node.clone();
    leaf.verify(None).unwrap();
    let tbs = vmls_tree::LeafNodeTbs::new(&leaf.content, None)
        .unwrap()
        .to_bytes()
        .unwrap();
    leaf.signature.0 = torsion_signature(&seed, b"LeafNodeTBS", &tbs);
    assert!(matches!(
        leaf.verify(None),
        Err(vmls_tree::TreeError::InvalidLeafSignature { .. })
    ));

    let signer = SignatureKeyPair::generate(&mut rng(2));
    let mut gi = group_info(&signer, &Secret::from_bytes([3; 32]));
    gi.verify_signature(&signer.public).unwrap();
    let tbs = gi.tbs.to_bytes().unwrap();
    gi.signature.0 = torsion_signature(&signer.private.to_bytes(), b"GroupInfoTBS", &tbs);
    assert_eq!(
        gi.verify_signature(&signer.public),
        Err(Error::InvalidSignature)
    );
}

#[test]
fn group_info_signature_and_confirmation_tag() {
    let signer = SignatureKeyPair::generate(&mut rng(2));
    let confirmation_key = Secret::from_bytes([3; 32]);
    let gi = group_info(&signer, &confirmation_key);
    gi.verify_signature(&signer.public).unwrap();
    gi.verify_confirmation_tag(&confirmation_key).unwrap();
    assert_eq!(
        gi.verify_confirmation_tag(&Secret::from_bytes([4; 32])),
        Err(Error::InvalidConfirmationTag)
    );
    let other = SignatureKeyPair::generate(&mut rng(3));
    assert_eq!(
        gi.verify_signature(&other.public),
        Err(Error::InvalidSignature)
    );
    let mut bad = gi.clone();
    bad.tbs.signer = 1;
    assert_eq!(
        bad.verify_signature(&signer.public),
        Err(Error::InvalidSignature)
    );
    let bytes = gi.to_bytes().unwrap();
    assert_truncation_and_trailing_rejected::<GroupInfo>(&bytes);
    let m = MLSMessage::new(MLSMessageBody::GroupInfo(gi.clone()))
        .to_bytes()
        .unwrap();
    assert_truncation_and_trailing_rejected::<MLSMessage>(&m);
    assert_eq!(
        find::<ExternalPub>(&gi.tbs.extensions)
            .unwrap()
            .unwrap()
            .external_pub
            .0,
        [9; 32]
    );
}

#[test]
fn welcome_round_trip_for_two_joiners() {
    let a = joiner(10);
    let b = joiner(11);
    let stranger = joiner(12);
    let signer = SignatureKeyPair::generate(&mut rng(13));
    let gi = group_info(&signer, &Secret::from_bytes([5; 32]));
    let welcome_secret = Secret::from_bytes([6; 32]);
    let (sa, sb) = (secrets(20), secrets(30));
    let welcome = Welcome::new::<S, _>(
        &gi,
        &welcome_secret,
        &[(&a.key_package, &sa), (&b.key_package, &sb)],
        &mut rng(14),
    )
    .unwrap();
    assert_eq!(welcome.cipher_suite, 3);
    assert_eq!(welcome.secrets.len(), 2);

    let wire = MLSMessage::new(MLSMessageBody::Welcome(welcome.clone()))
        .to_bytes()
        .unwrap();
    assert_truncation_and_trailing_rejected::<MLSMessage>(&wire);

    // Each joiner finds its own secrets by KeyPackageRef and reads the GroupInfo.
    assert_eq!(
        welcome
            .decrypt_group_secrets::<S>(&a.key_package, &a.init.private)
            .unwrap(),
        sa
    );
    assert_eq!(
        welcome
            .decrypt_group_secrets::<S>(&b.key_package, &b.init.private)
            .unwrap(),
        sb
    );
    assert_eq!(
        welcome.decrypt_group_info::<S>(&welcome_secret).unwrap(),
        gi
    );

    // Rejections.
    assert_eq!(
        welcome.decrypt_group_secrets::<S>(&stranger.key_package, &stranger.init.private),
        Err(Error::NoMatchingKeyPackage)
    );
    assert_eq!(
        welcome.decrypt_group_secrets::<S>(&a.key_package, &b.init.private),
        Err(Error::GroupSecretsDecryptionFailed)
    );
    assert_eq!(
        welcome.decrypt_group_info::<S>(&Secret::from_bytes([7; 32])),
        Err(Error::GroupInfoDecryptionFailed)
    );
    // The GroupInfo ciphertext is the HPKE context of the group secrets: changing it breaks both.
    let mut bad = welcome.clone();
    let n = bad.encrypted_group_info.0.len();
    bad.encrypted_group_info.0[n - 1] ^= 1;
    assert_eq!(
        bad.decrypt_group_info::<S>(&welcome_secret),
        Err(Error::GroupInfoDecryptionFailed)
    );
    assert_eq!(
        bad.decrypt_group_secrets::<S>(&a.key_package, &a.init.private),
        Err(Error::GroupSecretsDecryptionFailed)
    );
    let mut bad = welcome.clone();
    bad.cipher_suite = 1;
    assert_eq!(
        bad.decrypt_group_secrets::<S>(&a.key_package, &a.init.private),
        Err(Error::CipherSuiteMismatch {
            expected: 3,
            got: 1
        })
    );
}

#[test]
fn group_secrets_encoding() {
    let s = secrets(40);
    let bytes = s.to_bytes().unwrap();
    assert_truncation_and_trailing_rejected::<GroupSecrets>(&bytes);
    // joiner_secret<V> must be Nh bytes.
    let mut short = bytes.clone();
    short[0] = 31;
    short.remove(1);
    assert_eq!(
        GroupSecrets::decode_exact(&short),
        Err(vmls_codec::Error::WrongLength {
            expected: 32,
            got: 31
        })
    );
    // HPKE round trip through EncryptWithLabel(init_key, "Welcome", egi, .).
    let j = joiner(41);
    let ct = s
        .encrypt::<S, _>(&j.init.public, b"egi", &mut rng(42))
        .unwrap();
    let plain = vmls_crypto::decrypt_with_label::<S>(
        &j.init.private,
        b"Welcome",
        b"egi",
        &ct.kem_output,
        &ct.ciphertext,
    )
    .unwrap();
    assert_eq!(plain.as_slice(), bytes.as_slice());
    let wrong = HpkePrivateKey::from_slice(&[3; 32]).unwrap();
    assert!(
        vmls_crypto::decrypt_with_label::<S>(
            &wrong,
            b"Welcome",
            b"egi",
            &ct.kem_output,
            &ct.ciphertext
        )
        .is_err()
    );
}

#[test]
fn typed_extensions() {
    let req = RequiredCapabilities {
        extension_types: vec![0x0a0a],
        proposal_types: vec![],
        credential_types: vec![1],
    };
    let senders = ExternalSenders(vec![ExternalSender {
        signature_key: [8; 32].into(),
        credential: Credential::Basic(VLBytes::from(&b"ds"[..])),
    }]);
    let exts = vec![req.to_extension().unwrap(), senders.to_extension().unwrap()];
    assert_eq!(
        exts[0].extension_type,
        extension_type::REQUIRED_CAPABILITIES
    );
    assert_eq!(exts[1].extension_type, extension_type::EXTERNAL_SENDERS);
    assert_eq!(find::<RequiredCapabilities>(&exts).unwrap(), Some(req));
    assert_eq!(find::<ExternalSenders>(&exts).unwrap(), Some(senders));
    assert_eq!(find::<ExternalPub>(&exts).unwrap(), None);
    // Trailing bytes inside extension_data, or the wrong type.
    let mut bad = exts[1].clone();
    bad.extension_data.0.push(0);
    assert_eq!(
        ExternalSenders::from_extension(&bad),
        Err(Error::InvalidExtension(extension_type::EXTERNAL_SENDERS))
    );
    assert_eq!(
        ExternalPub::from_extension(&exts[0]),
        Err(Error::InvalidExtension(
            extension_type::REQUIRED_CAPABILITIES
        ))
    );
    let bogus = Extension {
        extension_type: extension_type::EXTERNAL_PUB,
        extension_data: VLBytes::from(&[1u8, 2, 3][..]),
    };
    assert_eq!(
        find::<ExternalPub>(&[bogus]),
        Err(Error::InvalidExtension(extension_type::EXTERNAL_PUB))
    );
}

#[test]
fn ratchet_tree_extension_matches_the_tree() {
    let a = joiner(60);
    let tree = RatchetTree::new(a.key_package.tbs.leaf_node.clone()).unwrap();
    let ext = RatchetTreeExtension::from_tree(&tree).unwrap();
    assert_eq!(
        ext.0,
        vec![Some(Node::Leaf(a.key_package.tbs.leaf_node.clone()))]
    );
    let e = ext.to_extension().unwrap();
    assert_eq!(
        e.extension_data.as_slice(),
        tree.to_bytes().unwrap().as_slice()
    );
    let back = RatchetTreeExtension::from_extension(&e)
        .unwrap()
        .into_tree(16)
        .unwrap();
    assert_eq!(back.tree_hash().unwrap(), tree.tree_hash().unwrap());
    assert_truncation_and_trailing_rejected::<RatchetTreeExtension>(&e.extension_data);
}
