//! crypto-basics.json: RefHash, ExpandWithLabel, DeriveSecret, DeriveTreeSecret,
//! SignWithLabel/VerifyWithLabel, EncryptWithLabel/DecryptWithLabel (RFC 9420 section 5).
use serde_json::Value;
use vmls_crypto as c;

use crate::Outcome;
use crate::util::{bytes, check_eq, field, require_suite, uint};

fn label(v: &Value) -> Result<Vec<u8>, String> {
    v.get("label")
        .and_then(Value::as_str)
        .map(|s| s.as_bytes().to_vec())
        .ok_or_else(|| "missing label".into())
}

fn ref_hash(v: &Value) -> Result<(), String> {
    let got = c::ref_hash(&label(v)?, &bytes(v, "value")?).map_err(|e| e.to_string())?;
    check_eq("ref_hash", &got, &bytes(v, "out")?)
}

fn expand_with_label(v: &Value) -> Result<(), String> {
    let mut out = vec![0u8; uint(v, "length")? as usize];
    c::expand_with_label_into(
        &bytes(v, "secret")?,
        &label(v)?,
        &bytes(v, "context")?,
        &mut out,
    )
    .map_err(|e| e.to_string())?;
    check_eq("expand_with_label", &out, &bytes(v, "out")?)
}

fn derive_secret(v: &Value) -> Result<(), String> {
    let got = c::derive_secret(&bytes(v, "secret")?, &label(v)?).map_err(|e| e.to_string())?;
    check_eq("derive_secret", got.as_bytes(), &bytes(v, "out")?)
}

fn derive_tree_secret(v: &Value) -> Result<(), String> {
    let mut out = vec![0u8; uint(v, "length")? as usize];
    let generation = u32::try_from(uint(v, "generation")?).map_err(|e| e.to_string())?;
    c::derive_tree_secret(&bytes(v, "secret")?, &label(v)?, generation, &mut out)
        .map_err(|e| e.to_string())?;
    check_eq("derive_tree_secret", &out, &bytes(v, "out")?)
}

fn sign_with_label(v: &Value) -> Result<(), String> {
    let sk = c::SignaturePrivateKey::from_slice(&bytes(v, "priv")?).map_err(|e| e.to_string())?;
    let pk = bytes(v, "pub")?;
    check_eq("public key from private", &sk.public_key(), &pk)?;
    let (lbl, content, sig) = (label(v)?, bytes(v, "content")?, bytes(v, "signature")?);
    c::verify_with_label(&pk, &lbl, &content, &sig).map_err(|e| format!("verify vector: {e}"))?;
    // Ed25519 is deterministic, so our signature must equal the vector's.
    let ours = c::sign_with_label(&sk, &lbl, &content).map_err(|e| e.to_string())?;
    check_eq("signature", &ours, &sig)?;
    let mut bad = content.clone();
    bad.push(0);
    if c::verify_with_label(&pk, &lbl, &bad, &sig).is_ok() {
        return Err("signature verified over different content".into());
    }
    Ok(())
}

fn encrypt_with_label<S: c::CipherSuite>(v: &Value) -> Result<(), String> {
    let sk = c::HpkePrivateKey::from_slice(&bytes(v, "priv")?).map_err(|e| e.to_string())?;
    let pk = bytes(v, "pub")?;
    check_eq("HPKE public key from private", &sk.public_key(), &pk)?;
    let (lbl, ctx, pt) = (label(v)?, bytes(v, "context")?, bytes(v, "plaintext")?);
    let got = c::decrypt_with_label::<S>(
        &sk,
        &lbl,
        &ctx,
        &bytes(v, "kem_output")?,
        &bytes(v, "ciphertext")?,
    )
    .map_err(|e| format!("decrypt vector: {e}"))?;
    check_eq("decrypted plaintext", &got, &pt)?;
    let mut rng = crate::util::TestRng::new(7);
    let ct =
        c::encrypt_with_label::<S, _>(&pk, &lbl, &ctx, &pt, &mut rng).map_err(|e| e.to_string())?;
    let back = c::decrypt_with_label::<S>(&sk, &lbl, &ctx, &ct.kem_output, &ct.ciphertext)
        .map_err(|e| format!("round trip: {e}"))?;
    check_eq("round trip", &back, &pt)
}

type Check = fn(&Value) -> Result<(), String>;

pub fn run(case: &Value) -> Outcome {
    let suite = match require_suite(case) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let checks: [(&str, Check); 6] = [
        ("ref_hash", ref_hash),
        ("expand_with_label", expand_with_label),
        ("derive_secret", derive_secret),
        ("derive_tree_secret", derive_tree_secret),
        ("sign_with_label", sign_with_label),
        (
            "encrypt_with_label",
            match suite {
                #[cfg(feature = "suite-1")]
                1 => encrypt_with_label::<c::Mls128Aes>,
                _ => encrypt_with_label::<c::Mls128ChaCha>,
            },
        ),
    ];
    for (name, check) in checks {
        let r = field(case, name).and_then(check);
        if let Err(e) = r {
            return Outcome::Fail(format!("{name}: {e}"));
        }
    }
    Outcome::Pass
}
