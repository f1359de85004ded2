//! vmls's own vectors (`test-vectors/vmls/`), for the choices the drafts leave open. Their
//! expected values come from `gen_cbst_cbam.py`, a generator independent of the Rust code.
//!
//! * `cbst.json`: the CBST root's key and nonce for each challenge (`CBST-CBAM.md`).
//! * `cbam.json`: every input of a CBAM (epoch secret, GroupContext, signature key, challenge
//!   seed, generation, contexts, plaintext) and the expected challenge, CBST root, sender-data
//!   secret, key, nonce and message bytes. The runner derives the epoch's forward-secure
//!   exports from the epoch secret through the safe exporter, rebuilds the message with the
//!   library's encoder and compares bytes, then decrypts the vector's message.
//! * `emulation.json` (from `gen_emulation.py`): virtual-client derivations (`vc_epoch_secret`
//!   from the epoch secret, `operation_secret`, key seeds and public keys, the RNG stream a
//!   replayed operation draws), V's signature key after a device removal, and announcement
//!   encodings (SafeAAD / `VirtualClientActions`).
use serde_json::Value;
use vmls_cbst::{
    CbstConfig, ChallengeContext, ChallengeLevel, ChallengeSecretTree, GroupChallengeContext,
    derive_challenge,
};
use vmls_codec::Decode;
use vmls_crypto::{Mls128ChaCha, Secret, SignaturePrivateKey};
use vmls_group::PreparedSigner;
use vmls_group::framing::application::EncodedGroupContext;
use vmls_group::framing::cbam::{CBAMSender, CbamMessageView, CbamSenderKeys, encrypt_cbam_into};
use vmls_keyschedule::{EpochSecrets, GroupContext};

use crate::Outcome;
use crate::util::{array, bytes, hex, uint};

type S = Mls128ChaCha;

fn check(what: &str, got: &[u8], want: &[u8]) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {}, want {}", hex(got), hex(want)))
    }
}

fn outcome(r: Result<(), String>) -> Outcome {
    match r {
        Ok(()) => Outcome::Pass,
        Err(e) => Outcome::Fail(e),
    }
}

/// `(cbst_root, cbam_sender_data_secret)` of an epoch secret: safe-exporter component 0x8001,
/// then `MLS-FS-Export("CBST" | "CBAM Sender Data Secret", "", Nh)`.
fn fs_exports(epoch_secret: &[u8]) -> Result<(Secret, Secret), String> {
    let es = Secret::from_slice(epoch_secret).ok_or("epoch_secret is not 32 bytes")?;
    let (_, mut secrets) = EpochSecrets::from_epoch_secret(&es).map_err(|e| format!("{e:?}"))?;
    let component = secrets
        .safe_export_secret(vmls_group::group::VMLS_COMPONENT_ID)
        .map_err(|e| format!("{e:?}"))?;
    let x = |label: &[u8]| {
        vmls_crypto::expand_with_label(component.as_bytes(), label, &[])
            .map_err(|e| format!("{e:?}"))
    };
    Ok((x(b"CBST")?, x(b"CBAM Sender Data Secret")?))
}

/// One case of `cbst.json`.
pub fn run_cbst(case: &Value) -> Outcome {
    outcome((|| {
        let root = bytes(case, "cbst_root")?;
        let (derived_root, _) = fs_exports(&bytes(case, "epoch_secret")?)?;
        check("cbst_root", derived_root.as_bytes(), &root)?;
        let tree = ChallengeSecretTree::<S>::new(derived_root, CbstConfig::DEFAULT)
            .map_err(|e| format!("{e:?}"))?;
        for c in array(case, "challenges")? {
            let key = tree
                .key_for(&bytes(c, "challenge")?)
                .map_err(|e| format!("{e:?}"))?;
            check("key", key.key(), &bytes(c, "key")?)?;
            check("nonce", key.nonce(), &bytes(c, "nonce")?)?;
        }
        Ok(())
    })())
}

