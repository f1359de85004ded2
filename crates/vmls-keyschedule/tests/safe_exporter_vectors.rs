//! Checks the safe exporter against test-vectors/vmls/safe-exporter.json, whose expected values
//! were computed by the independent Python script test-vectors/vmls/gen_safe_exporter.py.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use vmls_crypto::Secret;
use vmls_keyschedule::{EpochSecrets, KeyScheduleError, SafeExporter};

const VECTORS: &str = include_str!("../../../test-vectors/vmls/safe-exporter.json");

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn secret(v: &Value, key: &str) -> Secret {
    Secret::from_slice(&hex(v[key].as_str().unwrap())).unwrap()
}

#[test]
fn safe_exporter_vectors() {
    let cases: Vec<Value> = serde_json::from_str(VECTORS).unwrap();
    assert!(!cases.is_empty());
    for case in &cases {
        let desc = case["description"].as_str().unwrap();
        let (_, mut epoch) =
            EpochSecrets::from_epoch_secret(&secret(case, "epoch_secret")).unwrap();
        // The same exporter rebuilt from the published application_export_secret.
        let mut direct = SafeExporter::new(secret(case, "application_export_secret")).unwrap();
        let exports = case["exports"].as_array().unwrap();
        for e in exports {
            let id = u16::try_from(e["component_id"].as_u64().unwrap()).unwrap();
            let want = secret(e, "secret");
            assert!(epoch.safe_exporter.is_available(id), "{desc}: {id:#06x}");
            assert_eq!(
                epoch.safe_export_secret(id).unwrap(),
                want,
                "{desc}: {id:#06x}"
            );
            assert_eq!(
                direct.safe_export_secret(id).unwrap(),
                want,
                "{desc}: {id:#06x}"
            );
            // Consumed: the second request in the same epoch is a typed error.
            assert!(!epoch.safe_exporter.is_available(id));
            assert_eq!(
                epoch.safe_export_secret(id),
                Err(KeyScheduleError::SafeExportConsumed { component_id: id }),
                "{desc}: {id:#06x}"
            );
        }
        // A persisted and restored exporter keeps both the consumed and the available secrets.
        use vmls_codec::{Decode, Encode};
        let blob = epoch.to_bytes().unwrap();
        let mut restored = EpochSecrets::decode_exact(&blob).unwrap();
        for e in exports {
            let id = u16::try_from(e["component_id"].as_u64().unwrap()).unwrap();
            assert_eq!(
                restored.safe_export_secret(id),
                Err(KeyScheduleError::SafeExportConsumed { component_id: id })
            );
        }
        // ... and a component not exported yet still gives the secret of the original tree.
        let unused = 0x4242;
        let mut fresh = SafeExporter::new(secret(case, "application_export_secret")).unwrap();
        assert_eq!(
            restored.safe_export_secret(unused).unwrap(),
            fresh.safe_export_secret(unused).unwrap()
        );
    }
}
