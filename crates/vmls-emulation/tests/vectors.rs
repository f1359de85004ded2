//! test-vectors/vmls/emulation.json (written by the independent gen_emulation.py): the pinned
//! virtual-client derivations, the RNG stream a replayed core operation draws, V's signature
//! key after a device removal, and the announcement encodings.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use rand_core::Rng;
use serde_json::Value;
use vmls_crypto::{Secret, SignaturePrivateKey, derive_key_pair, derive_secret};
use vmls_emulation::derive::{
    Operation, OperationContext, OperationRng, ROTATION_COUNTER, label, operation_derive,
    operation_secret, rotated_signature_seed,
};
use vmls_emulation::provision::{ProvisionDetail, encode_chunk};
use vmls_emulation::{
    AnnounceDetail, CommitDetail, CreateVcDetail, JoinDetail, KeyPackagesDetail, LeaveDetail,
    ProposeDetail, VcActionType, VirtualClientActions,
};
use vmls_keyschedule::EpochSecrets;

fn hex(v: &Value, k: &str) -> Vec<u8> {
    let s = v[k].as_str().unwrap_or_else(|| panic!("{k}"));
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn op(n: u64) -> Operation {
    match n {
        1 => Operation::KeyPackage,
        2 => Operation::LeafUpdate,
        3 => Operation::CommitPath,
        4 => Operation::SignatureKey,
        5 => Operation::Proposal,
        6 => Operation::GroupCreation,
        _ => panic!("operation {n}"),
    }
}

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../test-vectors/vmls/emulation.json"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["cases"].as_array().unwrap().clone()
}

#[test]
fn derivations_match_the_independent_generator() {
    let mut n = 0;
    for case in cases().iter().filter(|c| c["type"] == "derivation") {
        let es = Secret::from_slice(&hex(case, "epoch_secret")).unwrap();
        let (_, mut secrets) = EpochSecrets::from_epoch_secret(&es).unwrap();
        let component = secrets
            .safe_export_secret(vmls_emulation::VC_COMPONENT_ID)
            .unwrap();
        let vc = vmls_crypto::expand_with_label(component.as_bytes(), b"Virtual Client Seed", &[])
            .unwrap();
        assert_eq!(vc.as_bytes().to_vec(), hex(case, "vc_epoch_secret"));
        for o in case["operations"].as_array().unwrap() {
            let target = hex(o, "target_group_id");
            let operation = op(o["operation"].as_u64().unwrap());
            let ctx = OperationContext {
                vc_id: o["vc_id"].as_u64().unwrap() as u32,
                target_group_id: &target,
                operation,
                counter: o["counter"].as_u64().unwrap() as u32,
            };
            assert_eq!(ctx.to_bytes().unwrap(), hex(o, "context"));
            let s = operation_secret(&vc, &ctx).unwrap();
            assert_eq!(s.as_bytes().to_vec(), hex(o, "operation_secret"));
            let d = |l: &[u8]| operation_derive(&s, l).unwrap().as_bytes().to_vec();
            assert_eq!(d(label::INIT_KEY), hex(o, "init_ikm"));
            assert_eq!(d(label::ENCRYPTION_KEY), hex(o, "encryption_ikm"));
            assert_eq!(d(label::PATH_GENERATION), hex(o, "leaf_secret"));
            assert_eq!(d(label::SIGNATURE_KEY), hex(o, "signature_seed"));
            assert_eq!(d(label::RNG_SEED), hex(o, "rng_seed"));
            assert_eq!(
                derive_key_pair(&d(label::INIT_KEY))
                    .unwrap()
                    .public
                    .to_vec(),
                hex(o, "init_public")
            );
            assert_eq!(
                derive_key_pair(&d(label::ENCRYPTION_KEY))
                    .unwrap()
                    .public
                    .to_vec(),
                hex(o, "encryption_public")
            );
            assert_eq!(
                derive_secret(&d(label::PATH_GENERATION), b"path")
                    .unwrap()
                    .as_bytes()
                    .to_vec(),
                hex(o, "path_secret_0")
            );
            let seed: [u8; 32] = d(label::SIGNATURE_KEY).try_into().unwrap();
            assert_eq!(
                SignaturePrivateKey::from_bytes(&seed).public_key().to_vec(),
                hex(o, "signature_public")
            );
            // What the replayed core operation draws, in small uneven pieces.
            let want = hex(o, "rng_stream");
            let mut rng = OperationRng::new(&s, operation).unwrap();
            let mut got = vec![0u8; want.len()];
            for chunk in got.chunks_mut(7) {
                rng.fill_bytes(chunk);
            }
            assert_eq!(got, want);
            assert!(rng.prefix_consumed());
            n += 1;
        }
    }
    assert!(n >= 9);
}

