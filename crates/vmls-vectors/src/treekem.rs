//! treekem.json: private path state, UpdatePath merging and decryption by every member, and
//! UpdatePaths we generate processed by every other member (RFC 9420 sections 7.4-7.6, 7.9.2,
//! 12.4.2; test-vectors.md "TreeKEM").
use std::collections::BTreeMap;

use serde_json::Value;
use vmls_codec::{Decode, Encode, VLBytes};
use vmls_crypto::{CipherSuite, HpkePrivateKey, Secret, SignaturePrivateKey};
use vmls_keyschedule::GroupContext;
use vmls_tree::math::common_ancestor;
use vmls_tree::{
    LeafIndex, LeafValidationParams, NodeIndex, RatchetTree, TreePrivateKeys, UpdatePath,
};

use crate::Outcome;
use crate::util::{TestRng, array, bytes, check_eq, outcome, require_suite, uint, unhex};

pub fn run(case: &Value) -> Outcome {
    let suite = match require_suite(case) {
        Ok(s) => s,
        Err(skip) => return skip,
    };
    match suite {
        3 => outcome(run_suite::<vmls_crypto::Mls128ChaCha>(case, suite)),
        #[cfg(feature = "suite-1")]
        1 => outcome(run_suite::<vmls_crypto::Mls128Aes>(case, suite)),
        s => Outcome::Skip(format!("cipher suite {s} not supported")),
    }
}

struct Member {
    keys: TreePrivateKeys,
    signer: SignaturePrivateKey,
}

fn secret(b: &[u8], what: &str) -> Result<Secret, String> {
    Secret::from_slice(b).ok_or_else(|| format!("{what}: not 32 bytes"))
}

