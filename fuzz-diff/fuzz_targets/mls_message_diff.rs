//! Differential decoding (issue 21): the same bytes go to vmls's `MLSMessage` decoder and to
//! mls-rs's (`MlsMessage::from_bytes`, the version the interop suite uses). Accept/reject
//! must agree, and what both accept must re-encode to the input on both sides, except for
//! the documented choices (docs/security.md, "Differential decoding"), see
//! `vmls_rejects_by_choice` and `mls_rs_rejects_by_choice`.
//! With `DIFF_REPORT` set in the environment every disagreement is printed (with its class)
//! instead of crashing, for surveys of a corpus.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vmls_codec::{Decode, Encode, Error};

/// The documented choices where vmls rejects what mls-rs decodes (docs/security.md,
/// "Differential decoding"):
/// - `WrongLength`: vmls decodes the fixed-size fields of suite 0x0003 (HPKE and signature
///   keys, signatures, MACs, references: 32 or 64 bytes) as fixed-size arrays and rejects
///   another length while decoding; mls-rs reads them as opaque vectors of any length (it
///   serves every suite) and checks them later.
/// - `InvalidEnum`: vmls decodes only the values it implements of the open registries
///   `ProposalType` (1..=7) and `CredentialType` (basic, x509) and rejects the others, the
///   reserved 0 included, while decoding; mls-rs keeps unknown ones as custom proposals and
///   credentials (opaque) and refuses them later if it does not support them. RFC 9420's
///   `Proposal` and `Credential` structs have no arm for an unknown type, so neither reading
///   is wrong; vmls cannot apply or validate one anyway. Likewise an `MLSMessage` whose
///   `version` is not mls10 (RFC 9420 section 6): vmls rejects it while decoding, mls-rs
///   decodes any version and refuses it when processing.
fn vmls_rejects_by_choice(ours: &Error) -> Option<&'static str> {
    match ours {
        Error::WrongLength { .. } => Some("fixed-size field of suite 0x0003"),
        Error::InvalidEnum(_) => Some("unknown proposal type, credential type or version"),
        _ => None,
    }
}

/// The documented choice where mls-rs rejects what vmls decodes: mls-rs refuses a leaf index
/// of 2^31 or more while decoding (its `Custom(6)`, a node index must fit a u32); vmls decodes
/// any `uint32` leaf index (RFC 9420 has no such bound in the struct) and rejects a sender or a
/// Remove outside the tree when it validates the message (`UnknownMember`, `RemoveBlankLeaf`;
/// test `proposals_naming_leaves_outside_any_tree_are_refused_on_receipt` in vmls-group).
fn mls_rs_rejects_by_choice(theirs: &mls_rs::error::MlsError) -> Option<&'static str> {
    let e = format!("{theirs:?}");
    e.contains("Custom(6)")
        .then_some("leaf index of 2^31 or more")
}

fuzz_target!(|data: &[u8]| {
    let ours = vmls_group::MLSMessage::decode_exact(data);
    let theirs = mls_rs::MlsMessage::from_bytes(data);
    let report = std::env::var_os("DIFF_REPORT").is_some();
    let (finding, documented) = match (&ours, &theirs) {
        (Ok(o), Ok(t)) => {
            let ob = o.to_bytes().expect("vmls re-encodes");
            let tb = t.to_bytes().expect("mls-rs re-encodes");
            if ob != data || tb != data {
                (
                    Some(format!(
                        "both accept, re-encoding exact: vmls {} mls-rs {}",
                        ob == data,
                        tb == data
                    )),
                    None,
                )
            } else {
                (None, None)
            }
        }
        (Ok(o), Err(e)) => (
            Some(format!(
                "vmls accepts ({:?}), mls-rs rejects: {e:?}",
                o.wire_format()
            )),
            mls_rs_rejects_by_choice(e),
        ),
        (Err(e), Ok(t)) => (
            Some(format!(
                "mls-rs accepts ({:?}), vmls rejects: {e:?}",
                t.wire_format()
            )),
            vmls_rejects_by_choice(e),
        ),
        (Err(_), Err(_)) => (None, None),
    };
    if let Some(f) = finding {
        if report {
            let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
            println!("DIFF {f} [{}] {hex}", documented.unwrap_or("FINDING"));
        } else if documented.is_none() {
            panic!("differential finding: {f}");
        }
    }
});
