//! Extensions (RFC 9420 section 13) as they appear in leaf nodes, key packages, group contexts
//! and group infos.
use alloc::vec::Vec;
use vmls_codec::{Decode, Encode, Error, Reader, VLBytes, Writer};

/// `ExtensionType` values from the IANA registry (RFC 9420 section 17.3).
pub mod extension_type {
    /// `application_id` (leaf nodes).
    pub const APPLICATION_ID: u16 = 0x0001;
    /// `ratchet_tree` (group info).
    pub const RATCHET_TREE: u16 = 0x0002;
    /// `required_capabilities` (group context).
    pub const REQUIRED_CAPABILITIES: u16 = 0x0003;
    /// `external_pub` (group info).
    pub const EXTERNAL_PUB: u16 = 0x0004;
    /// `external_senders` (group context).
    pub const EXTERNAL_SENDERS: u16 = 0x0005;
    /// `last_resort` (key packages, RFC 9750 / IANA "last_resort").
    pub const LAST_RESORT: u16 = 0x000a;
}

/// `struct { ExtensionType extension_type; opaque extension_data<V>; } Extension;`
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Extension {
    /// The extension type.
    pub extension_type: u16,
    /// The encoded extension body.
    pub extension_data: VLBytes,
}

impl Encode for Extension {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        self.extension_type.encode(w)?;
        self.extension_data.encode(w)
    }
    fn encoded_len(&self) -> usize {
        2 + self.extension_data.encoded_len()
    }
}

impl Decode for Extension {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            extension_type: u16::decode(r)?,
            extension_data: VLBytes::decode(r)?,
        })
    }
}

/// Finds the extension of type `t`.
pub fn find_extension(extensions: &[Extension], t: u16) -> Option<&Extension> {
    extensions.iter().find(|e| e.extension_type == t)
}

/// Whether an extension list repeats a type (RFC 9420 section 13: each type at most once).
pub fn has_duplicate_extensions(extensions: &[Extension]) -> bool {
    // Sorting keeps this O(n log n) on a hostile list (a KeyPackage can carry thousands).
    let mut types: Vec<u16> = extensions.iter().map(|e| e.extension_type).collect();
    vmls_codec::sort::sort_unstable(&mut types);
    types.windows(2).any(|w| w.first() == w.last())
}

/// Whether every value of `needles` is in `haystack`, in O((n + m) log m): capability lists
/// come from the wire and may be long, so no nested scan.
pub fn all_listed(needles: impl IntoIterator<Item = u16>, haystack: &[u16]) -> bool {
    let mut sorted: Vec<u16> = haystack.to_vec();
    vmls_codec::sort::sort_unstable(&mut sorted);
    needles
        .into_iter()
        .all(|n| sorted.binary_search(&n).is_ok())
}

vmls_codec::tls_struct! {
    /// `RequiredCapabilities` (RFC 9420 section 11.1), the body of the `required_capabilities`
    /// group context extension.
    #[derive(Clone, Debug, PartialEq, Eq, Default)]
    pub struct RequiredCapabilities {
        /// Extension types every member must support.
        pub extension_types: Vec<u16>,
        /// Proposal types every member must support.
        pub proposal_types: Vec<u16>,
        /// Credential types every member must support.
        pub credential_types: Vec<u16>,
    }
}

/// Whether an extension type is one of the defaults every client implements and must not list
/// in its capabilities (RFC 9420 section 7.2: `application_id` .. `external_senders`).
pub fn is_default_extension(t: u16) -> bool {
    (extension_type::APPLICATION_ID..=extension_type::EXTERNAL_SENDERS).contains(&t)
}

/// Whether a proposal type is one of the defaults (`add` .. `group_context_extensions`,
/// RFC 9420 section 7.2).
pub fn is_default_proposal(t: u16) -> bool {
    (0x0001..=0x0007).contains(&t)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ext(t: u16) -> Extension {
        Extension {
            extension_type: t,
            extension_data: VLBytes::default(),
        }
    }

    #[test]
    fn duplicates_found_anywhere_in_the_list() {
        assert!(!has_duplicate_extensions(&[]));
        assert!(!has_duplicate_extensions(&[ext(3), ext(1), ext(2)]));
        assert!(has_duplicate_extensions(&[ext(3), ext(1), ext(2), ext(3)]));
        let many: Vec<Extension> = (0..5000u16).map(ext).chain([ext(4999)]).collect();
        assert!(has_duplicate_extensions(&many));
    }

    #[test]
    fn all_listed_is_set_inclusion() {
        assert!(all_listed([], &[]));
        assert!(all_listed([5, 1], &[1, 9, 5]));
        assert!(!all_listed([5, 2], &[1, 9, 5]));
        assert!(!all_listed([1], &[]));
    }
}
