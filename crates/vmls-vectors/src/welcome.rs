//! welcome.json: decrypt a Welcome with the init key of the KeyPackage, decrypt and verify the
//! GroupInfo, and check its confirmation tag with the key schedule of the joiner secret
//! (RFC 9420 section 12.4.3.1).
use serde_json::Value;
use vmls_codec::{Decode, Encode};
use vmls_crypto::{CipherSuite, HpkePrivateKey, Mls128ChaCha, Secret};
use vmls_group::{KeyPackage, MLSMessage, MLSMessageBody, Welcome};
use vmls_keyschedule::NewEpoch;

use crate::Outcome;
use crate::util::{bytes, check_eq, outcome, require_suite};

fn decode_message(case: &Value, field: &str) -> Result<MLSMessageBody, String> {
    let raw = bytes(case, field)?;
    let m = MLSMessage::decode_exact(&raw).map_err(|e| format!("{field}: decode: {e}"))?;
    check_eq(
        &format!("{field} re-encoded"),
        &m.to_bytes().map_err(|e| e.to_string())?,
        &raw,
    )?;
    Ok(m.body)
}

fn run_suite<S: CipherSuite>(case: &Value) -> Result<(), String> {
    let MLSMessageBody::KeyPackage(key_package) = decode_message(case, "key_package")? else {
        return Err("key_package is not an MLSMessage(KeyPackage)".into());
    };
    let MLSMessageBody::Welcome(welcome) = decode_message(case, "welcome")? else {
        return Err("welcome is not an MLSMessage(Welcome)".into());
    };
    key_package
        .verify_signature()
        .map_err(|e| format!("key package signature: {e}"))?;
    let init_priv =
        HpkePrivateKey::from_slice(&bytes(case, "init_priv")?).map_err(|e| e.to_string())?;
    check_eq(
        "init_priv matches the KeyPackage init_key",
        &init_priv.public_key(),
        key_package.tbs.init_key.as_slice(),
    )?;
    check_ref(&welcome, &key_package)?;

    let secrets = welcome
        .decrypt_group_secrets::<S>(&key_package, &init_priv)
        .map_err(|e| format!("group secrets: {e}"))?;
    if !secrets.psks.is_empty() {
        return Err(format!(
            "{} PSKs in the group secrets, none expected",
            secrets.psks.len()
        ));
    }
    let no_psks = Secret::zero();
    let welcome_secret = vmls_keyschedule::welcome_secret(&secrets.joiner_secret, &no_psks)
        .map_err(|e| e.to_string())?;
    let group_info = welcome
        .decrypt_group_info::<S>(&welcome_secret)
        .map_err(|e| format!("group info: {e}"))?;
    group_info
        .verify_signature(&bytes(case, "signer_pub")?)
        .map_err(|e| format!("group info signature: {e}"))?;
    let epoch =
        NewEpoch::from_joiner_secret(&secrets.joiner_secret, &no_psks, group_info.group_context())
            .map_err(|e| e.to_string())?;
    check_eq(
        "welcome_secret of the epoch",
        epoch.welcome_secret.as_bytes(),
        welcome_secret.as_bytes(),
    )?;
    group_info
        .verify_confirmation_tag(&epoch.secrets.confirmation_key)
        .map_err(|e| format!("confirmation tag: {e}"))?;

    // Negative checks: a wrong init key, a wrong welcome secret and a wrong signer fail.
    let other = HpkePrivateKey::from_slice(&[7u8; 32]).map_err(|e| e.to_string())?;
    if welcome
        .decrypt_group_secrets::<S>(&key_package, &other)
        .is_ok()
    {
        return Err("group secrets decrypted with another init key".into());
    }
    if welcome
        .decrypt_group_info::<S>(&Secret::from_bytes([9; 32]))
        .is_ok()
    {
        return Err("group info decrypted with another welcome secret".into());
    }
    // The joiner's own key is not the signer's.
    let joiner_key = key_package.tbs.leaf_node.content.signature_key;
    if joiner_key.as_slice() != bytes(case, "signer_pub")?.as_slice()
        && group_info.verify_signature(joiner_key.as_slice()).is_ok()
    {
        return Err("group info verified with the joiner's key".into());
    }
    Ok(())
}

/// The Welcome names the KeyPackage by `MakeKeyPackageRef` of its encoding.
fn check_ref(welcome: &Welcome, key_package: &KeyPackage) -> Result<(), String> {
    let r = key_package.make_ref().map_err(|e| e.to_string())?;
    let want = vmls_crypto::ref_hash(
        b"MLS 1.0 KeyPackage Reference",
        &key_package.to_bytes().map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    check_eq("KeyPackageRef", r.as_slice(), &want)?;
    if welcome.find_secrets(&r).is_none() {
        return Err("no EncryptedGroupSecrets for the KeyPackage's ref".into());
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
