//! Round trips of the provisioning messages and the emulator state blob (issue 21), by
//! selector byte: 0 `ProvisionDetail` (the `provision` action's detail), 1 `ProvisioningChunk`
//! (`vmls_emulation::provision::{decode_chunk, encode_chunk}`), 2 the emulator state blob
//! (`Emulator::from_bytes` / `to_bytes`) from raw bytes, 3 the same blob as a structured edit
//! of a live emulator's blob (input = edits: `offset u16, op|len u8, bytes`, repeated), so the
//! fuzzer starts from a valid blob with a virtual client, a higher-level group and seeds.
//!
//! Detail and chunk re-encode byte-exactly. The state blob is not byte-exact by design: a
//! blob of an older version (1 or 2) decodes and re-encodes as the current version, and the
//! Group blobs inside it normalise the same way (docs/security.md, "Fuzzing campaign"); for
//! it the target checks decode(encode(decode(x))) == decode(x), compared through the encoding.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vmls_emulation::provision::{ProvisionDetail, decode_chunk, encode_chunk};
use vmls_emulation::{Emulator, EmulatorConfig};

#[path = "common/emu_world.rs"]
mod emu_world;

fn live_blob() -> &'static [u8] {
    static BLOB: OnceLock<Vec<u8>> = OnceLock::new();
    BLOB.get_or_init(|| emu_world::build().final_blob)
}

fn blob_round_trip(data: &[u8]) {
    let Ok(e) = Emulator::from_bytes(data, EmulatorConfig::default()) else {
        return;
    };
    let bytes = e.to_bytes().expect("what decodes encodes");
    let again = Emulator::from_bytes(&bytes, EmulatorConfig::default()).expect("re-decodes");
    assert_eq!(
        again.to_bytes().expect("encodes"),
        bytes,
        "encoding is a fixed point"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 4 {
        0 => {
            if let Ok(d) = ProvisionDetail::from_bytes(rest) {
                assert_eq!(d.to_bytes().expect("encodes"), rest, "byte-exact");
            }
        }
        1 => {
            if let Ok((digest, offset, bytes)) = decode_chunk(rest) {
                assert_eq!(
                    encode_chunk(&digest, offset, bytes).expect("encodes"),
                    rest,
                    "byte-exact"
                );
            }
        }
        2 => blob_round_trip(rest),
        _ => {
            let mut blob = live_blob().to_vec();
            let mut edits = rest;
            while let [a, b, op, tail @ ..] = edits {
                let at = usize::from(u16::from_be_bytes([*a, *b])) % (blob.len() + 1);
                let n = usize::from(op & 0x3F).min(tail.len());
                match op & 0xC0 {
                    // Overwrite, insert (both take `n` bytes of input), delete `n` bytes.
                    0x00 => {
                        let (bytes, next) = tail.split_at(n);
                        for (i, x) in bytes.iter().enumerate() {
                            if let Some(slot) = blob.get_mut(at + i) {
                                *slot = *x;
                            }
                        }
                        edits = next;
                    }
                    0x40 => {
                        let (bytes, next) = tail.split_at(n);
                        blob.splice(at..at, bytes.iter().copied());
                        edits = next;
                    }
                    _ => {
                        let end = (at + usize::from(op & 0x3F)).min(blob.len());
                        blob.drain(at..end);
                        edits = tail;
                    }
                }
            }
            blob_round_trip(&blob);
        }
    }
});
