//! The MLS key schedule (RFC 9420 section 8).
//!
//! * [`GroupContext`] (8.1) and the transcript hashes (8.2: [`confirmed_transcript_hash`],
//!   [`interim_transcript_hash`]) over encodings the framing layer passes as bytes.
//! * The epoch schedule (8): [`joiner_secret`], [`welcome_secret`], and [`NewEpoch`] with the
//!   two entry points [`NewEpoch::from_commit`] (existing member: `init_secret` +
//!   `commit_secret`) and [`NewEpoch::from_joiner_secret`] (new member via Welcome), giving
//!   every Table-4 secret ([`EpochSecrets`], zeroizing) and the next `init_secret`.
//! * Welcome key and nonce (12.4.3.1, [`welcome_key_nonce`]), the `SenderData` key and nonce
//!   (6.3.2, [`sender_data_key_nonce`]), confirmation and membership tags (6.1, 6.2).
//! * Pre-shared keys (8.4): [`PreSharedKeyId`], [`PskLabel`], [`psk_secret`].
//! * Exporters: `MLS-Exporter` (8.5, [`mls_exporter`]), `external_pub` (8,
//!   [`EpochSecrets::external_key_pair`]), `resumption_psk` (8.6), `epoch_authenticator` (8.7),
//!   and the forward-secure safe exporter of draft-ietf-mls-extensions ([`SafeExporter`]).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod error;
pub mod exporter;
pub mod group_context;
pub mod psk;
pub mod schedule;
pub mod transcript;

pub use error::KeyScheduleError;
pub use exporter::{ComponentId, EXPORTER_TREE_DEPTH, SafeExporter, mls_exporter};
pub use group_context::{GroupContext, MLS10};
pub use psk::{PreSharedKeyId, Psk, PskLabel, ResumptionPskUsage, psk_secret};
pub use schedule::{
    EpochSecrets, NewEpoch, confirmation_tag, joiner_secret, joiner_secret_with_context,
    membership_tag, sender_data_key_nonce, verify_confirmation_tag, verify_membership_tag,
    welcome_key_nonce, welcome_secret,
};
pub use transcript::{
    INITIAL_TRANSCRIPT_HASH, confirmed_transcript_hash, confirmed_transcript_hash_from_parts,
    interim_transcript_hash,
};
pub use vmls_secret_tree::KeyNonce;
