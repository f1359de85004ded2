//! psk_secret.json: PreSharedKeyID (external) and the psk_secret chain (RFC 9420 section 8.4).
use serde_json::Value;
use vmls_codec::{Decode, Encode, VLBytes};
use vmls_keyschedule::{PreSharedKeyId, Psk, psk_secret};

use crate::Outcome;
use crate::util::{array, bytes, check_eq, outcome, require_suite};

fn check(case: &Value) -> Result<(), String> {
    let mut ids = Vec::new();
    let mut values = Vec::new();
    for p in array(case, "psks")? {
        let id = PreSharedKeyId {
            psk: Psk::External {
                psk_id: VLBytes::new(bytes(p, "psk_id")?),
            },
            psk_nonce: VLBytes::new(bytes(p, "psk_nonce")?),
        };
        // The encoding round-trips (decode of our own encoding gives the same id).
        let enc = id.to_bytes().map_err(|e| e.to_string())?;
        let back = PreSharedKeyId::decode_exact(&enc).map_err(|e| e.to_string())?;
        if back != id {
            return Err("PreSharedKeyID encoding does not round-trip".into());
        }
        ids.push(id);
        values.push(bytes(p, "psk")?);
    }
    let got =
        psk_secret(ids.iter().zip(values.iter().map(Vec::as_slice))).map_err(|e| e.to_string())?;
    check_eq("psk_secret", got.as_bytes(), &bytes(case, "psk_secret")?)
}

pub fn run(case: &Value) -> Outcome {
    if let Err(o) = require_suite(case) {
        return o;
    }
    outcome(check(case))
}
