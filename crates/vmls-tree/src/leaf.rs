//! LeafNode signatures (`LeafNodeTBS`, RFC 9420 section 7.2) and the leaf checks of section 7.3
//! that need no group state beyond what the caller passes in.
use alloc::vec::Vec;
use vmls_codec::{Encode, Error as CodecError, Writer, encode_opaque};
use vmls_crypto::{SignaturePrivateKey, sign_with_label, verify_with_label};

use crate::error::TreeError;
use crate::extension::is_default_proposal;
use crate::extension::{
    RequiredCapabilities, all_listed, has_duplicate_extensions, is_default_extension,
};
use crate::math::LeafIndex;
use crate::node::{LeafNode, LeafNodeContent, LeafNodeSource};

/// Signature label of a LeafNode (RFC 9420 section 7.2).
pub const LEAF_NODE_TBS_LABEL: &[u8] = b"LeafNodeTBS";

/// The group context a leaf of source `update` or `commit` is signed in: the `group_id` and
/// `leaf_index` fields of `LeafNodeTBS` (RFC 9420 section 7.2). Ignored for `key_package` leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeafSigningContext<'a> {
    /// The group's `group_id`.
    pub group_id: &'a [u8],
    /// The leaf's index in the tree.
    pub leaf_index: LeafIndex,
}

/// The kind of a `LeafNodeSource` (RFC 9420 section 7.2), without its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafNodeSourceType {
    /// `key_package(1)`.
    KeyPackage = 1,
    /// `update(2)`.
    Update = 2,
    /// `commit(3)`.
    Commit = 3,
}

impl LeafNodeSource {
    /// The kind of this source.
    pub fn source_type(&self) -> LeafNodeSourceType {
        match self {
            LeafNodeSource::KeyPackage(_) => LeafNodeSourceType::KeyPackage,
            LeafNodeSource::Update => LeafNodeSourceType::Update,
            LeafNodeSource::Commit(_) => LeafNodeSourceType::Commit,
        }
    }
}

/// `LeafNodeTBS` (RFC 9420 section 7.2): the leaf content, plus `group_id` and `leaf_index` when
/// the source is `update` or `commit`.
#[derive(Clone, Copy, Debug)]
pub struct LeafNodeTbs<'a> {
    content: &'a LeafNodeContent,
    context: Option<LeafSigningContext<'a>>,
}

impl<'a> LeafNodeTbs<'a> {
    /// The TBS of `content`; fails if the source needs a group context and none is given.
    pub fn new(
        content: &'a LeafNodeContent,
        context: Option<LeafSigningContext<'a>>,
    ) -> Result<Self, TreeError> {
        let context = match content.leaf_node_source {
            LeafNodeSource::KeyPackage(_) => None,
            LeafNodeSource::Update | LeafNodeSource::Commit(_) => {
                Some(context.ok_or(TreeError::MissingLeafContext)?)
            }
        };
        Ok(Self { content, context })
    }
}

impl Encode for LeafNodeTbs<'_> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.content.encode(w)?;
        if let Some(c) = self.context {
            encode_opaque(w, c.group_id)?;
            c.leaf_index.0.encode(w)?;
        }
        Ok(())
    }
    fn encoded_len(&self) -> usize {
        self.content.encoded_len()
            + self
                .context
                .map_or(0, |c| vmls_codec::opaque_len(c.group_id.len()) + 4)
    }
}

impl LeafNode {
    /// Signs `content` with `key`: `SignWithLabel(key, "LeafNodeTBS", LeafNodeTBS)`
    /// (RFC 9420 section 7.2). `context` is required for sources `update` and `commit`.
    pub fn sign(
        content: LeafNodeContent,
        key: &SignaturePrivateKey,
        context: Option<LeafSigningContext<'_>>,
    ) -> Result<LeafNode, TreeError> {
        if key.public_key() != content.signature_key.0 {
            return Err(TreeError::SignatureKeyMismatch);
        }
        let tbs = LeafNodeTbs::new(&content, context)?.to_bytes()?;
        let sig = sign_with_label(key, LEAF_NODE_TBS_LABEL, &tbs)?;
        Ok(LeafNode {
            content,
            signature: sig.into(),
        })
    }

    /// Verifies the signature with the leaf's own `signature_key` (RFC 9420 section 7.3).
    /// `context` is required for sources `update` and `commit`.
    pub fn verify(&self, context: Option<LeafSigningContext<'_>>) -> Result<(), TreeError> {
        let leaf = context.map(|c| c.leaf_index);
        let tbs = LeafNodeTbs::new(&self.content, context)?.to_bytes()?;
        verify_with_label(
            &self.content.signature_key.0,
            LEAF_NODE_TBS_LABEL,
            &tbs,
            &self.signature.0,
        )
        .map_err(|_| TreeError::InvalidLeafSignature { leaf })
    }

    /// The leaf's `encryption_key`.
    pub fn encryption_key(&self) -> &[u8; 32] {
        &self.content.encryption_key.0
    }

    /// The leaf's `signature_key`.
    pub fn signature_key(&self) -> &[u8; 32] {
        &self.content.signature_key.0
    }

    /// The `parent_hash` of a `commit` leaf, `None` for other sources.
    pub fn parent_hash(&self) -> Option<&[u8]> {
        match &self.content.leaf_node_source {
            LeafNodeSource::Commit(ph) => Some(ph.as_slice()),
            _ => None,
        }
    }

