//! The tree validation a joiner does (RFC 9420 section 12.4.3.1).
use alloc::vec::Vec;

use crate::error::TreeError;
use crate::leaf::LeafValidationParams;
use crate::math::{self, LeafIndex, NodeIndex};
use crate::storage::leaf_span;
use crate::tree::RatchetTree;

impl RatchetTree {
    /// Validates a whole tree as a joiner must (RFC 9420 section 12.4.3.1), except the
    /// comparison of [`RatchetTree::tree_hash`] with the GroupInfo's `tree_hash`, which the
    /// caller does:
    ///
    /// * every non-blank leaf is valid (section 7.3: signature over `group_id` and its index,
    ///   capabilities, required capabilities, lifetime if `params.now` is set), and supports
    ///   every credential type in use;
    /// * no two leaves share a `signature_key`, no two nodes share an `encryption_key`;
    /// * every `unmerged_leaves` list is sorted, names non-blank leaves below its node, and each
    ///   such leaf is also unmerged at every non-blank node between it and the node;
    /// * every non-blank parent node is parent-hash valid (section 7.9.2).
    pub fn validate(&self, params: &LeafValidationParams<'_>) -> Result<(), TreeError> {
        self.validate_leaves(params)?;
        self.check_unique_keys()?;
        self.check_unmerged_leaves()?;
        self.verify_parent_hashes()
    }

    /// Section 7.3 for every leaf, including the credential types in use.
    ///
    /// Every leaf signature is verified on its own with `verify_strict` semantics
    /// ([`vmls_crypto::verify_with_label`]), never in a batch: a batch can only check the
    /// cofactored equation, which accepts signatures a strict verifier (OpenMLS) rejects, and a
    /// tree can hold leaves no strict verifier ever checked (the creator's own leaf, leaves added
    /// while the creator was alone). A vmls joiner would then join a group an OpenMLS joiner of
    /// the same Welcome refuses (docs/spec-decisions.md, "Ed25519 verification semantics").
    pub fn validate_leaves(&self, params: &LeafValidationParams<'_>) -> Result<(), TreeError> {
        let mut in_use: Vec<u16> = Vec::new();
        for (_, l) in self.members() {
            let ct = l.content.credential.credential_type();
            if !in_use.contains(&ct) {
                in_use.push(ct);
            }
        }
        for (i, l) in self.members() {
            l.validate(None, Some(i), params)?;
            if let Some(ct) = in_use
                .iter()
                .find(|ct| !l.content.capabilities.credentials.contains(ct))
            {
                return Err(TreeError::UnsupportedCredentialType {
                    leaf: Some(i),
                    credential_type: *ct,
                });
            }
        }
        Ok(())
    }

    /// No two leaves share a signature key and no two nodes an encryption key (sections 7.3,
    /// 12.4.3.1, 16.8).
    pub fn check_unique_keys(&self) -> Result<(), TreeError> {
        let mut sig: Vec<([u8; 32], LeafIndex)> = self
            .members()
            .map(|(i, l)| (*l.signature_key(), i))
            .collect();
        vmls_codec::sort::sort_unstable(&mut sig);
        for w in sig.windows(2) {
            if let [(a, _), (b, j)] = w
                && a == b
            {
                return Err(TreeError::DuplicateSignatureKey { leaf: *j });
            }
        }
        let mut enc: Vec<([u8; 32], NodeIndex)> = self
            .non_blank_nodes()
            .map(|(x, n)| (*n.encryption_key(), x))
            .collect();
        vmls_codec::sort::sort_unstable(&mut enc);
        for w in enc.windows(2) {
            if let [(a, _), (b, x)] = w
                && a == b
            {
                return Err(TreeError::DuplicateEncryptionKey { node: *x });
            }
        }
        Ok(())
    }

    /// The `unmerged_leaves` rules of sections 7.1 and 12.4.3.1.
    pub fn check_unmerged_leaves(&self) -> Result<(), TreeError> {
        let n = self.n_leaves();
        for i in (1..self.storage.width()).step_by(2) {
            let p = NodeIndex(i);
            let Some(node) = self.parent(p) else {
                continue;
            };
            let bad = TreeError::InvalidUnmergedLeaves { node: p };
            if node.unmerged_leaves.windows(2).any(|w| match w {
                [a, b] => a >= b,
                _ => false,
            }) {
                return Err(bad);
            }
            let (lo, hi) = leaf_span(p);
            for &u in &node.unmerged_leaves {
                if u < lo || u >= hi || self.leaf(LeafIndex(u)).is_none() {
                    return Err(bad);
                }
                for x in math::direct_path(LeafIndex(u).node(), n) {
                    if x == p {
                        break;
                    }
                    if let Some(between) = self.parent(x)
                        && between.unmerged_leaves.binary_search(&u).is_err()
                    {
                        return Err(bad);
                    }
                }
            }
        }
        Ok(())
    }
}