/// One case of `cbam.json`.
pub fn run_cbam(case: &Value) -> Outcome {
    outcome((|| {
        let (root, sd_secret) = fs_exports(&bytes(case, "epoch_secret")?)?;
        check("cbst_root", root.as_bytes(), &bytes(case, "cbst_root")?)?;
        check(
            "sender_data_secret",
            sd_secret.as_bytes(),
            &bytes(case, "sender_data_secret")?,
        )?;
        // The challenge from the contexts (outermost first).
        let mut levels = Vec::new();
        for l in array(case, "contexts")? {
            let tag: [u8; 32] = bytes(l, "confirmation_tag")?
                .try_into()
                .map_err(|_| "confirmation_tag is not 32 bytes")?;
            levels.push(ChallengeLevel {
                leaf_index: u32::try_from(uint(l, "leaf_index")?).map_err(|e| e.to_string())?,
                confirmation_tag: tag,
            });
        }
        let (last, rest) = levels.split_last().ok_or("no contexts")?;
        let mut gcc = GroupChallengeContext::real(*last);
        for l in rest.iter().rev() {
            gcc = GroupChallengeContext::virtual_sender(*l, &gcc).map_err(|e| format!("{e:?}"))?;
        }
        let app = bytes(case, "application_context")?;
        let challenge = derive_challenge(
            &bytes(case, "challenge_seed")?,
            &ChallengeContext {
                group_challenge_context: &gcc,
                generation: u32::try_from(uint(case, "generation")?).map_err(|e| e.to_string())?,
                application_context: &app,
            },
        )
        .map_err(|e| format!("{e:?}"))?;
        check("challenge", &challenge, &bytes(case, "challenge")?)?;
        let tree = ChallengeSecretTree::<S>::new(root, CbstConfig::DEFAULT)
            .map_err(|e| format!("{e:?}"))?;
        let key = tree.key_for(&challenge).map_err(|e| format!("{e:?}"))?;
        check("key", key.key(), &bytes(case, "key")?)?;
        check("nonce", key.nonce(), &bytes(case, "nonce")?)?;

        // Rebuild the message and compare bytes.
        let ctx_bytes = bytes(case, "group_context")?;
        let ctx = GroupContext::decode_exact(&ctx_bytes).map_err(|e| format!("{e:?}"))?;
        let encoded = EncodedGroupContext::new(&ctx).map_err(|e| format!("{e:?}"))?;
        let signer = SignaturePrivateKey::from_slice(&bytes(case, "signature_private")?)
            .map_err(|e| format!("{e:?}"))?;
        let prepared = PreparedSigner::new(&signer);
        let sender = CBAMSender {
            challenge,
            sender_index: u32::try_from(uint(case, "sender_index")?).map_err(|e| e.to_string())?,
        };
        let keys = CbamSenderKeys {
            context: &encoded,
            sender,
            signer: &prepared,
            sender_data_secret: &sd_secret,
            key: key.key(),
            nonce: key.nonce(),
        };
        let plaintext = bytes(case, "plaintext")?;
        let aad = bytes(case, "authenticated_data")?;
        let padding = usize::try_from(uint(case, "padding")?).map_err(|e| e.to_string())?;
        let want = bytes(case, "message")?;
        let mut out = vec![0u8; want.len() + 64];
        let n = encrypt_cbam_into::<S>(&keys, &aad, &plaintext, padding, &mut out)
            .map_err(|e| format!("encrypt: {e:?}"))?;
        check("message", &out[..n], &want)?;

        // Decrypt the vector's message as a receiver does.
        let view = CbamMessageView::parse(&want).map_err(|e| format!("{e:?}"))?;
        let got_sender = view
            .decrypt_sender::<S>(&sd_secret)
            .map_err(|e| format!("{e:?}"))?;
        if got_sender != sender {
            return Err("decrypted CBAMSender differs".into());
        }
        let mut buf = vec![0u8; want.len()];
        let len = view
            .decrypt_into::<S>(
                &got_sender,
                key.key(),
                key.nonce(),
                &bytes(case, "signature_public")?,
                &encoded,
                &mut buf,
            )
            .map_err(|e| format!("decrypt: {e:?}"))?;
        check("plaintext", &buf[..len], &plaintext)
    })())
}

