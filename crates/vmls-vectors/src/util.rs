//! JSON field helpers for handlers.
use serde_json::Value;

use crate::Outcome;

/// Decodes a hex string.
pub fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd-length hex: {s}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("bad hex: {e}")))
        .collect()
}

/// Hex-encodes bytes.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The hex field `key` of `v` as bytes.
pub fn bytes(v: &Value, key: &str) -> Result<Vec<u8>, String> {
    let s = v
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("missing hex field `{key}`"))?;
    unhex(s)
}

/// The hex field `key` as bytes, or `None` if absent or null.
pub fn opt_bytes(v: &Value, key: &str) -> Result<Option<Vec<u8>>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => unhex(s).map(Some),
        Some(_) => Err(format!("field `{key}` is not a string")),
    }
}

/// The unsigned integer field `key`.
pub fn uint(v: &Value, key: &str) -> Result<u64, String> {
    v.get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("missing integer field `{key}`"))
}

/// The object or array field `key`.
pub fn field<'a>(v: &'a Value, key: &str) -> Result<&'a Value, String> {
    v.get(key).ok_or_else(|| format!("missing field `{key}`"))
}

/// The array field `key`.
pub fn array<'a>(v: &'a Value, key: &str) -> Result<&'a Vec<Value>, String> {
    v.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("missing array field `{key}`"))
}

/// Cipher suites this build implements.
pub fn suite_supported(suite: u64) -> bool {
    suite == 3 || (cfg!(feature = "suite-1") && suite == 1)
}

/// Skips the case unless its `cipher_suite` is implemented; `Ok(suite)` otherwise.
pub fn require_suite(case: &Value) -> Result<u16, Outcome> {
    let suite = uint(case, "cipher_suite").map_err(Outcome::Fail)?;
    if suite_supported(suite) {
        Ok(suite as u16)
    } else {
        Err(Outcome::Skip(format!("cipher suite {suite} not supported")))
    }
}

/// Compares `got` with `want`, naming the check on mismatch.
pub fn check_eq(what: &str, got: &[u8], want: &[u8]) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {}, want {}", hex(got), hex(want)))
    }
}

/// Turns a handler body's result into an outcome.
pub fn outcome(r: Result<(), String>) -> Outcome {
    match r {
        Ok(()) => Outcome::Pass,
        Err(e) => Outcome::Fail(e),
    }
}

/// A deterministic RNG for round-trip checks (never used for real keys).
pub struct TestRng(vmls_crypto::SeededPrng);

impl TestRng {
    /// An RNG fixed by `seed`.
    pub fn new(seed: u8) -> Self {
        Self(vmls_crypto::SeededPrng::from_seed([seed; 32]))
    }
}

impl rand_core::TryRng for TestRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        self.0.try_next_u32()
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0.try_next_u64()
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.try_fill_bytes(dst)
    }
}

impl rand_core::TryCryptoRng for TestRng {}
