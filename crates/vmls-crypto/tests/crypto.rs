//! Properties of the crypto layer the protocol relies on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use vmls_crypto::*;

#[test]
fn hpke_is_deterministic_given_the_callers_rng() {
    // An emulator replays another emulator's commit from the same exported randomness:
    // the same RNG state must give byte-identical ciphertexts.
    let kp = derive_key_pair(&[1u8; 32]).unwrap();
    let c1 = encrypt_with_label::<Mls128ChaCha, _>(
        &kp.public,
        b"L",
        b"ctx",
        b"pt",
        &mut SeededPrng::from_seed([9; 32]),
    )
    .unwrap();
    let c2 = encrypt_with_label::<Mls128ChaCha, _>(
        &kp.public,
        b"L",
        b"ctx",
        b"pt",
        &mut SeededPrng::from_seed([9; 32]),
    )
    .unwrap();
    assert_eq!(c1, c2);
    let c3 = encrypt_with_label::<Mls128ChaCha, _>(
        &kp.public,
        b"L",
        b"ctx",
        b"pt",
        &mut SeededPrng::from_seed([8; 32]),
    )
    .unwrap();
    assert_ne!(c1.kem_output, c3.kem_output);
}

#[test]
fn hpke_rejects_wrong_label_context_and_tampering() {
    let kp = derive_key_pair(&[2u8; 32]).unwrap();
    let ct = encrypt_with_label::<Mls128ChaCha, _>(
        &kp.public,
        b"L",
        b"ctx",
        b"secret",
        &mut SeededPrng::from_seed([1; 32]),
    )
    .unwrap();
    let ok = decrypt_with_label::<Mls128ChaCha>(
        &kp.private,
        b"L",
        b"ctx",
        &ct.kem_output,
        &ct.ciphertext,
    )
    .unwrap();
    assert_eq!(&ok[..], b"secret");
    assert!(
        decrypt_with_label::<Mls128ChaCha>(
            &kp.private,
            b"M",
            b"ctx",
            &ct.kem_output,
            &ct.ciphertext
        )
        .is_err()
    );
    assert!(
        decrypt_with_label::<Mls128ChaCha>(
            &kp.private,
            b"L",
            b"ctx2",
            &ct.kem_output,
            &ct.ciphertext
        )
        .is_err()
    );
    let mut bad = ct.ciphertext.0.clone();
    bad[0] ^= 1;
    assert!(
        decrypt_with_label::<Mls128ChaCha>(&kp.private, b"L", b"ctx", &ct.kem_output, &bad)
            .is_err()
    );
    // Low-order point as KEM output: all-zero DH result must be refused (RFC 9180 7.1.4).
    assert!(
        decrypt_with_label::<Mls128ChaCha>(&kp.private, b"L", b"ctx", &[0u8; 32], &ct.ciphertext)
            .is_err()
    );
    assert!(
        decrypt_with_label::<Mls128ChaCha>(&kp.private, b"L", b"ctx", &[0u8; 5], &ct.ciphertext)
            .is_err()
    );
}

#[test]
fn signatures_bind_label_and_content() {
    let kp = SignatureKeyPair::generate(&mut SeededPrng::from_seed([3; 32]));
    let sig = sign_with_label(&kp.private, b"LeafNodeTBS", b"content").unwrap();
    assert!(verify_with_label(&kp.public, b"LeafNodeTBS", b"content", &sig).is_ok());
    assert_eq!(
        verify_with_label(&kp.public, b"KeyPackageTBS", b"content", &sig),
        Err(Error::InvalidSignature)
    );
    assert_eq!(
        verify_with_label(&kp.public, b"LeafNodeTBS", b"content!", &sig),
        Err(Error::InvalidSignature)
    );
    assert_eq!(
        verify_with_label(&kp.public[..31], b"LeafNodeTBS", b"content", &sig),
        Err(Error::InvalidPublicKey)
    );
}

#[test]
fn mac_verification() {
    let tag = mac(b"key", b"data");
    assert!(verify_mac(b"key", b"data", &tag).is_ok());
    assert_eq!(verify_mac(b"key", b"datb", &tag), Err(Error::InvalidMac));
    assert_eq!(
        verify_mac(b"key", b"data", &tag[..31]),
        Err(Error::InvalidMac)
    );
}

#[test]
fn secrets_do_not_print() {
    let s = Secret::from_bytes([0xab; 32]);
    let shown = format!("{s:?}");
    assert!(!shown.contains("ab"), "{shown}");
    let k = SignatureKeyPair::generate(&mut SeededPrng::from_seed([4; 32]));
    assert_eq!(format!("{:?}", k.private), "SignaturePrivateKey(***)");
}

#[test]
fn aead_in_place_round_trip_and_forgery() {
    let key = [5u8; 32];
    let nonce = [6u8; NONCE_LEN];
    let mut buf = *b"hello world";
    let tag = Mls128ChaCha::seal_in_place(&key, &nonce, b"aad", &mut buf).unwrap();
    assert_ne!(&buf, b"hello world");
    let mut copy = buf;
    Mls128ChaCha::open_in_place(&key, &nonce, b"aad", &mut copy, &tag).unwrap();
    assert_eq!(&copy, b"hello world");
    let mut copy = buf;
    assert_eq!(
        Mls128ChaCha::open_in_place(&key, &nonce, b"aae", &mut copy, &tag),
        Err(Error::AeadOpenFailed)
    );
    assert_eq!(
        Mls128ChaCha::open(&key, &nonce, b"", &[1, 2, 3]),
        Err(Error::AeadOpenFailed)
    );
}
