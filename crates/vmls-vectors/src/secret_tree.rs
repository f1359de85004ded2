//! secret-tree.json: sender-data key/nonce (RFC 9420 section 6.3.2) and the per-leaf handshake
//! and application ratchets of the secret tree (section 9).
use serde_json::Value;
use vmls_crypto::{self as c, CipherSuite, Secret};
use vmls_keyschedule::sender_data_key_nonce;
use vmls_secret_tree::{RatchetType, SecretTree};

use crate::Outcome;
use crate::util::{array, bytes, check_eq, field, outcome, require_suite, uint};

fn secret(v: &Value, key: &str) -> Result<Secret, String> {
    Secret::from_slice(&bytes(v, key)?).ok_or_else(|| format!("`{key}` is not Nh bytes"))
}

fn check<S: CipherSuite>(case: &Value) -> Result<(), String> {
    let sd = field(case, "sender_data")?;
    let kn = sender_data_key_nonce::<S>(
        &secret(sd, "sender_data_secret")?,
        &bytes(sd, "ciphertext")?,
    )
    .map_err(|e| e.to_string())?;
    check_eq("sender_data.key", kn.key(), &bytes(sd, "key")?)?;
    check_eq("sender_data.nonce", kn.nonce(), &bytes(sd, "nonce")?)?;

    let leaves = array(case, "leaves")?;
    let n = u32::try_from(leaves.len()).map_err(|e| e.to_string())?;
    let mut tree =
        SecretTree::<S>::new(secret(case, "encryption_secret")?, n).map_err(|e| e.to_string())?;
    for (i, gens) in leaves.iter().enumerate() {
        let leaf = i as u32;
        let gens = gens.as_array().ok_or("leaves[i] is not an array")?;
        for g in gens {
            let generation = u32::try_from(uint(g, "generation")?).map_err(|e| e.to_string())?;
            for (kind, name) in [
                (RatchetType::Handshake, "handshake"),
                (RatchetType::Application, "application"),
            ] {
                let what = format!("leaf {leaf} generation {generation} {name}");
                let peeked = tree
                    .peek_key(leaf, kind, generation)
                    .map_err(|e| format!("{what}: {e}"))?;
                let taken = tree
                    .take_key(leaf, kind, generation)
                    .map_err(|e| format!("{what}: {e}"))?;
                for kn in [&peeked, &taken] {
                    check_eq(
                        &format!("{what} key"),
                        kn.key(),
                        &bytes(g, &format!("{name}_key"))?,
                    )?;
                    check_eq(
                        &format!("{what} nonce"),
                        kn.nonce(),
                        &bytes(g, &format!("{name}_nonce"))?,
                    )?;
                }
            }
        }
    }
    Ok(())
}

pub fn run(case: &Value) -> Outcome {
    let suite = match require_suite(case) {
        Ok(s) => s,
        Err(o) => return o,
    };
    outcome(match suite {
        #[cfg(feature = "suite-1")]
        1 => check::<c::Mls128Aes>(case),
        _ => check::<c::Mls128ChaCha>(case),
    })
}
