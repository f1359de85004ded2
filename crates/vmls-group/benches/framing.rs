//! Application-message encryption and decryption on caller buffers (RFC 9420 section 6.3):
//! signature, content AEAD, sender-data AEAD and framing, for 100 B and 10 KiB payloads. The
//! ratchet key is derived once outside the loop (the secret tree is benchmarked on its own).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vmls_codec::VLBytes;
use vmls_crypto::{Mls128ChaCha, Secret, SeededPrng, SignatureKeyPair};
use vmls_group::{
    ApplicationSender, EncodedGroupContext, PreparedSigner, PrivateMessageView,
    application_message_len, encrypt_application_into,
};
use vmls_keyschedule::GroupContext;
use vmls_secret_tree::{RatchetType, SecretTree};

type S = Mls128ChaCha;

fn bench(c: &mut Criterion) {
    let mut rng = SeededPrng::from_seed([1; 32]);
    let signer = SignatureKeyPair::generate(&mut rng);
    let context = GroupContext {
        version: 1,
        cipher_suite: 3,
        group_id: VLBytes::from(&[0x11u8; 32][..]),
        epoch: 42,
        tree_hash: VLBytes::from(&[0x22u8; 32][..]),
        confirmed_transcript_hash: VLBytes::from(&[0x33u8; 32][..]),
        extensions: Vec::new(),
    };
    let ctx = EncodedGroupContext::new(&context).unwrap();
    let sender_data_secret = Secret::from_bytes([0x44; 32]);
    let mut tree = SecretTree::<S>::new(Secret::from_bytes([0x55; 32]), 16).unwrap();
    let (generation, key) = tree.next_send_key(3, RatchetType::Application).unwrap();
    let prepared = PreparedSigner::new(&signer.private);
    let sender = ApplicationSender {
        context: &ctx,
        leaf_index: 3,
        signer: &prepared,
        sender_data_secret: &sender_data_secret,
    };

    let mut group = c.benchmark_group("application");
    for size in [100usize, 10 * 1024] {
        let payload = vec![0xa5u8; size];
        let mut wire = vec![0u8; application_message_len(32, 0, size, 0)];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("encrypt", size), &payload, |b, p| {
            b.iter(|| {
                encrypt_application_into::<S, _>(
                    &sender,
                    generation,
                    &key,
                    &[],
                    black_box(p),
                    0,
                    &mut rng,
                    &mut wire,
                )
                .unwrap()
            })
        });
        let n = encrypt_application_into::<S, _>(
            &sender,
            generation,
            &key,
            &[],
            &payload,
            0,
            &mut rng,
            &mut wire,
        )
        .unwrap();
        let mut out = vec![0u8; n];
        group.bench_with_input(BenchmarkId::new("decrypt", size), &wire[..n], |b, w| {
            b.iter(|| {
                let view = PrivateMessageView::parse(black_box(w)).unwrap();
                let sd = view.decrypt_sender_data::<S>(&sender_data_secret).unwrap();
                view.decrypt_application_into::<S>(&sd, &key, &signer.public, &ctx, &mut out)
                    .unwrap()
                    .len
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
