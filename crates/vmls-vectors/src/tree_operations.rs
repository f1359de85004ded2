//! tree-operations.json: applying an Add, Update or Remove proposal to a ratchet tree
//! (RFC 9420 sections 12.1.1-12.1.3, 7.7, 7.8).
use serde_json::Value;
use vmls_codec::{Decode, Encode, Reader, VLBytes};
use vmls_tree::{Extension, LeafIndex, LeafNode, RatchetTree};

use crate::Outcome;
use crate::util::{bytes, check_eq, outcome, require_suite, uint};

/// The tree-changing proposals (RFC 9420 section 12.1), decoded here so the runner does not
/// depend on the group crate.
enum Proposal {
    Add(LeafNode),
    Update(LeafNode),
    Remove(u32),
}

fn decode_proposal(b: &[u8]) -> Result<Proposal, String> {
    let mut r = Reader::new(b);
    let e = |e: vmls_codec::Error| e.to_string();
    let p = match u16::decode(&mut r).map_err(e)? {
        1 => {
            // KeyPackage: version, cipher_suite, init_key, leaf_node, extensions, signature.
            u16::decode(&mut r).map_err(e)?;
            u16::decode(&mut r).map_err(e)?;
            VLBytes::decode(&mut r).map_err(e)?;
            let leaf = LeafNode::decode(&mut r).map_err(e)?;
            Vec::<Extension>::decode(&mut r).map_err(e)?;
            VLBytes::decode(&mut r).map_err(e)?;
            Proposal::Add(leaf)
        }
        2 => Proposal::Update(LeafNode::decode(&mut r).map_err(e)?),
        3 => Proposal::Remove(u32::decode(&mut r).map_err(e)?),
        t => return Err(format!("proposal type {t} does not change the tree")),
    };
    r.finish().map_err(e)?;
    Ok(p)
}

pub fn run(case: &Value) -> Outcome {
    if let Err(skip) = require_suite(case) {
        return skip;
    }
    outcome((|| {
        let mut tree = RatchetTree::from_bytes(&bytes(case, "tree_before")?, u32::MAX)
            .map_err(|e| format!("decode tree_before: {e}"))?;
        let th = tree.tree_hash().map_err(|e| e.to_string())?;
        check_eq("tree_hash_before", &th, &bytes(case, "tree_hash_before")?)?;
        let sender = LeafIndex(uint(case, "proposal_sender")? as u32);
        match decode_proposal(&bytes(case, "proposal")?)? {
            Proposal::Add(leaf) => tree.add_leaf(leaf).map(|_| ()),
            Proposal::Update(leaf) => tree.update_leaf(sender, leaf),
            Proposal::Remove(i) => tree.remove_leaf(LeafIndex(i)),
        }
        .map_err(|e| format!("apply proposal: {e}"))?;
        let after = tree.to_bytes().map_err(|e| e.to_string())?;
        check_eq("tree_after", &after, &bytes(case, "tree_after")?)?;
        let th = tree.tree_hash().map_err(|e| e.to_string())?;
        check_eq("tree_hash_after", &th, &bytes(case, "tree_hash_after")?)
    })())
}
