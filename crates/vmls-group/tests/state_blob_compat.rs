//! The state blob format is versioned (issue 14.8): every blob format this project ever wrote is
//! checked in under `test-vectors/vmls/group-state-v*.json`, and this build must either read it
//! (migration) or reject it with the typed [`GroupError::UnsupportedStateVersion`].
//!
//! The expectations come from the other member of the group (Alice), not from the restored one:
//! a restored blob must decrypt the message Alice sent in that epoch and agree with Alice's
//! epoch authenticator and exporter.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use vmls_group::group::STATE_VERSION;
use vmls_group::{Group, GroupError, ProcessedMessage};

/// Blob versions this build reads (the current one and those it migrates).
const READABLE: &[u16] = &[1, 2, 3, 4];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn vectors() -> Vec<(u16, serde_json::Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test-vectors/vmls");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(v) = name
            .strip_prefix("group-state-v")
            .and_then(|r| r.strip_suffix(".json"))
        {
            let json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let version: u16 = v.parse().unwrap();
            assert_eq!(json["state_version"].as_u64(), Some(u64::from(version)));
            out.push((version, json));
        }
    }
    out.sort_by_key(|(v, _)| *v);
    out
}

#[test]
fn every_checked_in_blob_is_read_or_rejected_with_a_typed_error() {
    let all = vectors();
    assert!(
        all.iter().any(|(v, _)| *v == 1),
        "the v1 blob is checked in"
    );
    assert!(READABLE.contains(&STATE_VERSION));
    for (version, json) in all {
        let blob = unhex(json["state"].as_str().unwrap());
        let restored = Group::<vmls_crypto::Mls128ChaCha>::from_bytes(&blob);
        if !READABLE.contains(&version) {
            assert_eq!(
                restored.unwrap_err(),
                GroupError::UnsupportedStateVersion(version)
            );
            continue;
        }
        let mut bob = restored.unwrap_or_else(|e| panic!("v{version} blob: {e:?}"));
        assert_eq!(bob.epoch(), json["epoch"].as_u64().unwrap());
        assert_eq!(
            bob.epoch_authenticator().as_slice(),
            unhex(json["alice_epoch_authenticator"].as_str().unwrap())
        );
        let mut exporter = [0u8; 32];
        bob.export_secret(
            json["alice_exporter_label"].as_str().unwrap().as_bytes(),
            b"",
            &mut exporter,
        )
        .unwrap();
        assert_eq!(
            exporter.as_slice(),
            unhex(json["alice_exporter"].as_str().unwrap())
        );
        let msg = unhex(json["alice_message"].as_str().unwrap());
        match bob.process_message(&msg).unwrap() {
            ProcessedMessage::Application {
                sender,
                data,
                authenticated_data,
                ..
            } => {
                assert_eq!(sender, 0);
                assert_eq!(data, unhex(json["alice_plaintext"].as_str().unwrap()));
                assert_eq!(
                    authenticated_data,
                    unhex(json["alice_authenticated_data"].as_str().unwrap())
                );
            }
            other => panic!("v{version}: {other:?}"),
        }
        // The restored state is a working state: the same message is a replay now.
        assert!(bob.process_message(&msg).is_err());
        // And it writes the current format.
        let again = bob.to_bytes().unwrap();
        assert_eq!(u16::from_be_bytes([again[0], again[1]]), STATE_VERSION);
    }
}

#[test]
fn a_version_this_build_does_not_know_is_a_typed_error() {
    let (_, json) = vectors().into_iter().next().unwrap();
    let mut blob = unhex(json["state"].as_str().unwrap());
    for v in [0u16, STATE_VERSION + 1, 0xffff] {
        blob[..2].copy_from_slice(&v.to_be_bytes());
        assert_eq!(
            Group::<vmls_crypto::Mls128ChaCha>::from_bytes(&blob).unwrap_err(),
            GroupError::UnsupportedStateVersion(v)
        );
    }
}
