//! The application-message path allocates nothing: one encrypt and one decrypt of a 100-byte
//! message, keys taken from the secret trees of sender and receiver, after setup. Alone in its
//! test binary so no other test allocates while the count runs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(missing_docs)]

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use vmls_codec::VLBytes;
use vmls_crypto::{Mls128ChaCha, Secret, SeededPrng, SignatureKeyPair};
use vmls_group::{
    ApplicationSender, EncodedGroupContext, PreparedSigner, application_message_len,
    decrypt_application_into, encrypt_application_into,
};
use vmls_keyschedule::GroupContext;
use vmls_secret_tree::{RatchetType, SecretTree};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

type S = Mls128ChaCha;

#[test]
fn application_encrypt_and_decrypt_do_not_allocate() {
    // Setup (allocates): keys, group context, secret trees, buffers.
    let mut rng = SeededPrng::from_seed([1; 32]);
    let alice = SignatureKeyPair::generate(&mut rng);
    let context = GroupContext {
        version: 1,
        cipher_suite: 3,
        group_id: VLBytes::from(&[0x11u8; 16][..]),
        epoch: 5,
        tree_hash: VLBytes::from(&[0x22u8; 32][..]),
        confirmed_transcript_hash: VLBytes::from(&[0x33u8; 32][..]),
        extensions: Vec::new(),
    };
    let ctx = EncodedGroupContext::new(&context).unwrap();
    let sender_data_secret = Secret::from_bytes([0x44; 32]);
    let encryption_secret = [0x55u8; 32];
    let mut sender_tree = SecretTree::<S>::new(Secret::from_bytes(encryption_secret), 4).unwrap();
    let mut receiver_tree = SecretTree::<S>::new(Secret::from_bytes(encryption_secret), 4).unwrap();
    let signer = PreparedSigner::new(&alice.private);
    let sender = ApplicationSender {
        context: &ctx,
        leaf_index: 2,
        signer: &signer,
        sender_data_secret: &sender_data_secret,
    };
    let payload = [0xabu8; 100];
    let aad = b"aad";
    let mut wire = vec![0u8; application_message_len(16, aad.len(), payload.len(), 0)];
    let mut plain = vec![0u8; wire.len()];

    // Warm-up message: the trees create the sender's ratchets on first use.
    let (g, key) = sender_tree
        .next_send_key(2, RatchetType::Application)
        .unwrap();
    let n =
        encrypt_application_into::<S, _>(&sender, g, &key, aad, &payload, 0, &mut rng, &mut wire)
            .unwrap();
    decrypt_application_into::<S, _>(
        &ctx,
        &sender_data_secret,
        &wire[..n],
        |sd| {
            let k =
                receiver_tree.take_key(sd.leaf_index, RatchetType::Application, sd.generation)?;
            Ok((k, alice.public))
        },
        &mut plain,
    )
    .unwrap();

    // Measured: key lookup, encrypt, decrypt (signature, both AEADs, sender data, parsing).
    let region = Region::new(GLOBAL);
    let (g, key) = sender_tree
        .next_send_key(2, RatchetType::Application)
        .unwrap();
    let n =
        encrypt_application_into::<S, _>(&sender, g, &key, aad, &payload, 0, &mut rng, &mut wire)
            .unwrap();
    let got = decrypt_application_into::<S, _>(
        &ctx,
        &sender_data_secret,
        &wire[..n],
        |sd| {
            let k =
                receiver_tree.take_key(sd.leaf_index, RatchetType::Application, sd.generation)?;
            Ok((k, alice.public))
        },
        &mut plain,
    )
    .unwrap();
    let stats = region.change();

    assert_eq!(g, 1);
    assert_eq!(got.generation, 1);
    assert_eq!(got.sender, 2);
    assert_eq!(got.authenticated_data, aad);
    assert_eq!(&plain[..got.len], &payload[..]);
    assert_eq!(
        (stats.allocations, stats.reallocations),
        (0, 0),
        "heap use during encrypt + decrypt: {stats:?}"
    );
}
