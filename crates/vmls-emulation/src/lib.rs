//! Virtual clients (draft-kohbrok-mls-virtual-clients-03, "Client emulation"; the pinned
//! choices of `CBST-CBAM.md` and docs/spec-decisions.md): several emulator clients, members of
//! an emulation group G, act as one member V (a virtual client) in higher-level groups.
//!
//! One mechanism: **deterministic replay**. An emulator announces an action with a commit in G
//! whose `authenticated_data` carries the `VirtualClientActions` SafeAAD item ([`announce`]).
//! Every emulator (the announcer included) processes that commit, derives the action's secrets
//! from the epoch it created ([`derive`](mod@derive): `vc_epoch_secret` → `operation_secret` → the pinned
//! key seeds and a seeded RNG) and runs the ordinary `vmls-group` operation on its copy of V's
//! state, reaching byte-identical results. V's commit in a higher-level group is then, for
//! every emulator, its own pending commit: merged when that group's Delivery Service hands it
//! back, dropped when another commit won. Application data from V goes out as CBAM, sent by
//! any emulator without coordination. The core (`vmls-group`) knows nothing of this.
//!
//! Nesting ([`nest`]): a virtual client can itself be an emulator in another emulation group
//! (devices → person → team → project group); [`EmulationStack`] runs the same emulator code
//! at every level and routes messages between them.
//!
//! ```
//! use vmls_crypto::{SeededPrng, SignatureKeyPair};
//! use vmls_emulation::{Emulator, EmulatorConfig, Event, Request};
//! use vmls_group::group::{CBAM_EXTENSION_TYPE, Group, GroupConfig, KeyPackageParams};
//! use vmls_tree::{Credential, Lifetime};
//!
//! let forever = Lifetime { not_before: 0, not_after: u64::MAX };
//! let mut rng = SeededPrng::from_seed([7; 32]);
//! // A phone alone in its emulation group G (more devices join G by Welcome).
//! let params = KeyPackageParams {
//!     extra_extension_types: vec![CBAM_EXTENSION_TYPE],
//!     ..KeyPackageParams::basic(b"alice phone", forever)
//! };
//! let g = Group::create(b"alice devices", &params, &SignatureKeyPair::generate(&mut rng),
//!     vec![], GroupConfig::default(), &mut rng)?;
//! let mut phone = Emulator::new(g, EmulatorConfig::default());
//! // Announce: create V and two KeyPackages for it.
//! let commit = phone.announce(&[
//!     Request::CreateVirtualClient { vc_id: 1, credential: Credential::Basic(b"alice".as_slice().into()) },
//!     Request::PublishKeyPackages { vc_id: 1, count: 2, lifetime: forever },
//! ], &mut rng)?;
//! // G's Delivery Service accepted the commit and hands it back: the actions run now.
//! let outcome = phone.process_emulation_message(&commit)?;
//! assert!(outcome.own);
//! assert!(matches!(&outcome.events[1], Event::KeyPackages { key_packages, .. } if key_packages.len() == 2));
//! assert_eq!(phone.key_packages(1)?.len(), 2);
//! // The state is one versioned blob.
//! let blob = phone.to_bytes()?;
//! let restored = Emulator::from_bytes(&blob, EmulatorConfig::default())?;
//! assert_eq!(restored.virtual_client_bytes(1)?, phone.virtual_client_bytes(1)?);
//! # Ok::<(), vmls_emulation::EmulatorError>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod announce;
pub mod derive;
mod emulator;
mod error;
pub mod nest;
pub mod provision;
mod state;

pub use announce::{
    AnnounceDetail, AnnouncementError, CommitDetail, CreateVcDetail, JoinDetail, KeyPackagesDetail,
    LeaveDetail, ProposalRequest, ProposeDetail, VC_COMPONENT_ID, VcActionType,
    VirtualClientAction, VirtualClientActions,
};
pub use emulator::{EmulationOutcome, Emulator, EmulatorConfig, Event, Request, message_group_id};
pub use error::{EmulatorError, Store};
pub use nest::{EmulationStack, LevelEvents};
pub use state::EMULATOR_STATE_VERSION;