/// One case of `emulation.json`: `type` "derivation", "rotation" or "announcement".
pub fn run_emulation(case: &Value) -> Outcome {
    use vmls_emulation::derive::{
        Operation, OperationContext, OperationRng, ROTATION_COUNTER, label, operation_derive,
        operation_secret, rotated_signature_seed,
    };
    outcome((|| {
        let err = |e: vmls_emulation::EmulatorError| format!("{e:?}");
        match case.get("type").and_then(Value::as_str) {
            Some("derivation") => {
                let es = Secret::from_slice(&bytes(case, "epoch_secret")?)
                    .ok_or("epoch_secret is not 32 bytes")?;
                let (_, mut secrets) =
                    EpochSecrets::from_epoch_secret(&es).map_err(|e| format!("{e:?}"))?;
                let component = secrets
                    .safe_export_secret(vmls_group::group::VMLS_COMPONENT_ID)
                    .map_err(|e| format!("{e:?}"))?;
                let vc = vmls_crypto::expand_with_label(
                    component.as_bytes(),
                    b"Virtual Client Seed",
                    &[],
                )
                .map_err(|e| format!("{e:?}"))?;
                check(
                    "vc_epoch_secret",
                    vc.as_bytes(),
                    &bytes(case, "vc_epoch_secret")?,
                )?;
                for o in array(case, "operations")? {
                    let target = bytes(o, "target_group_id")?;
                    let operation = match uint(o, "operation")? {
                        1 => Operation::KeyPackage,
                        2 => Operation::LeafUpdate,
                        3 => Operation::CommitPath,
                        4 => Operation::SignatureKey,
                        5 => Operation::Proposal,
                        6 => Operation::GroupCreation,
                        n => return Err(format!("unknown operation {n}")),
                    };
                    let ctx = OperationContext {
                        vc_id: u32::try_from(uint(o, "vc_id")?).map_err(|e| e.to_string())?,
                        target_group_id: &target,
                        operation,
                        counter: u32::try_from(uint(o, "counter")?).map_err(|e| e.to_string())?,
                    };
                    check(
                        "context",
                        &ctx.to_bytes().map_err(err)?,
                        &bytes(o, "context")?,
                    )?;
                    let op = operation_secret(&vc, &ctx).map_err(err)?;
                    check(
                        "operation_secret",
                        op.as_bytes(),
                        &bytes(o, "operation_secret")?,
                    )?;
                    for (l, k) in [
                        (label::INIT_KEY, "init_ikm"),
                        (label::ENCRYPTION_KEY, "encryption_ikm"),
                        (label::PATH_GENERATION, "leaf_secret"),
                        (label::SIGNATURE_KEY, "signature_seed"),
                        (label::RNG_SEED, "rng_seed"),
                    ] {
                        let d = operation_derive(&op, l).map_err(err)?;
                        check(k, d.as_bytes(), &bytes(o, k)?)?;
                    }
                    let want = bytes(o, "rng_stream")?;
                    let mut rng = OperationRng::new(&op, operation).map_err(err)?;
                    let mut got = vec![0u8; want.len()];
                    rand_core::Rng::fill_bytes(&mut rng, &mut got);
                    check("rng_stream", &got, &want)?;
                }
                Ok(())
            }
            Some("announcement") => {
                let aad = bytes(case, "authenticated_data")?;
                let parsed = vmls_emulation::VirtualClientActions::from_authenticated_data(&aad)
                    .map_err(|e| format!("{e:?}"))?
                    .ok_or("no announcement")?;
                let item = parsed.to_bytes().map_err(|e| format!("{e:?}"))?;
                check(
                    "virtual_client_actions",
                    &item,
                    &bytes(case, "virtual_client_actions")?,
                )?;
                let again = parsed
                    .to_authenticated_data()
                    .map_err(|e| format!("{e:?}"))?;
                check("authenticated_data", &again, &aad)
            }
            Some("rotation") => {
                let es = Secret::from_slice(&bytes(case, "epoch_secret")?)
                    .ok_or("epoch_secret is not 32 bytes")?;
                let (_, mut secrets) =
                    EpochSecrets::from_epoch_secret(&es).map_err(|e| format!("{e:?}"))?;
                let component = secrets
                    .safe_export_secret(vmls_group::group::VMLS_COMPONENT_ID)
                    .map_err(|e| format!("{e:?}"))?;
                let vc = vmls_crypto::expand_with_label(
                    component.as_bytes(),
                    b"Virtual Client Seed",
                    &[],
                )
                .map_err(|e| format!("{e:?}"))?;
                check(
                    "vc_epoch_secret",
                    vc.as_bytes(),
                    &bytes(case, "vc_epoch_secret")?,
                )?;
                for r in array(case, "rotations")? {
                    let vc_id = u32::try_from(uint(r, "vc_id")?).map_err(|e| e.to_string())?;
                    let ctx = OperationContext {
                        vc_id,
                        target_group_id: &[],
                        operation: Operation::SignatureKey,
                        counter: ROTATION_COUNTER,
                    };
                    check(
                        "context",
                        &ctx.to_bytes().map_err(err)?,
                        &bytes(r, "context")?,
                    )?;
                    let seed = rotated_signature_seed(&vc, vc_id).map_err(err)?;
                    check("rotated_seed", seed.as_bytes(), &bytes(r, "rotated_seed")?)?;
                    let public = SignaturePrivateKey::from_bytes(seed.as_bytes()).public_key();
                    check("rotated_public", &public, &bytes(r, "rotated_public")?)?;
                }
                Ok(())
            }
            other => Err(format!("unknown case type {other:?}")),
        }
    })())
}
