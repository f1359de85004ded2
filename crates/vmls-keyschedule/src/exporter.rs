//! The MLS exporter (RFC 9420 section 8.5) and the forward-secure safe exporter of
//! draft-ietf-mls-extensions ("Exported Secrets").
use vmls_codec::{Decode, Encode, Error as CodecError, Reader, Writer};
use vmls_crypto::{Secret, derive_secret, expand_with_label_into, hash};
use vmls_secret_tree::{LazySecretTree, SecretTreeError};

use crate::KeyScheduleError;

/// `MLS-Exporter(Label, Context, Length)` written into `out` (`Length = out.len()`):
///
/// ```text
/// ExpandWithLabel(DeriveSecret(exporter_secret, Label), "exported", Hash(Context), Length)
/// ```
pub fn mls_exporter(
    exporter_secret: &Secret,
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<(), KeyScheduleError> {
    let derived = derive_secret(exporter_secret.as_bytes(), label)?;
    expand_with_label_into(derived.as_bytes(), b"exported", &hash(context), out)?;
    Ok(())
}

/// A `ComponentID` (draft-ietf-mls-extensions, "Component IDs"): `uint16`.
pub type ComponentId = u16;

/// `log2` of the exporter tree's leaf count: 2^16 leaves, one per [`ComponentId`].
pub const EXPORTER_TREE_DEPTH: u8 = 16;

/// The safe exporter of one epoch (draft-ietf-mls-extensions, "Exported Secrets"): an exporter
/// tree with 2^16 leaves rooted at
/// `application_export_secret = DeriveSecret(epoch_secret, "application_export")`, derived like
/// the RFC 9420 secret tree (`ExpandWithLabel(node, "tree", "left" | "right", Nh)`), where
///
/// ```text
/// SafeExportSecret(ComponentID) = tree_node_[LeafIndex(ComponentID)]_secret
/// ```
///
/// and `LeafIndex(ComponentID)` is the leaf whose index equals the ComponentID value (the path
/// from the root follows its 16 bits, most significant first, 0 = left).
///
/// Each component's secret can be taken once per epoch: it is consumed when exported, and the
/// tree deletes it and every node above it whose children both exist (RFC 9420 section 9.2), so
/// a second [`SafeExporter::safe_export_secret`] for the same component fails with
/// [`KeyScheduleError::SafeExportConsumed`]. Nodes are derived lazily; a fresh exporter holds one
/// secret, and each export adds at most 15 stored nodes.
#[derive(Clone, Debug)]
pub struct SafeExporter(LazySecretTree);

impl SafeExporter {
    /// The exporter tree rooted at `application_export_secret`.
    pub fn new(application_export_secret: Secret) -> Result<Self, KeyScheduleError> {
        Ok(Self(LazySecretTree::new(
            application_export_secret,
            EXPORTER_TREE_DEPTH,
        )?))
    }

    /// `SafeExportSecret(component_id)`, consumed: the secret is returned once and deleted from
    /// the exporter. A second call in the same epoch is
    /// [`KeyScheduleError::SafeExportConsumed`].
    pub fn safe_export_secret(
        &mut self,
        component_id: ComponentId,
    ) -> Result<Secret, KeyScheduleError> {
        self.0
            .take_leaf(u32::from(component_id))
            .map_err(|e| map_err(e, component_id))
    }

    /// Whether `component_id`'s secret has not been exported yet in this epoch.
    pub fn is_available(&self, component_id: ComponentId) -> bool {
        self.0.has_leaf(u32::from(component_id))
    }

    /// Number of tree-node secrets held (for memory accounting).
    pub fn stored_secrets(&self) -> usize {
        self.0.stored_secrets()
    }
}

fn map_err(e: SecretTreeError, component_id: ComponentId) -> KeyScheduleError {
    match e {
        SecretTreeError::LeafConsumed { .. } => {
            KeyScheduleError::SafeExportConsumed { component_id }
        }
        other => KeyScheduleError::SecretTree(other),
    }
}

/// Encoded as its tree (`struct { uint8 depth = 16; NodeSecret frontier<V>; }`, see
/// [`LazySecretTree`]); decoding rejects any other depth.
impl Encode for SafeExporter {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.0.encode(w)
    }
    fn encoded_len(&self) -> usize {
        self.0.encoded_len()
    }
}

impl Decode for SafeExporter {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let t = LazySecretTree::decode(r)?;
        if t.depth() != EXPORTER_TREE_DEPTH {
            return Err(CodecError::InvalidEnum(u64::from(t.depth())));
        }
        Ok(Self(t))
    }
}