#[test]
fn announcements_match_the_independent_generator() {
    let mut n = 0;
    let mut provisioned = 0;
    for case in cases().iter().filter(|c| c["type"] == "announcement") {
        let item = hex(case, "virtual_client_actions");
        let aad = hex(case, "authenticated_data");
        let parsed = VirtualClientActions::from_authenticated_data(&aad)
            .unwrap()
            .unwrap();
        assert_eq!(VirtualClientActions::from_bytes(&item).unwrap(), parsed);
        assert_eq!(parsed.to_bytes().unwrap(), item);
        assert_eq!(parsed.to_authenticated_data().unwrap(), aad);
        let want = case["actions"].as_array().unwrap();
        assert_eq!(parsed.actions.len(), want.len());
        for (a, w) in parsed.actions.iter().zip(want) {
            assert_eq!(u64::from(a.vc_id), w["vc_id"].as_u64().unwrap());
            assert_eq!(a.action as u64, w["action"].as_u64().unwrap());
            assert_eq!(a.target_group_id, hex(w, "target_group_id"));
            assert_eq!(a.detail, hex(w, "detail"));
            // Every detail decodes and re-encodes to the same bytes.
            let again = match a.action {
                VcActionType::CreateVc => CreateVcDetail::from_bytes(&a.detail).unwrap().to_bytes(),
                VcActionType::KeyPackages => {
                    KeyPackagesDetail::from_bytes(&a.detail).unwrap().to_bytes()
                }
                VcActionType::JoinGroup => JoinDetail::from_bytes(&a.detail).unwrap().to_bytes(),
                VcActionType::Commit => CommitDetail::from_bytes(&a.detail).unwrap().to_bytes(),
                VcActionType::LeaveGroup => LeaveDetail::from_bytes(&a.detail).unwrap().to_bytes(),
                VcActionType::Propose => ProposeDetail::from_bytes(&a.detail).unwrap().to_bytes(),
                VcActionType::CreateGroup => Ok(a.detail.clone()),
                VcActionType::Announce => AnnounceDetail::from_bytes(&a.detail).unwrap().to_bytes(),
                VcActionType::Provision => {
                    let d = ProvisionDetail::from_bytes(&a.detail).unwrap();
                    // The snapshot's digest and length, and one chunk of it.
                    let snapshot = hex(case, "snapshot");
                    assert_eq!(d.snapshot_len as usize, snapshot.len());
                    assert_eq!(
                        d.snapshot_digest.to_vec(),
                        vmls_crypto::hash(&snapshot).as_ref().to_vec()
                    );
                    let chunk = &case["chunk"];
                    let offset = chunk["offset"].as_u64().unwrap() as u32;
                    let data = hex(chunk, "data");
                    assert_eq!(
                        data,
                        snapshot[offset as usize..offset as usize + data.len()].to_vec()
                    );
                    assert_eq!(
                        encode_chunk(&d.snapshot_digest, offset, &data).unwrap(),
                        hex(chunk, "encoded")
                    );
                    provisioned += 1;
                    d.to_bytes()
                }
            }
            .unwrap();
            assert_eq!(again, a.detail);
        }
        n += 1;
    }
    assert!(n >= 6);
    assert_eq!(provisioned, 1);
}

#[test]
fn signature_key_rotation_matches_the_independent_generator() {
    let mut n = 0;
    for case in cases().iter().filter(|c| c["type"] == "rotation") {
        let es = Secret::from_slice(&hex(case, "epoch_secret")).unwrap();
        let (_, mut secrets) = EpochSecrets::from_epoch_secret(&es).unwrap();
        let component = secrets
            .safe_export_secret(vmls_emulation::VC_COMPONENT_ID)
            .unwrap();
        let vc = vmls_crypto::expand_with_label(component.as_bytes(), b"Virtual Client Seed", &[])
            .unwrap();
        assert_eq!(vc.as_bytes().to_vec(), hex(case, "vc_epoch_secret"));
        for r in case["rotations"].as_array().unwrap() {
            let vc_id = r["vc_id"].as_u64().unwrap() as u32;
            let ctx = OperationContext {
                vc_id,
                target_group_id: &[],
                operation: Operation::SignatureKey,
                counter: ROTATION_COUNTER,
            };
            assert_eq!(ctx.to_bytes().unwrap(), hex(r, "context"));
            assert_eq!(
                operation_secret(&vc, &ctx).unwrap().as_bytes().to_vec(),
                hex(r, "rotation_secret")
            );
            let seed = rotated_signature_seed(&vc, vc_id).unwrap();
            assert_eq!(seed.as_bytes().to_vec(), hex(r, "rotated_seed"));
            let public = SignaturePrivateKey::from_bytes(seed.as_bytes()).public_key();
            assert_eq!(public.to_vec(), hex(r, "rotated_public"));
            assert_ne!(public.to_vec(), hex(r, "create_vc_public"));
            n += 1;
        }
    }
    assert!(n >= 3);
}
