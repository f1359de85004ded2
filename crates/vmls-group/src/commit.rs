//! `Commit` (RFC 9420 section 12.4).
use alloc::vec::Vec;
use vmls_codec::tls_struct;
use vmls_tree::UpdatePath;

use crate::proposals::{ProposalOrRef, proposal_type};

tls_struct! {
    /// `Commit` (RFC 9420 section 12.4).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Commit {
        /// The proposals the Commit applies, inline or by reference.
        pub proposals: Vec<ProposalOrRef>,
        /// The committer's UpdatePath (`optional<UpdatePath>`).
        pub path: Option<UpdatePath>,
    }
}

impl Commit {
    /// Whether the Commit must carry a path (RFC 9420 section 12.4): it covers no proposal, or
    /// an inline proposal of a path-required type. Proposals by reference are resolved by the
    /// caller, which passes their types in `referenced_types`.
    pub fn path_required(&self, referenced_types: &[u16]) -> bool {
        let inline = self.proposals.iter().any(|p| match p {
            ProposalOrRef::Proposal(p) => p.requires_path(),
            ProposalOrRef::Reference(_) => false,
        });
        let referenced = referenced_types.iter().any(|t| {
            matches!(
                *t,
                proposal_type::UPDATE
                    | proposal_type::REMOVE
                    | proposal_type::EXTERNAL_INIT
                    | proposal_type::GROUP_CONTEXT_EXTENSIONS
            )
        });
        self.proposals.is_empty() || inline || referenced
    }
}
