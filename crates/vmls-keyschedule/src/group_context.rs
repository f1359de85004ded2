//! `GroupContext` (RFC 9420 section 8.1).
use alloc::vec::Vec;
use vmls_codec::{VLBytes, tls_struct};
use vmls_tree::Extension;

/// `ProtocolVersion` mls10.
pub const MLS10: u16 = 1;

tls_struct! {
    /// `GroupContext` (RFC 9420 section 8.1): the state every member agrees on in an epoch.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct GroupContext {
        /// `ProtocolVersion` (1 = mls10).
        pub version: u16,
        /// `CipherSuite`.
        pub cipher_suite: u16,
        /// Application-chosen group identifier.
        pub group_id: VLBytes,
        /// Epoch number.
        pub epoch: u64,
        /// Tree hash of the ratchet tree's root.
        pub tree_hash: VLBytes,
        /// Confirmed transcript hash.
        pub confirmed_transcript_hash: VLBytes,
        /// Group context extensions.
        pub extensions: Vec<Extension>,
    }
}
