//! Content authentication (RFC 9420 section 6.1) and PublicMessage protection (section 6.2).
use vmls_codec::{Encode, Error as CodecError, OpaqueArray, Writer};
use vmls_crypto::{Secret, SignaturePrivateKey};
use vmls_keyschedule::GroupContext;

use super::{
    AuthenticatedContent, Content, FramedContent, FramedContentAuthData, PublicMessage, Sender,
    WireFormat,
};
use crate::Error;

/// Signature label of FramedContent (RFC 9420 section 6.1).
pub const FRAMED_CONTENT_TBS_LABEL: &[u8] = b"FramedContentTBS";

/// `FramedContentTBS` (RFC 9420 section 6.1): what a FramedContent signature covers. `context`
/// is present exactly for `member` and `new_member_commit` senders.
#[derive(Clone, Copy, Debug)]
pub struct FramedContentTBS<'a> {
    /// Wire format the content is sent in.
    pub wire_format: WireFormat,
    /// The content.
    pub content: &'a FramedContent,
    /// The GroupContext of the epoch, for senders that sign it.
    pub context: Option<&'a GroupContext>,
}

impl<'a> FramedContentTBS<'a> {
    /// The TBS for `content` sent as `wire_format`, taking the GroupContext when the sender type
    /// needs it ([`Error::MissingGroupContext`] if it does and none is given).
    pub fn new(
        wire_format: WireFormat,
        content: &'a FramedContent,
        context: Option<&'a GroupContext>,
    ) -> Result<Self, Error> {
        let context = if content.sender.signs_group_context() {
            Some(context.ok_or(Error::MissingGroupContext)?)
        } else {
            None
        };
        Ok(Self {
            wire_format,
            content,
            context,
        })
    }
}

impl Encode for FramedContentTBS<'_> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        super::ProtocolVersion::MLS10.encode(w)?;
        self.wire_format.encode(w)?;
        self.content.encode(w)?;
        if let Some(c) = self.context {
            c.encode(w)?;
        }
        Ok(())
    }
    fn encoded_len(&self) -> usize {
        4 + self.content.encoded_len() + self.context.map_or(0, Encode::encoded_len)
    }
}

/// `AuthenticatedContentTBM` (RFC 9420 section 6.2): what the membership tag covers.
#[derive(Clone, Copy, Debug)]
pub struct AuthenticatedContentTBM<'a> {
    /// The content's TBS.
    pub content_tbs: FramedContentTBS<'a>,
    /// The content's authentication.
    pub auth: &'a FramedContentAuthData,
}

impl Encode for AuthenticatedContentTBM<'_> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.content_tbs.encode(w)?;
        self.auth.encode(w)
    }
    fn encoded_len(&self) -> usize {
        self.content_tbs.encoded_len() + self.auth.encoded_len()
    }
}

impl AuthenticatedContent {
    /// Signs `content` for sending as `wire_format` (RFC 9420 section 6.1) with the key that
    /// matches the sender type. `context` is required for `member` and `new_member_commit`
    /// senders.
    ///
    /// A commit's `confirmation_tag` depends on this signature (through the confirmed transcript
    /// hash), so it is left `None` here: set `auth.confirmation_tag` before sending a commit.
    pub fn sign(
        wire_format: WireFormat,
        content: FramedContent,
        signer: &SignaturePrivateKey,
        context: Option<&GroupContext>,
    ) -> Result<Self, Error> {
        let tbs = FramedContentTBS::new(wire_format, &content, context)?.to_bytes()?;
        let signature = vmls_crypto::sign_with_label(signer, FRAMED_CONTENT_TBS_LABEL, &tbs)?;
        Ok(Self {
            wire_format,
            content,
            auth: FramedContentAuthData {
                signature: OpaqueArray(signature),
                confirmation_tag: None,
            },
        })
    }

    /// Verifies the signature with the sender's key (RFC 9420 section 6.1).
    pub fn verify_signature(
        &self,
        signature_key: &[u8],
        context: Option<&GroupContext>,
    ) -> Result<(), Error> {
        let tbs = FramedContentTBS::new(self.wire_format, &self.content, context)?.to_bytes()?;
        vmls_crypto::verify_with_label(
            signature_key,
            FRAMED_CONTENT_TBS_LABEL,
            &tbs,
            self.auth.signature.as_slice(),
        )
        .map_err(|_| Error::InvalidSignature)
    }

