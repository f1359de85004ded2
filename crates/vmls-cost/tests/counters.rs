//! The measurement hooks themselves: `vmls-crypto`'s `op-count` counters and `vmls-ds`'s
//! traffic counters, against what each primitive does by definition (RFC 9180 base mode: a
//! seal is one ephemeral key generation and one DH, an open one DH; a DS fan-out is one copy
//! per member). Its own test binary: the counters are process-wide.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use vmls_crypto::op_count::{self, OpCounts};
use vmls_crypto::{
    Mls128ChaCha, SeededPrng, SignatureKeyPair, decrypt_with_label, encrypt_with_label,
    generate_hpke_key_pair, sign_with_label, verify_with_label,
};
use vmls_ds::{DeliveryService, Traffic};

#[test]
fn each_primitive_counts_once() {
    let mut rng = SeededPrng::from_seed([3; 32]);
    let before = op_count::snapshot();
    let sk = SignatureKeyPair::generate(&mut rng);
    let sig = sign_with_label(&sk.private, b"label", b"content").unwrap();
    verify_with_label(&sk.public, b"label", b"content", &sig).unwrap();
    let kp = generate_hpke_key_pair(&mut rng).unwrap();
    let ct =
        encrypt_with_label::<Mls128ChaCha, _>(&kp.public, b"l", b"c", b"secret", &mut rng).unwrap();
    let pt =
        decrypt_with_label::<Mls128ChaCha>(&kp.private, b"l", b"c", &ct.kem_output, &ct.ciphertext)
            .unwrap();
    assert_eq!(pt.as_slice(), b"secret");
    let d = op_count::snapshot().since(&before);
    assert_eq!(
        OpCounts { x25519: 0, ..d },
        OpCounts {
            sign: 1,
            verify: 1,
            hpke_seal: 1,
            hpke_open: 1,
            hpke_keygen: 1,
            sig_keygen: 1,
            x25519: 0,
        }
    );
    // X25519 multiplications: the key pair's public key (1), the seal's ephemeral key and DH
    // (2), the open's DH (1); hpke-rs may also recompute the receiver's public key for the
    // KEM context (RFC 9180 section 4.1: `pkRm` enters the KEM context).
    assert!((4..=5).contains(&d.x25519), "{d:?}");
    assert_eq!(d.public_key_ops(), 6);
    op_count::reset();
    assert_eq!(op_count::snapshot(), OpCounts::default());
}

#[test]
fn the_ds_counts_uploads_fan_out_and_reads() {
    let mut ds = DeliveryService::new();
    ds.create_group(b"g", 0, &["a", "b", "c"]);
    // A PrivateMessage header (version, wire format 2, group id "g", epoch 0, application).
    let mut m = vec![0, 1, 0, 2, 1, b'g'];
    m.extend_from_slice(&0u64.to_be_bytes());
    m.push(1);
    m.extend_from_slice(&[0u8; 20]);
    ds.send(&m).unwrap();
    ds.send_to("d", b"welcome");
    let n = m.len() as u64;
    assert_eq!(
        ds.traffic(),
        Traffic {
            sent_messages: 2,
            sent_bytes: n + 7,
            fanned_out_messages: 4,
            fanned_out_bytes: 3 * n + 7,
            received_messages: 0,
            received_bytes: 0,
        }
    );
    // A queue read by two readers (two emulators of one virtual client) counts twice.
    assert_eq!(ds.read("a", "a").len(), 1);
    ds.read("a", "a2");
    let t = ds.traffic();
    assert_eq!((t.received_messages, t.received_bytes), (2, 2 * n));
    ds.reset_traffic();
    assert_eq!(ds.traffic(), Traffic::default());
    assert_eq!(ds.members(b"g"), vec!["a", "b", "c"]);
}
