//! messages.json: every field decodes as its structure and re-encodes to the same bytes
//! (RFC 9420 sections 6, 7, 10, 12). The file has no `cipher_suite` field; the suite embedded in
//! the KeyPackage decides (suite 2 uses P-256 keys and signatures this build cannot parse).
use serde_json::Value;
use vmls_codec::{Decode, Encode};
use vmls_group::{
    Add, Commit, ContentType, ExternalInit, GroupContextExtensions, GroupSecrets, MLSMessage,
    MLSMessageBody, PreSharedKey, RatchetTreeExtension, ReInit, Remove, Update, WireFormat,
};

use crate::Outcome;
use crate::util::{bytes, check_eq, hex, outcome, suite_supported};

/// Decodes `field` as `T` (no trailing bytes) and checks that it re-encodes byte for byte.
fn roundtrip<T: Decode + Encode>(case: &Value, field: &str) -> Result<T, String> {
    let raw = bytes(case, field)?;
    let v = T::decode_exact(&raw).map_err(|e| format!("{field}: decode: {e}"))?;
    let again = v.to_bytes().map_err(|e| format!("{field}: encode: {e}"))?;
    check_eq(&format!("{field} re-encoded"), &again, &raw)?;
    if v.encoded_len() != raw.len() {
        return Err(format!(
            "{field}: encoded_len {} != {}",
            v.encoded_len(),
            raw.len()
        ));
    }
    Ok(v)
}

fn message(case: &Value, field: &str, want: WireFormat) -> Result<MLSMessage, String> {
    let m: MLSMessage = roundtrip(case, field)?;
    if m.wire_format() != want {
        return Err(format!(
            "{field}: wire format {:?}, want {want:?}",
            m.wire_format()
        ));
    }
    Ok(m)
}

fn public_message(case: &Value, field: &str, want: ContentType) -> Result<(), String> {
    match message(case, field, WireFormat::PublicMessage)?.body {
        MLSMessageBody::PublicMessage(p) if p.content.content_type() == want => Ok(()),
        MLSMessageBody::PublicMessage(p) => Err(format!(
            "{field}: content type {:?}, want {want:?}",
            p.content.content_type()
        )),
        _ => Err(format!("{field}: not a public message")),
    }
}

pub fn run(case: &Value) -> Outcome {
    let kp = match bytes(case, "mls_key_package") {
        Ok(b) => b,
        Err(e) => return Outcome::Fail(e),
    };
    // MLSMessage: version (2) || wire_format (2) || KeyPackage: version (2) || cipher_suite (2)
    let Some(suite) = kp.get(6..8).map(|s| u16::from_be_bytes([s[0], s[1]])) else {
        return Outcome::Fail(format!("short key package {}", hex(&kp)));
    };
    if !suite_supported(u64::from(suite)) {
        return Outcome::Skip(format!("cipher suite {suite} not supported"));
    }
    outcome((|| {
        message(case, "mls_welcome", WireFormat::Welcome)?;
        message(case, "mls_group_info", WireFormat::GroupInfo)?;
        message(case, "mls_key_package", WireFormat::KeyPackage)?;
        roundtrip::<RatchetTreeExtension>(case, "ratchet_tree")?;
        roundtrip::<GroupSecrets>(case, "group_secrets")?;
        roundtrip::<Add>(case, "add_proposal")?;
        roundtrip::<Update>(case, "update_proposal")?;
        roundtrip::<Remove>(case, "remove_proposal")?;
        roundtrip::<PreSharedKey>(case, "pre_shared_key_proposal")?;
        roundtrip::<ReInit>(case, "re_init_proposal")?;
        roundtrip::<ExternalInit>(case, "external_init_proposal")?;
        roundtrip::<GroupContextExtensions>(case, "group_context_extensions_proposal")?;
        roundtrip::<Commit>(case, "commit")?;
        public_message(case, "public_message_application", ContentType::Application)?;
        public_message(case, "public_message_proposal", ContentType::Proposal)?;
        public_message(case, "public_message_commit", ContentType::Commit)?;
        message(case, "private_message", WireFormat::PrivateMessage)?;
        Ok(())
    })())
}
