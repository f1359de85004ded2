//! Authorization of proposals from outside the group (RFC 9420 section 12.1.8: "External
//! proposals that are not authorized are considered invalid").
//!
//! A `new_member_proposal` Add is signed by the joiner's own KeyPackage key, so anyone who
//! learns a group id and an epoch can produce one; an `external` sender is listed in the
//! group's `external_senders` extension. Neither is a member, so whether its proposal may be
//! cached and committed is the application's decision, made by a [`ProposalPolicy`] before the
//! proposal enters the cache. Every member must apply the same policy: a member that refuses a
//! proposal another member caches cannot process a Commit that references it
//! (docs/security.md).
use crate::extensions::ExternalSender;
use crate::proposals::Proposal;

/// The sender of a proposal from outside the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternalProposer<'a> {
    /// `new_member_proposal`: a client asking to be added (the Add's KeyPackage signed it).
    NewMember,
    /// `external`: entry `index` of the group's `external_senders`.
    External {
        /// The index in `external_senders`.
        index: u32,
        /// That entry: signature key and credential.
        sender: &'a ExternalSender,
    },
}

/// The application's decision on proposals from outside the group. Called after the proposal's
/// signature and its validity were checked, before it is cached.
pub trait ProposalPolicy {
    /// Whether `proposal` from `proposer` may be cached and committed.
    fn authorize(&self, proposer: &ExternalProposer<'_>, proposal: &Proposal) -> bool;
}

/// The policy of [`crate::group::Group::process_message`]: proposals from senders listed in
/// `external_senders` are accepted (the group listed them), `new_member_proposal` Adds are
/// refused (anyone can make one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DefaultProposalPolicy;

impl ProposalPolicy for DefaultProposalPolicy {
    fn authorize(&self, proposer: &ExternalProposer<'_>, _proposal: &Proposal) -> bool {
        matches!(proposer, ExternalProposer::External { .. })
    }
}

/// Refuses every proposal from outside the group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RejectExternalProposals;

impl ProposalPolicy for RejectExternalProposals {
    fn authorize(&self, _proposer: &ExternalProposer<'_>, _proposal: &Proposal) -> bool {
        false
    }
}

/// A policy from a closure, e.g. one that admits `new_member_proposal` Adds whose credential is
/// on an invitation list.
impl<F: Fn(&ExternalProposer<'_>, &Proposal) -> bool> ProposalPolicy for F {
    fn authorize(&self, proposer: &ExternalProposer<'_>, proposal: &Proposal) -> bool {
        self(proposer, proposal)
    }
}
