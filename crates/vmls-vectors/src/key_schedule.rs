//! key-schedule.json: GroupContext, the epoch key schedule from both entry points, external_pub
//! and MLS-Exporter (RFC 9420 sections 8, 8.5).
use serde_json::Value;
use vmls_codec::{Encode, VLBytes};
use vmls_crypto::{self as c, CipherSuite, Secret};
use vmls_keyschedule::{GroupContext, MLS10, NewEpoch};

use crate::Outcome;
use crate::util::{array, bytes, check_eq, field, outcome, require_suite, uint};

fn secret(v: &Value, key: &str) -> Result<Secret, String> {
    Secret::from_slice(&bytes(v, key)?).ok_or_else(|| format!("`{key}` is not Nh bytes"))
}

fn check_secrets(ne: &NewEpoch, ep: &Value, which: &str) -> Result<(), String> {
    let s = &ne.secrets;
    let checks: [(&str, &Secret); 11] = [
        ("joiner_secret", &ne.joiner_secret),
        ("welcome_secret", &ne.welcome_secret),
        ("encryption_secret", &ne.encryption_secret),
        ("init_secret", &s.init_secret),
        ("sender_data_secret", &s.sender_data_secret),
        ("exporter_secret", &s.exporter_secret),
        ("epoch_authenticator", &s.epoch_authenticator),
        ("external_secret", &s.external_secret),
        ("confirmation_key", &s.confirmation_key),
        ("membership_key", &s.membership_key),
        ("resumption_psk", &s.resumption_psk),
    ];
    for (name, got) in checks {
        check_eq(
            &format!("{which}: {name}"),
            got.as_bytes(),
            &bytes(ep, name)?,
        )?;
    }
    Ok(())
}

fn check<S: CipherSuite>(case: &Value) -> Result<(), String> {
    let group_id = bytes(case, "group_id")?;
    let mut init_secret = secret(case, "initial_init_secret")?;
    for (i, ep) in array(case, "epochs")?.iter().enumerate() {
        let gc = GroupContext {
            version: MLS10,
            cipher_suite: S::ID,
            group_id: VLBytes::new(group_id.clone()),
            epoch: i as u64,
            tree_hash: VLBytes::new(bytes(ep, "tree_hash")?),
            confirmed_transcript_hash: VLBytes::new(bytes(ep, "confirmed_transcript_hash")?),
            extensions: Vec::new(),
        };
        let encoded = gc.to_bytes().map_err(|e| e.to_string())?;
        check_eq(
            &format!("epoch {i}: group_context"),
            &encoded,
            &bytes(ep, "group_context")?,
        )?;

        let psk_secret = secret(ep, "psk_secret")?;
        let member = NewEpoch::from_commit(
            &init_secret,
            &secret(ep, "commit_secret")?,
            &psk_secret,
            &gc,
        )
        .map_err(|e| e.to_string())?;
        check_secrets(&member, ep, &format!("epoch {i} (member)"))?;
        let joiner = NewEpoch::from_joiner_secret(&secret(ep, "joiner_secret")?, &psk_secret, &gc)
            .map_err(|e| e.to_string())?;
        check_secrets(&joiner, ep, &format!("epoch {i} (joiner)"))?;

        let kp = member
            .secrets
            .external_key_pair()
            .map_err(|e| e.to_string())?;
        check_eq(
            &format!("epoch {i}: external_pub"),
            &kp.public,
            &bytes(ep, "external_pub")?,
        )?;

        let ex = field(ep, "exporter")?;
        // `label` is a string (test-vectors.md), used as its UTF-8 bytes, not hex-decoded.
        let label = ex
            .get("label")
            .and_then(Value::as_str)
            .ok_or("missing string field `exporter.label`")?;
        let mut out = vec![0u8; uint(ex, "length")? as usize];
        member
            .secrets
            .export(label.as_bytes(), &bytes(ex, "context")?, &mut out)
            .map_err(|e| e.to_string())?;
        check_eq(
            &format!("epoch {i}: exporter.secret"),
            &out,
            &bytes(ex, "secret")?,
        )?;

        init_secret = member.secrets.init_secret.clone();
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
