//! deserialization.json: variable-length integer headers (RFC 9420 2.1.2).
use serde_json::Value;
use vmls_codec::Reader;

use crate::Outcome;
use crate::util::{bytes, check_eq, outcome, uint};

pub fn run(case: &Value) -> Outcome {
    outcome((|| {
        let header = bytes(case, "vlbytes_header")?;
        let length = uint(case, "length")? as usize;
        let mut r = Reader::new(&header);
        let got = r.read_varint().map_err(|e| format!("decode: {e}"))?;
        r.finish().map_err(|e| format!("decode: {e}"))?;
        if got != length {
            return Err(format!("decoded {got}, want {length}"));
        }
        let mut enc = Vec::new();
        vmls_codec::encode_varint(&mut enc, length).map_err(|e| e.to_string())?;
        check_eq("encode", &enc, &header)
    })())
}