fn run_suite<S: CipherSuite>(case: &Value, suite: u16) -> Result<(), String> {
    let group_id = bytes(case, "group_id")?;
    let epoch = uint(case, "epoch")?;
    let cth = bytes(case, "confirmed_transcript_hash")?;
    let tree = RatchetTree::from_bytes(&bytes(case, "ratchet_tree")?, u32::MAX)
        .map_err(|e| format!("decode ratchet_tree: {e}"))?;
    let group_context = |tree: &RatchetTree| -> Result<Vec<u8>, String> {
        let th = tree.tree_hash().map_err(|e| e.to_string())?;
        GroupContext {
            version: 1,
            cipher_suite: suite,
            group_id: VLBytes::from(group_id.as_slice()),
            epoch,
            tree_hash: VLBytes::from(&th[..]),
            confirmed_transcript_hash: VLBytes::from(cth.as_slice()),
            extensions: Vec::new(),
        }
        .to_bytes()
        .map_err(|e| e.to_string())
    };
    let params = LeafValidationParams {
        group_id: &group_id,
        ..LeafValidationParams::default()
    };

    // Private state of every member, checked against the tree.
    let mut members: BTreeMap<u32, Member> = BTreeMap::new();
    for lp in array(case, "leaves_private")? {
        let index = uint(lp, "index")? as u32;
        let enc = HpkePrivateKey::from_slice(&bytes(lp, "encryption_priv")?)
            .map_err(|e| format!("encryption_priv: {e}"))?;
        let signer = SignaturePrivateKey::from_slice(&bytes(lp, "signature_priv")?)
            .map_err(|e| format!("signature_priv: {e}"))?;
        let mut keys = TreePrivateKeys::new(LeafIndex(index), enc);
        for ps in array(lp, "path_secrets")? {
            let node = NodeIndex(uint(ps, "node")? as u32);
            keys.insert_path_secret(node, &secret(&bytes(ps, "path_secret")?, "path_secret")?)
                .map_err(|e| format!("leaf {index}: path secret for node {}: {e}", node.0))?;
        }
        keys.check_consistent(&tree)
            .map_err(|e| format!("leaf {index}: private state inconsistent with the tree: {e}"))?;
        members.insert(index, Member { keys, signer });
    }
    for (j, _) in tree.members() {
        if !members.contains_key(&j.0) {
            return Err(format!("no private state for member {}", j.0));
        }
    }

    let mut rng = TestRng::new(7);
    for (u, up) in array(case, "update_paths")?.iter().enumerate() {
        let sender = LeafIndex(uint(up, "sender")? as u32);
        let path = UpdatePath::decode_exact(&bytes(up, "update_path")?)
            .map_err(|e| format!("update_paths[{u}]: decode: {e}"))?;
        let path_secrets = array(up, "path_secrets")?;
        let commit_secret = bytes(up, "commit_secret")?;

        // Merge (includes the parent-hash check of the new leaf) and the tree hash after.
        let mut after = tree.clone();
        after
            .merge_update_path(sender, &path, &params)
            .map_err(|e| format!("update_paths[{u}]: merge: {e}"))?;
        let th = after.tree_hash().map_err(|e| e.to_string())?;
        check_eq(
            &format!("update_paths[{u}]: tree_hash_after"),
            &th,
            &bytes(up, "tree_hash_after")?,
        )?;
        let ctx = group_context(&after)?;

        // Every other member decrypts it.
        for (j, _) in tree.members() {
            if j == sender {
                continue;
            }
            let mut keys = members
                .get(&j.0)
                .map(|m| m.keys.clone())
                .ok_or("missing member")?;
            let got = keys
                .process_update_path::<S>(&after, sender, &path, &ctx, &[])
                .map_err(|e| format!("update_paths[{u}]: leaf {} processing: {e}", j.0))?;
            let want = path_secrets
                .get(j.0 as usize)
                .and_then(Value::as_str)
                .map(unhex)
                .transpose()?
                .ok_or_else(|| format!("update_paths[{u}]: no path secret for leaf {}", j.0))?;
            let ca = common_ancestor(j.node(), sender.node());
            let decrypted = got
                .iter()
                .next()
                .filter(|(x, _)| *x == ca)
                .map(|(_, s)| s.as_bytes().to_vec())
                .ok_or_else(|| {
                    format!(
                        "update_paths[{u}]: leaf {} decrypted no secret at {}",
                        j.0, ca.0
                    )
                })?;
            check_eq(
                &format!("update_paths[{u}]: path secret of leaf {}", j.0),
                &decrypted,
                &want,
            )?;
            check_eq(
                &format!("update_paths[{u}]: commit secret at leaf {}", j.0),
                got.commit_secret().as_bytes(),
                &commit_secret,
            )?;
            keys.check_consistent(&after)
                .map_err(|e| format!("update_paths[{u}]: leaf {} keys after: {e}", j.0))?;
        }

        // A fresh UpdatePath from the same sender, processed by every other member.
        let m = members
            .get(&sender.0)
            .ok_or("missing sender private state")?;
        let content = tree
            .leaf(sender)
            .ok_or("sender leaf is blank")?
            .content
            .clone();
        let mut mine = tree.clone();
        let (secrets, own_keys) = mine
            .apply_own_update_path(sender, content, &m.signer, &group_id, &mut rng)
            .map_err(|e| format!("update_paths[{u}]: generate: {e}"))?;
        own_keys
            .check_consistent(&mine)
            .map_err(|e| format!("update_paths[{u}]: committer keys: {e}"))?;
        let ctx2 = group_context(&mine)?;
        let new_path = mine
            .encrypt_update_path::<S, _>(&secrets, &ctx2, &[], &mut rng)
            .map_err(|e| format!("update_paths[{u}]: encrypt: {e}"))?;
        let wire = new_path.to_bytes().map_err(|e| e.to_string())?;
        let new_path = UpdatePath::decode_exact(&wire).map_err(|e| e.to_string())?;
        for (j, _) in tree.members() {
            if j == sender {
                continue;
            }
            let mut theirs = tree.clone();
            theirs
                .merge_update_path(sender, &new_path, &params)
                .map_err(|e| format!("update_paths[{u}]: leaf {} merging our path: {e}", j.0))?;
            if theirs.tree_hash().map_err(|e| e.to_string())?
                != mine.tree_hash().map_err(|e| e.to_string())?
            {
                return Err(format!(
                    "update_paths[{u}]: leaf {} tree hash differs from the committer's",
                    j.0
                ));
            }
            let mut keys = members
                .get(&j.0)
                .map(|m| m.keys.clone())
                .ok_or("missing member")?;
            let got = keys
                .process_update_path::<S>(&theirs, sender, &new_path, &ctx2, &[])
                .map_err(|e| format!("update_paths[{u}]: leaf {} processing our path: {e}", j.0))?;
            check_eq(
                &format!("update_paths[{u}]: new commit secret at leaf {}", j.0),
                got.commit_secret().as_bytes(),
                secrets.commit_secret().as_bytes(),
            )?;
            let ca = common_ancestor(j.node(), sender.node());
            let theirs_ps = got.path_secret(ca).map(|s| s.as_bytes().to_vec());
            let ours_ps = secrets
                .path_secret_for_joiner(j)
                .map(|s| s.as_bytes().to_vec());
            if theirs_ps.is_none() || theirs_ps != ours_ps {
                return Err(format!(
                    "update_paths[{u}]: leaf {} path secret differs",
                    j.0
                ));
            }
        }
    }
    Ok(())
}
