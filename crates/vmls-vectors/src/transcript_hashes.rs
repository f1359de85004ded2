//! transcript-hashes.json: the confirmation tag of a commit's AuthenticatedContent and the
//! confirmed/interim transcript hash update (RFC 9420 sections 6.1 and 8.2).
use serde_json::Value;
use vmls_codec::{Decode, Encode};
use vmls_crypto::Secret;
use vmls_group::{AuthenticatedContent, ContentType};

use crate::Outcome;
use crate::util::{bytes, check_eq, outcome, require_suite};

pub fn run(case: &Value) -> Outcome {
    if let Err(o) = require_suite(case) {
        return o;
    }
    outcome((|| {
        let raw = bytes(case, "authenticated_content")?;
        let ac = AuthenticatedContent::decode_exact(&raw).map_err(|e| format!("decode: {e}"))?;
        check_eq(
            "re-encoded",
            &ac.to_bytes().map_err(|e| e.to_string())?,
            &raw,
        )?;
        if ac.content.content_type() != ContentType::Commit {
            return Err("authenticated_content is not a commit".into());
        }
        let confirmed_want = bytes(case, "confirmed_transcript_hash_after")?;
        let key = Secret::from_slice(&bytes(case, "confirmation_key")?)
            .ok_or("confirmation_key is not Nh bytes")?;
        ac.verify_confirmation_tag(&key, &confirmed_want)
            .map_err(|e| format!("confirmation tag: {e}"))?;
        let confirmed = ac
            .confirmed_transcript_hash(&bytes(case, "interim_transcript_hash_before")?)
            .map_err(|e| e.to_string())?;
        check_eq(
            "confirmed_transcript_hash_after",
            &confirmed,
            &confirmed_want,
        )?;
        let interim = ac
            .interim_transcript_hash(&confirmed)
            .map_err(|e| e.to_string())?;
        check_eq(
            "interim_transcript_hash_after",
            &interim,
            &bytes(case, "interim_transcript_hash_after")?,
        )?;
        // A different confirmed transcript hash must not verify.
        let mut other = confirmed_want.clone();
        other[0] ^= 1;
        if ac.verify_confirmation_tag(&key, &other).is_ok() {
            return Err("confirmation tag verified over another transcript hash".into());
        }
        Ok(())
    })())
}
