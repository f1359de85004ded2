//! passive-client-welcome.json, passive-client-handling-commit.json, passive-client-random.json:
//! join from a Welcome (tree in the Welcome or out of band, external PSKs), check the epoch
//! authenticator, then for every epoch process the proposals (as MLSMessages, cached by
//! reference) and the Commit and check the epoch authenticator again (test-vectors.md,
//! "Passive Client Scenarios").
use serde_json::Value;
use vmls_codec::Decode;
use vmls_crypto::{CipherSuite, HpkePrivateKey, Mls128ChaCha, SignaturePrivateKey};
use vmls_group::group::{Group, GroupConfig, KeyPackagePrivate, ProcessedMessage, PskStore};
use vmls_group::{MLSMessage, MLSMessageBody};

use crate::Outcome;
use crate::util::{array, bytes, check_eq, hex, opt_bytes, outcome, require_suite};

fn run_suite<S: CipherSuite>(case: &Value) -> Result<(), String> {
    let raw = bytes(case, "key_package")?;
    let MLSMessageBody::KeyPackage(key_package) = MLSMessage::decode_exact(&raw)
        .map_err(|e| format!("key_package: {e}"))?
        .body
    else {
        return Err("key_package is not an MLSMessage(KeyPackage)".into());
    };
    let private = KeyPackagePrivate {
        init_key: HpkePrivateKey::from_slice(&bytes(case, "init_priv")?)
            .map_err(|e| e.to_string())?,
        leaf_key: HpkePrivateKey::from_slice(&bytes(case, "encryption_priv")?)
            .map_err(|e| e.to_string())?,
        signature_key: SignaturePrivateKey::from_slice(&bytes(case, "signature_priv")?)
            .map_err(|e| e.to_string())?,
    };
    check_eq(
        "init_priv matches init_key",
        &private.init_key.public_key(),
        key_package.tbs.init_key.as_slice(),
    )?;
    check_eq(
        "encryption_priv matches encryption_key",
        &private.leaf_key.public_key(),
        key_package.tbs.leaf_node.encryption_key(),
    )?;
    check_eq(
        "signature_priv matches signature_key",
        &private.signature_key.public_key(),
        key_package.tbs.leaf_node.signature_key(),
    )?;
    let mut psks = PskStore::new();
    for p in array(case, "external_psks")? {
        psks.insert_external(&bytes(p, "psk_id")?, &bytes(p, "psk")?);
    }
    let tree = opt_bytes(case, "ratchet_tree")?;
    let config = GroupConfig {
        max_past_epochs: 0,
        // The random scenario reaches 200 epochs; keep every resumption PSK it may reference.
        max_resumption_psks: 256,
        ..GroupConfig::default()
    };
    let mut group = Group::<S>::join_from_welcome_bytes(
        &bytes(case, "welcome")?,
        &key_package,
        &private,
        tree.as_deref(),
        psks,
        config,
    )
    .map_err(|e| format!("join: {e}"))?;
    check_eq(
        "initial epoch_authenticator",
        group.epoch_authenticator(),
        &bytes(case, "initial_epoch_authenticator")?,
    )?;
    for (n, epoch) in array(case, "epochs")?.iter().enumerate() {
        for (k, p) in array(epoch, "proposals")?.iter().enumerate() {
            let msg = crate::util::unhex(p.as_str().ok_or("proposal is not a string")?)?;
            match group.process_message(&msg) {
                Ok(ProcessedMessage::Proposal { .. }) => {}
                Ok(other) => return Err(format!("epoch {n} proposal {k}: got {other:?}")),
                Err(e) => return Err(format!("epoch {n} proposal {k}: {e}")),
            }
        }
        let before = group.epoch();
        match group.process_message(&bytes(epoch, "commit")?) {
            Ok(ProcessedMessage::Commit(s)) if !s.self_removed => {}
            Ok(other) => return Err(format!("epoch {n} commit: got {other:?}")),
            Err(e) => return Err(format!("epoch {n} commit: {e}")),
        }
        if group.epoch() != before + 1 {
            return Err(format!(
                "epoch {n}: epoch {} after the commit",
                group.epoch()
            ));
        }
        let want = bytes(epoch, "epoch_authenticator")?;
        if group.epoch_authenticator().as_slice() != want.as_slice() {
            return Err(format!(
                "epoch {n}: epoch_authenticator {} want {}",
                hex(group.epoch_authenticator()),
                hex(&want)
            ));
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
        1 => run_suite::<vmls_crypto::Mls128Aes>(case),
        _ => run_suite::<Mls128ChaCha>(case),
    })
}