    /// The sender.
    pub fn sender(&self) -> Sender {
        self.content.sender
    }
}

/// Checks that `content` belongs to the group and epoch of `context`.
pub(crate) fn check_group_epoch(
    group_id: &[u8],
    epoch: u64,
    context: &GroupContext,
) -> Result<(), Error> {
    if group_id != context.group_id.as_slice() {
        return Err(Error::WrongGroupId);
    }
    if epoch != context.epoch {
        return Err(Error::WrongEpoch {
            expected: context.epoch,
            got: epoch,
        });
    }
    Ok(())
}

fn membership_tag_input(
    content: &FramedContent,
    auth: &FramedContentAuthData,
    context: &GroupContext,
) -> Result<alloc::vec::Vec<u8>, Error> {
    let tbm = AuthenticatedContentTBM {
        content_tbs: FramedContentTBS::new(WireFormat::PublicMessage, content, Some(context))?,
        auth,
    };
    Ok(tbm.to_bytes()?)
}

impl PublicMessage {
    /// Encodes signed content as a PublicMessage (RFC 9420 section 6.2).
    ///
    /// The content must have been signed for `mls_public_message`, must not be application data,
    /// must carry a confirmation tag exactly if it is a commit, and a `member` sender needs the
    /// epoch's `membership_key` for the membership tag.
    pub fn protect(
        authenticated: AuthenticatedContent,
        context: &GroupContext,
        membership_key: Option<&Secret>,
    ) -> Result<Self, Error> {
        let AuthenticatedContent {
            wire_format,
            content,
            auth,
        } = authenticated;
        if wire_format != WireFormat::PublicMessage {
            return Err(Error::WrongWireFormat {
                expected: WireFormat::PublicMessage.value(),
                got: wire_format.value(),
            });
        }
        if let Content::Application(_) = content.content {
            return Err(Error::ApplicationDataInPublicMessage);
        }
        auth.check_for(content.content_type())?;
        let membership_tag = match content.sender {
            Sender::Member(_) => {
                let key = membership_key.ok_or(Error::MissingMembershipKey)?;
                let input = membership_tag_input(&content, &auth, context)?;
                Some(OpaqueArray(vmls_crypto::mac(key.as_bytes(), &input)))
            }
            _ => None,
        };
        Ok(Self {
            content,
            auth,
            membership_tag,
        })
    }

    /// Checks the membership tag of a `member` sender's message (RFC 9420 section 6.2); other
    /// senders have none and pass.
    pub fn verify_membership_tag(
        &self,
        membership_key: &Secret,
        context: &GroupContext,
    ) -> Result<(), Error> {
        let Some(tag) = &self.membership_tag else {
            return match self.content.sender {
                Sender::Member(_) => Err(Error::InvalidMembershipTag),
                _ => Ok(()),
            };
        };
        let input = membership_tag_input(&self.content, &self.auth, context)?;
        vmls_crypto::verify_mac(membership_key.as_bytes(), &input, tag.as_slice())
            .map_err(|_| Error::InvalidMembershipTag)
    }

    /// Decodes a PublicMessage into AuthenticatedContent (RFC 9420 section 6.2): checks the group
    /// and epoch against `context`, rejects application data, checks the membership tag of a
    /// `member` sender (which needs `membership_key`) and the signature with `signature_key`,
    /// the key the sender type designates (RFC 9420 section 6.1).
    ///
    /// A commit's confirmation tag needs the next epoch's key schedule; check it with the
    /// returned content.
    pub fn unprotect(
        self,
        signature_key: &[u8],
        context: &GroupContext,
        membership_key: Option<&Secret>,
    ) -> Result<AuthenticatedContent, Error> {
        check_group_epoch(&self.content.group_id, self.content.epoch, context)?;
        if let Content::Application(_) = self.content.content {
            return Err(Error::ApplicationDataInPublicMessage);
        }
        if let Sender::Member(_) = self.content.sender {
            let key = membership_key.ok_or(Error::MissingMembershipKey)?;
            self.verify_membership_tag(key, context)?;
        }
        let authenticated = AuthenticatedContent {
            wire_format: WireFormat::PublicMessage,
            content: self.content,
            auth: self.auth,
        };
        authenticated.verify_signature(signature_key, Some(context))?;
        Ok(authenticated)
    }
}
