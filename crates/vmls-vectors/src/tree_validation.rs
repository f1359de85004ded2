//! tree-validation.json: per-node resolutions and tree hashes, parent hashes and leaf
//! signatures of a ratchet tree, as a joiner validates it (RFC 9420 sections 4.1.1, 7.8, 7.9.2,
//! 12.4.3.1).
use serde_json::Value;
use vmls_tree::{LeafValidationParams, NodeIndex, RatchetTree};

use crate::Outcome;
use crate::util::{array, bytes, check_eq, outcome, require_suite};

pub fn run(case: &Value) -> Outcome {
    if let Err(skip) = require_suite(case) {
        return skip;
    }
    outcome((|| {
        let tree = RatchetTree::from_bytes(&bytes(case, "tree")?, u32::MAX)
            .map_err(|e| format!("decode tree: {e}"))?;
        let group_id = bytes(case, "group_id")?;
        let resolutions = array(case, "resolutions")?;
        let hashes = array(case, "tree_hashes")?;
        let width = tree.storage().width() as usize;
        if resolutions.len() != width || hashes.len() != width {
            return Err(format!(
                "tree has {width} nodes, vector lists {} resolutions and {} hashes",
                resolutions.len(),
                hashes.len()
            ));
        }
        for (i, (want_res, want_hash)) in resolutions.iter().zip(hashes).enumerate() {
            let x = NodeIndex(i as u32);
            let want: Vec<u64> = want_res
                .as_array()
                .ok_or("resolution is not an array")?
                .iter()
                .map(|v| v.as_u64().ok_or("resolution entry is not a number"))
                .collect::<Result<_, _>>()?;
            let got: Vec<u64> = tree.resolution(x).iter().map(|n| u64::from(n.0)).collect();
            if got != want {
                return Err(format!("resolution({i}): got {got:?}, want {want:?}"));
            }
            let want_hash =
                crate::util::unhex(want_hash.as_str().ok_or("tree hash is not a string")?)?;
            let got_hash = tree.node_hash(x).map_err(|e| format!("hash({i}): {e}"))?;
            check_eq(&format!("tree_hash({i})"), &got_hash, &want_hash)?;
        }
        tree.verify_parent_hashes()
            .map_err(|e| format!("parent hashes: {e}"))?;
        let params = LeafValidationParams {
            group_id: &group_id,
            ..LeafValidationParams::default()
        };
        tree.validate(&params)
            .map_err(|e| format!("tree validation: {e}"))?;
        // Round trip of the ratchet_tree encoding.
        let enc = vmls_codec::Encode::to_bytes(&tree).map_err(|e| e.to_string())?;
        check_eq("re-encoded tree", &enc, &bytes(case, "tree")?)
    })())
}
