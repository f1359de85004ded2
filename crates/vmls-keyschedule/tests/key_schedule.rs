//! Key-schedule checks against independent expectations: hand-written encodings from the RFC's
//! struct definitions, SHA-256/HMAC computed with the `sha2`/`hmac` crates directly, and the
//! two entry points of the schedule agreeing with each other.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use vmls_codec::{Decode, Encode, VLBytes};
use vmls_crypto::{Mls128ChaCha, Secret, expand_with_label_into};
use vmls_keyschedule::*;

fn gc(epoch: u64) -> GroupContext {
    GroupContext {
        version: MLS10,
        cipher_suite: 3,
        group_id: VLBytes::new(b"group".to_vec()),
        epoch,
        tree_hash: VLBytes::new(vec![0xAA; 32]),
        confirmed_transcript_hash: VLBytes::new(vec![0xBB; 32]),
        extensions: Vec::new(),
    }
}

#[test]
fn no_psks_give_the_zero_psk_secret() {
    let s = psk_secret(core::iter::empty::<(&PreSharedKeyId, &[u8])>()).unwrap();
    assert_eq!(s.as_bytes(), &[0u8; 32]);
}

#[test]
fn pre_shared_key_id_encodings_follow_the_rfc_structs() {
    let resumption = PreSharedKeyId {
        psk: Psk::Resumption {
            usage: ResumptionPskUsage::Branch,
            psk_group_id: VLBytes::new(vec![1, 2, 3]),
            psk_epoch: 0x0102_0304_0506_0708,
        },
        psk_nonce: VLBytes::new(vec![9; 2]),
    };
    let want = [
        2, // resumption
        3, // branch
        3, 1, 2, 3, // psk_group_id<V>
        1, 2, 3, 4, 5, 6, 7, 8, // psk_epoch
        2, 9, 9, // psk_nonce<V>
    ];
    assert_eq!(resumption.to_bytes().unwrap(), want);
    assert_eq!(PreSharedKeyId::decode_exact(&want).unwrap(), resumption);

    let external = PreSharedKeyId {
        psk: Psk::External {
            psk_id: VLBytes::new(vec![7]),
        },
        psk_nonce: VLBytes::new(vec![]),
    };
    assert_eq!(external.to_bytes().unwrap(), [1, 1, 7, 0]);

    let application = PreSharedKeyId {
        psk: Psk::Application {
            component_id: 0x8001,
            psk_id: VLBytes::new(vec![5]),
        },
        psk_nonce: VLBytes::new(vec![6]),
    };
    assert_eq!(application.to_bytes().unwrap(), [3, 0x80, 0x01, 1, 5, 1, 6]);

    let label = PskLabel {
        id: &external,
        index: 1,
        count: 2,
    };
    assert_eq!(label.to_bytes().unwrap(), [1, 1, 7, 0, 0, 1, 0, 2]);

    // Reserved / unknown values are rejected, truncation too.
    assert!(PreSharedKeyId::decode_exact(&[0, 0]).is_err());
    assert!(PreSharedKeyId::decode_exact(&[4, 0, 0]).is_err());
    assert!(PreSharedKeyId::decode_exact(&[2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
    assert!(PreSharedKeyId::decode_exact(&want[..want.len() - 1]).is_err());
}

#[test]
fn psk_nonce_is_fresh_and_nh_long() {
    let mut rng = vmls_crypto::SeededPrng::from_seed([1; 32]);
    let psk = Psk::External {
        psk_id: VLBytes::new(vec![1]),
    };
    let a = PreSharedKeyId::new(psk.clone(), &mut rng);
    let b = PreSharedKeyId::new(psk, &mut rng);
    assert_eq!(a.psk_nonce.len(), 32);
    assert_ne!(a.psk_nonce, b.psk_nonce);
}

#[test]
fn transcript_hashes_match_an_independent_sha256() {
    let interim_prev = [0x11u8; 32];
    let framed_content = [0x22u8; 70];
    let signature = [0x33u8; 64];
    let tag = [0x44u8; 32];

    let mut input = Vec::new();
    input.extend_from_slice(&2u16.to_be_bytes()); // wire_format = mls_private_message
    input.extend_from_slice(&framed_content);
    input.push(0x40); // varint 64, two bytes
    input.push(64);
    input.extend_from_slice(&signature);
    let want_confirmed: [u8; 32] = Sha256::new()
        .chain_update(interim_prev)
        .chain_update(&input)
        .finalize()
        .into();
    assert_eq!(
        confirmed_transcript_hash(&interim_prev, &input),
        want_confirmed
    );
    assert_eq!(
        confirmed_transcript_hash_from_parts(&interim_prev, 2, &framed_content, &signature)
            .unwrap(),
        want_confirmed
    );

    let want_interim: [u8; 32] = Sha256::new()
        .chain_update(want_confirmed)
        .chain_update([32u8])
        .chain_update(tag)
        .finalize()
        .into();
    assert_eq!(
        interim_transcript_hash(&want_confirmed, &tag).unwrap(),
        want_interim
    );
}

#[test]
fn tags_are_hmac_sha256_and_verify_in_constant_time() {
    let key = Secret::from_bytes([5; 32]);
    let data = b"confirmed transcript hash";
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(&[5; 32]).unwrap();
    m.update(data);
    let want: [u8; 32] = m.finalize().into_bytes().into();
    assert_eq!(confirmation_tag(&key, data), want);
    assert_eq!(membership_tag(&key, data), want);
    verify_confirmation_tag(&key, data, &want).unwrap();
    let mut bad = want;
    bad[31] ^= 1;
    assert_eq!(
        verify_confirmation_tag(&key, data, &bad),
        Err(KeyScheduleError::Crypto(vmls_crypto::Error::InvalidMac))
    );
    assert!(verify_membership_tag(&key, data, &want[..31]).is_err());
}

#[test]
fn both_entry_points_agree() {
    let init = Secret::from_bytes([1; 32]);
    let commit = Secret::from_bytes([2; 32]);
    let psk = Secret::from_bytes([3; 32]);
    let g = gc(7);
    let member = NewEpoch::from_commit(&init, &commit, &psk, &g).unwrap();
    assert_eq!(
        member.joiner_secret,
        joiner_secret(&init, &commit, &g).unwrap()
    );
    assert_eq!(
        member.welcome_secret,
        welcome_secret(&member.joiner_secret, &psk).unwrap()
    );
    let joiner = NewEpoch::from_joiner_secret(&member.joiner_secret, &psk, &g).unwrap();
    assert_eq!(joiner.welcome_secret, member.welcome_secret);
    assert_eq!(joiner.encryption_secret, member.encryption_secret);
    assert_eq!(
        joiner.secrets.to_bytes().unwrap(),
        member.secrets.to_bytes().unwrap()
    );
    // A different GroupContext or PSK gives a different epoch.
    let other = NewEpoch::from_joiner_secret(&member.joiner_secret, &psk, &gc(8)).unwrap();
    assert_ne!(other.secrets.init_secret, member.secrets.init_secret);
    let other = NewEpoch::from_joiner_secret(&member.joiner_secret, &Secret::zero(), &g).unwrap();
    assert_ne!(other.welcome_secret, member.welcome_secret);
}

#[test]
fn welcome_and_sender_data_keys_follow_expand_with_label() {
    let ws = Secret::from_bytes([9; 32]);
    let kn = welcome_key_nonce::<Mls128ChaCha>(&ws).unwrap();
    let (mut key, mut nonce) = ([0u8; 32], [0u8; 12]);
    expand_with_label_into(ws.as_bytes(), b"key", b"", &mut key).unwrap();
    expand_with_label_into(ws.as_bytes(), b"nonce", b"", &mut nonce).unwrap();
    assert_eq!(kn.key(), key);
    assert_eq!(kn.nonce(), &nonce);

    // A ciphertext shorter than Nh is sampled whole; a longer one is cut at Nh bytes.
    let sds = Secret::from_bytes([8; 32]);
    let short = [1u8; 10];
    let kn = sender_data_key_nonce::<Mls128ChaCha>(&sds, &short).unwrap();
    expand_with_label_into(sds.as_bytes(), b"key", &short, &mut key).unwrap();
    assert_eq!(kn.key(), key);
    let long = [2u8; 50];
    let a = sender_data_key_nonce::<Mls128ChaCha>(&sds, &long).unwrap();
    let b = sender_data_key_nonce::<Mls128ChaCha>(&sds, &long[..32]).unwrap();
    assert_eq!(a, b);
    expand_with_label_into(sds.as_bytes(), b"nonce", &long[..32], &mut nonce).unwrap();
    assert_eq!(a.nonce(), &nonce);
}

#[test]
fn epoch_secrets_round_trip_and_reject_truncation() {
    let (_, secrets) = EpochSecrets::from_epoch_secret(&Secret::from_bytes([4; 32])).unwrap();
    let blob = secrets.to_bytes().unwrap();
    assert_eq!(blob.len(), secrets.encoded_len());
    let back = EpochSecrets::decode_exact(&blob).unwrap();
    assert_eq!(back.to_bytes().unwrap(), blob);
    for cut in [0, 31, 8 * 32, blob.len() - 1] {
        assert!(EpochSecrets::decode_exact(&blob[..cut]).is_err());
    }
}

#[test]
fn exporter_matches_the_rfc_formula() {
    let (_, secrets) = EpochSecrets::from_epoch_secret(&Secret::from_bytes([6; 32])).unwrap();
    let mut out = [0u8; 20];
    secrets.export(b"label", b"context", &mut out).unwrap();
    let derived = vmls_crypto::derive_secret(secrets.exporter_secret.as_bytes(), b"label").unwrap();
    let context_hash: [u8; 32] = Sha256::digest(b"context").into();
    let mut want = [0u8; 20];
    expand_with_label_into(derived.as_bytes(), b"exported", &context_hash, &mut want).unwrap();
    assert_eq!(out, want);
}
