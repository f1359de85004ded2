//! Writes `test-vectors/vmls/group-state-v{STATE_VERSION}.json`: a member's state blob in this
//! build's format, with what a second member (the sender) knows to check it independently.
//!
//! Bob's blob is taken in epoch 2 of a two-member group, with a past epoch retained and Alice's
//! proposal cached. Alice then sends an application message in that epoch. The check
//! (`tests/state_blob_compat.rs`) restores the blob and must decrypt Alice's message and agree
//! with Alice's `epoch_authenticator` and exporter: values Alice computed, not Bob.
//!
//! Run from the workspace root: `cargo run -p vmls-group --example state_blob`. A committed file
//! is never regenerated: a new format writes a new file, and the old one stays as the test's
//! input for migration or typed rejection.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use vmls_crypto::{SeededPrng, SignatureKeyPair};
use vmls_group::group::{KeyPackageParams, STATE_VERSION, create_key_package};
use vmls_group::{Add, CommitOptions, Group, GroupConfig, Proposal, PskStore};
use vmls_tree::Lifetime;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn main() {
    let mut rng = SeededPrng::from_seed([0x51; 32]);
    let forever = Lifetime {
        not_before: 0,
        not_after: u64::MAX,
    };
    let alice_key = SignatureKeyPair::generate(&mut rng);
    let mut alice: Group = Group::create(
        b"state blob v1",
        &KeyPackageParams::basic(b"alice", forever),
        &alice_key,
        vec![],
        GroupConfig::default(),
        &mut rng,
    )
    .unwrap();
    let bob_key = SignatureKeyPair::generate(&mut rng);
    let (bob_kp, bob_private) = create_key_package::<vmls_crypto::Mls128ChaCha, _>(
        &KeyPackageParams::basic(b"bob", forever),
        &bob_key,
        &mut rng,
    )
    .unwrap();
    let out = alice
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add {
                    key_package: bob_kp.clone(),
                })],
                ..CommitOptions::default()
            },
            &mut rng,
        )
        .unwrap();
    alice.merge_pending_commit().unwrap();
    let mut bob: Group = Group::join_from_welcome_bytes(
        &out.welcome.unwrap(),
        &bob_kp,
        &bob_private,
        None,
        PskStore::new(),
        GroupConfig::default(),
    )
    .unwrap();
    // Epoch 2 by Bob's self-update, so Bob keeps epoch 1 as a past epoch.
    let c = bob.commit(&CommitOptions::default(), &mut rng).unwrap();
    bob.merge_pending_commit().unwrap();
    alice.process_message(&c.commit).unwrap();
    // A proposal of Alice's, cached by Bob.
    let (p, _) = alice.propose_remove(1, &mut rng).unwrap();
    bob.process_message(&p).unwrap();
    let state = bob.to_bytes().unwrap();

    // Alice may not send application data with a proposal pending (RFC 9420 section 12.4), so
    // she drops hers; Bob's blob keeps his cached copy.
    alice.clear_pending_proposals();
    let plaintext = b"written by state blob version 1";
    let mut wire = vec![0u8; alice.application_message_len(b"ad".len(), plaintext.len())];
    let n = alice
        .encrypt_application(b"ad", plaintext, &mut rng, &mut wire)
        .unwrap();
    wire.truncate(n);
    let mut exporter = [0u8; 32];
    alice
        .export_secret(b"state blob", b"", &mut exporter)
        .unwrap();

    let json = format!(
        "{{\n  \"description\": \"vmls Group state blob, format version {v}: Bob (leaf 1) in epoch {e}, one past epoch, one cached proposal. Alice (leaf 0) computed epoch_authenticator, exporter and message.\",\n  \"state_version\": {v},\n  \"epoch\": {e},\n  \"state\": \"{s}\",\n  \"alice_epoch_authenticator\": \"{ea}\",\n  \"alice_exporter_label\": \"state blob\",\n  \"alice_exporter\": \"{ex}\",\n  \"alice_message\": \"{m}\",\n  \"alice_authenticated_data\": \"{ad}\",\n  \"alice_plaintext\": \"{pt}\"\n}}\n",
        v = STATE_VERSION,
        e = alice.epoch(),
        s = hex(&state),
        ea = hex(alice.epoch_authenticator()),
        ex = hex(&exporter),
        m = hex(&wire),
        ad = hex(b"ad"),
        pt = hex(plaintext),
    );
    let path = format!("test-vectors/vmls/group-state-v{STATE_VERSION}.json");
    if std::path::Path::new(&path).exists() {
        eprintln!("{path} exists: committed blobs are never regenerated");
        std::process::exit(1);
    }
    std::fs::write(&path, json).unwrap();
    println!("wrote {path}");
}