    /// The checks of RFC 9420 section 7.3 that concern this leaf alone: the signature, the
    /// source, the leaf's capabilities cover its own credential type and its non-default
    /// extensions, no extension type repeats, the group's required capabilities, and the
    /// lifetime when `params.now` is set. Credential validation against an authentication
    /// service is the application's job and is not done here; the checks against the other
    /// members (credential support, key uniqueness) are in
    /// [`crate::RatchetTree::validate_new_leaf`].
    pub fn validate(
        &self,
        expected_source: Option<LeafNodeSourceType>,
        leaf_index: Option<LeafIndex>,
        params: &LeafValidationParams<'_>,
    ) -> Result<(), TreeError> {
        self.check_source(expected_source, leaf_index)?;
        let ctx = leaf_index.map(|leaf_index| LeafSigningContext {
            group_id: params.group_id,
            leaf_index,
        });
        match self.verify(ctx) {
            Err(TreeError::InvalidLeafSignature { .. }) => {
                return Err(TreeError::InvalidLeafSignature { leaf: leaf_index });
            }
            r => r?,
        }
        self.validate_content(leaf_index, params)
    }

    /// Every check of [`LeafNode::validate`] except the signature: for a leaf this client has
    /// just signed itself (re-verifying its own fresh signature only costs time).
    pub fn validate_unsigned(
        &self,
        expected_source: Option<LeafNodeSourceType>,
        leaf_index: Option<LeafIndex>,
        params: &LeafValidationParams<'_>,
    ) -> Result<(), TreeError> {
        self.check_source(expected_source, leaf_index)?;
        self.validate_content(leaf_index, params)
    }

    fn check_source(
        &self,
        expected_source: Option<LeafNodeSourceType>,
        leaf_index: Option<LeafIndex>,
    ) -> Result<(), TreeError> {
        let source = self.content.leaf_node_source.source_type();
        match expected_source {
            Some(want) if want != source => Err(TreeError::WrongLeafNodeSource {
                leaf: leaf_index,
                expected: want as u8,
                got: source as u8,
            }),
            _ => Ok(()),
        }
    }

    /// The checks of [`LeafNode::validate`] after the signature.
    fn validate_content(
        &self,
        leaf_index: Option<LeafIndex>,
        params: &LeafValidationParams<'_>,
    ) -> Result<(), TreeError> {
        let c = &self.content;
        let ct = c.credential.credential_type();
        if !c.capabilities.credentials.contains(&ct) {
            return Err(TreeError::CredentialTypeNotInCapabilities {
                leaf: leaf_index,
                credential_type: ct,
            });
        }
        if has_duplicate_extensions(&c.extensions) {
            return Err(TreeError::DuplicateExtension { leaf: leaf_index });
        }
        let mut listed: Vec<u16> = c.capabilities.extensions.clone();
        vmls_codec::sort::sort_unstable(&mut listed);
        for e in &c.extensions {
            if !is_default_extension(e.extension_type)
                && listed.binary_search(&e.extension_type).is_err()
            {
                return Err(TreeError::UnsupportedExtension {
                    leaf: leaf_index,
                    extension_type: e.extension_type,
                });
            }
        }
        if let Some(req) = params.required_capabilities
            && !supports_required(c, req)
        {
            return Err(TreeError::MissingRequiredCapability { leaf: leaf_index });
        }
        if let LeafNodeSource::KeyPackage(l) = &c.leaf_node_source {
            let bad_now = params
                .now
                .is_some_and(|now| now < l.not_before || now > l.not_after);
            let too_long = params.max_lifetime.is_some_and(|max| {
                l.not_after
                    .checked_sub(l.not_before)
                    .is_none_or(|d| d > max)
            });
            if bad_now || too_long {
                return Err(TreeError::InvalidLifetime { leaf: leaf_index });
            }
        }
        Ok(())
    }
}

/// Whether a leaf's capabilities cover a `required_capabilities` extension. Default extension and
/// proposal types are implied (RFC 9420 section 11.1); credential types must be listed.
pub fn supports_required(content: &LeafNodeContent, req: &RequiredCapabilities) -> bool {
    let caps = &content.capabilities;
    let ext = req
        .extension_types
        .iter()
        .copied()
        .filter(|t| !is_default_extension(*t));
    let prop = req
        .proposal_types
        .iter()
        .copied()
        .filter(|t| !is_default_proposal(*t));
    all_listed(ext, &caps.extensions)
        && all_listed(prop, &caps.proposals)
        && all_listed(req.credential_types.iter().copied(), &caps.credentials)
}

/// What a leaf is validated against (RFC 9420 section 7.3).
#[derive(Clone, Copy, Debug, Default)]
pub struct LeafValidationParams<'a> {
    /// The group's `group_id`, signed by `update` and `commit` leaves.
    pub group_id: &'a [u8],
    /// The group's `required_capabilities` extension, if it has one.
    pub required_capabilities: Option<&'a RequiredCapabilities>,
    /// The current time (seconds since the Unix epoch): when set, `key_package` leaves must be
    /// within their lifetime.
    pub now: Option<u64>,
    /// The longest `lifetime` (not_after - not_before) the application accepts, if limited.
    pub max_lifetime: Option<u64>,
}
