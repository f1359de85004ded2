//! Publishing GroupInfo (RFC 9420 section 12.4.3): the signed GroupInfo that goes into a
//! Welcome, and the one with `external_pub` for external joins (section 12.4.3.2).
use alloc::vec::Vec;
use vmls_codec::{Encode, OpaqueArray};
use vmls_crypto::{CipherSuite, SignaturePrivateKey};

use super::error::GroupError;
use super::{EpochState, Group};
use crate::extensions::{ExtensionBody, ExternalPub, RatchetTreeExtension};
use crate::framing::{MLSMessage, MLSMessageBody};
use crate::group_info::{GroupInfo, GroupInfoTBS};

impl<S: CipherSuite> Group<S> {
    /// A signed GroupInfo of `state` (RFC 9420 section 12.4.3) signed by this member with
    /// `signer` (the key of its leaf in `state`'s tree, section 12.4.3: the verifier takes the
    /// signer's key from that tree).
    pub(crate) fn make_group_info(
        &self,
        state: &EpochState<S>,
        signer: &SignaturePrivateKey,
        ratchet_tree: bool,
        external_pub: bool,
    ) -> Result<GroupInfo, GroupError> {
        let mut extensions = Vec::new();
        if ratchet_tree {
            extensions.push(RatchetTreeExtension::from_tree(&state.tree)?.to_extension()?);
        }
        if external_pub {
            let kp = state.secrets.external_key_pair()?;
            extensions.push(
                ExternalPub {
                    external_pub: OpaqueArray(kp.public),
                }
                .to_extension()?,
            );
        }
        Ok(GroupInfoTBS {
            group_context: state.context.clone(),
            extensions,
            confirmation_tag: OpaqueArray(state.confirmation_tag),
            signer: state.own_leaf.0,
        }
        .sign(signer)?)
    }

    /// An encoded `MLSMessage(GroupInfo)` of the current epoch with `external_pub` (so that a
    /// new member, or a member that lost its state, can join by external Commit: RFC 9420
    /// section 12.4.3.2, RFC 9750 section 6.6) and, if `ratchet_tree`, the ratchet tree.
    pub fn group_info(&self, ratchet_tree: bool) -> Result<Vec<u8>, GroupError> {
        self.require_active()?;
        let gi = self.make_group_info(&self.epoch, &self.signer, ratchet_tree, true)?;
        Ok(MLSMessage::new(MLSMessageBody::GroupInfo(gi)).to_bytes()?)
    }
}
