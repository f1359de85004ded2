//! # vmls: MLS (RFC 9420) for small devices
//!
//! The public API of the vmls workspace: one member's state of an MLS group ([`Group`]),
//! key packages, and the building blocks underneath (codec, crypto, ratchet tree, key schedule,
//! secret tree, framing) for those who need them.
//!
//! * Cipher suite 0x0003 (`MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519`) is the default
//!   and fixed at compile time; suite 0x0001 is available with the `suite-1` feature.
//! * `#![no_std]` with `alloc`. Every operation that needs randomness takes a
//!   `rand_core::CryptoRng` from the caller (a device passes its TRNG-backed CSPRNG); given the
//!   same RNG the result is byte-identical.
//! * State is a plain value: [`Group::to_bytes`] / [`Group::from_bytes`] give a versioned blob to
//!   keep in flash. Read `docs/embedding.md` for the persistence rule that prevents key and
//!   nonce reuse after a crash.
//! * Processing is transactional: a rejected message returns a typed [`GroupError`] and leaves
//!   the group unchanged.
//!
//! ## Example: two members, one message each way
//!
//! ```
//! use vmls::{
//!     CommitOptions, Group, GroupConfig, KeyPackageParams, Lifetime, Mls128ChaCha, Proposal,
//!     PskStore, SeededPrng, SignatureKeyPair, create_key_package,
//! };
//!
//! # fn main() -> Result<(), vmls::GroupError> {
//! // Tests use a seeded RNG; a device passes its hardware-backed CSPRNG instead.
//! let mut rng = SeededPrng::from_seed([7; 32]);
//! let forever = Lifetime { not_before: 0, not_after: u64::MAX };
//!
//! // Alice creates a group.
//! let alice_key = SignatureKeyPair::generate(&mut rng);
//! let mut alice: Group = Group::create(
//!     b"kitchen sensors",
//!     &KeyPackageParams::basic(b"alice", forever),
//!     &alice_key,
//!     vec![],
//!     GroupConfig::default(),
//!     &mut rng,
//! )?;
//!
//! // Bob publishes a KeyPackage; Alice adds him and sends him the Welcome.
//! let bob_key = SignatureKeyPair::generate(&mut rng);
//! let (bob_kp, bob_private) = create_key_package::<Mls128ChaCha, _>(
//!     &KeyPackageParams::basic(b"bob", forever),
//!     &bob_key,
//!     &mut rng,
//! )?;
//! let options = CommitOptions {
//!     proposals: vec![Proposal::Add(vmls::Add { key_package: bob_kp.clone() })],
//!     ..CommitOptions::default()
//! };
//! let out = alice.commit(&options, &mut rng)?;
//! alice.merge_pending_commit()?; // once the Delivery Service accepted the commit
//! let welcome = out.welcome.expect("a Welcome for Bob");
//! let mut bob: Group = Group::join_from_welcome_bytes(
//!     &welcome,
//!     &bob_kp,
//!     &bob_private,
//!     None, // the ratchet tree is inside the Welcome
//!     PskStore::new(),
//!     GroupConfig::default(),
//! )?;
//! assert_eq!(alice.epoch_authenticator(), bob.epoch_authenticator());
//!
//! // Application messages go through caller buffers (no heap on this path).
//! let mut wire = [0u8; 256];
//! let n = alice.encrypt_application(b"", b"23.5 C", &mut rng, &mut wire)?;
//! let mut plain = [0u8; 256];
//! let got = bob.decrypt_application(&wire[..n], &mut plain)?;
//! assert_eq!(&plain[..got.len], b"23.5 C");
//!
//! let n = bob.encrypt_application(b"", b"ack", &mut rng, &mut wire)?;
//! let got = alice.decrypt_application(&wire[..n], &mut plain)?;
//! assert_eq!(&plain[..got.len], b"ack");
//!
//! // The state survives a reboot.
//! let blob = bob.to_bytes()?;
//! let restored: Group = Group::from_bytes(&blob)?;
//! assert_eq!(restored.epoch(), bob.epoch());
//! # Ok(())
//! # }
//! ```
//!
//! ## Example: check credentials before a Commit takes effect
//!
//! RFC 9420 section 7.3 leaves validating a new leaf's credential to the application. Stage
//! the message, look at [`StagedMessage::new_leaves`], and merge only if every credential is
//! acceptable; dropping the staged message leaves the group untouched.
//!
//! ```
//! use vmls::{
//!     Add, CommitOptions, Credential, Group, GroupConfig, KeyPackageParams, Lifetime,
//!     Mls128ChaCha, Proposal, PskStore, SeededPrng, SignatureKeyPair, create_key_package,
//! };
//!
//! # fn main() -> Result<(), vmls::GroupError> {
//! let mut rng = SeededPrng::from_seed([9; 32]);
//! let forever = Lifetime { not_before: 0, not_after: u64::MAX };
//! let kp = |name: &[u8], rng: &mut SeededPrng| {
//!     let key = SignatureKeyPair::generate(rng);
//!     create_key_package::<Mls128ChaCha, _>(&KeyPackageParams::basic(name, forever), &key, rng)
//! };
//! let mut alice: Group = Group::create(
//!     b"team",
//!     &KeyPackageParams::basic(b"alice", forever),
//!     &SignatureKeyPair::generate(&mut rng),
//!     vec![],
//!     GroupConfig::default(),
//!     &mut rng,
//! )?;
//! let (bob_kp, bob_private) = kp(b"bob", &mut rng)?;
//! let add = |k| CommitOptions {
//!     proposals: vec![Proposal::Add(Add { key_package: k })],
//!     ..CommitOptions::default()
//! };
//! let out = alice.commit(&add(bob_kp.clone()), &mut rng)?;
//! alice.merge_pending_commit()?;
//! let mut bob: Group = Group::join_from_welcome_bytes(
//!     &out.welcome.unwrap(), &bob_kp, &bob_private, None, PskStore::new(), GroupConfig::default(),
//! )?;
//!
//! // The application's Authentication Service: here, a list of known identities.
//! let known = |c: &Credential| matches!(c, Credential::Basic(id) if id.as_slice() != b"mallory");
//!
//! // Alice adds Mallory. Bob stages the commit and refuses it: nothing changes for him.
//! let (mallory_kp, _) = kp(b"mallory", &mut rng)?;
//! let out = alice.commit(&add(mallory_kp), &mut rng)?;
//! let staged = bob.stage_message(&out.commit)?;
//! let acceptable = staged.new_leaves().iter().all(|l| known(&l.leaf_node.content.credential));
//! assert!(!acceptable);
//! let before = bob.to_bytes()?;
//! drop(staged);
//! assert_eq!(bob.to_bytes()?, before);
//! alice.clear_pending_commit();
//!
//! // Alice adds Carol instead; Bob's check passes and he merges.
//! let (carol_kp, _) = kp(b"carol", &mut rng)?;
//! let out = alice.commit(&add(carol_kp), &mut rng)?;
//! let staged = bob.stage_message(&out.commit)?;
//! assert!(staged.new_leaves().iter().all(|l| known(&l.leaf_node.content.credential)));
//! bob.merge_staged(staged)?;
//! alice.merge_pending_commit()?;
//! assert_eq!(alice.epoch_authenticator(), bob.epoch_authenticator());
//! # Ok(())
//! # }
//! ```
//!
//! ## Example: challenge-based application messages (CBAM)
//!
//! A group that lists [`CBAM_EXTENSION_TYPE`] in its `required_capabilities` can carry CBAMs
//! (draft-kohbrok-mls-virtual-clients-03 section 5.5, wire format 0xF0CB): the key comes from
//! a random challenge in the epoch's challenge-based secret tree instead of a per-sender
//! generation, so several devices sharing one leaf can send without coordination. Each challenge
//! is punctured after use: a replayed CBAM is refused and changes nothing.
//!
//! ```
//! use vmls::{
//!     Add, CBAM_EXTENSION_TYPE, CommitOptions, Group, GroupConfig, GroupError, KeyPackageParams,
//!     Lifetime, Mls128ChaCha, Proposal, PskStore, SeededPrng, SignatureKeyPair,
//!     create_key_package,
//!     group::{ExtensionBody, RequiredCapabilities},
//! };
//!
//! # fn main() -> Result<(), GroupError> {
//! let mut rng = SeededPrng::from_seed([3; 32]);
//! let forever = Lifetime { not_before: 0, not_after: u64::MAX };
//! // Both members advertise the CBAM capability; the group requires it.
//! let params = |name: &[u8]| KeyPackageParams {
//!     extra_extension_types: vec![CBAM_EXTENSION_TYPE],
//!     ..KeyPackageParams::basic(name, forever)
//! };
//! let requires_cbam = RequiredCapabilities {
//!     extension_types: vec![CBAM_EXTENSION_TYPE],
//!     proposal_types: vec![],
//!     credential_types: vec![],
//! }
//! .to_extension()?;
//! let mut alice: Group = Group::create(
//!     b"cbam demo", &params(b"alice"), &SignatureKeyPair::generate(&mut rng),
//!     vec![requires_cbam], GroupConfig::default(), &mut rng,
//! )?;
//! let bob_key = SignatureKeyPair::generate(&mut rng);
//! let (bob_kp, bob_private) =
//!     create_key_package::<Mls128ChaCha, _>(&params(b"bob"), &bob_key, &mut rng)?;
//! let add = CommitOptions {
//!     proposals: vec![Proposal::Add(Add { key_package: bob_kp.clone() })],
//!     ..CommitOptions::default()
//! };
//! let out = alice.commit(&add, &mut rng)?;
//! alice.merge_pending_commit()?;
//! let welcome = out.welcome.expect("a Welcome for Bob");
//! let mut bob: Group = Group::join_from_welcome_bytes(
//!     &welcome, &bob_kp, &bob_private, None, PskStore::new(), GroupConfig::default(),
//! )?;
//! assert!(alice.cbam_enabled() && bob.cbam_enabled());
//!
//! // Alice sends a CBAM into a caller buffer of the exact length.
//! let mut wire = vec![0u8; alice.cbam_message_len(0, 5)];
//! let n = alice.encrypt_cbam(b"", b"hello", &mut rng, &mut wire)?;
//! // The output buffer holds the whole decrypted content (signature and padding too) while
//! // it is checked; the message's length is always enough.
//! let mut plain = vec![0u8; n];
//! let got = bob.decrypt_cbam(&wire[..n], &mut plain)?;
//! assert_eq!(&plain[..got.len], b"hello");
//! assert_eq!(got.sender, alice.own_leaf_index());
//!
//! // The same bytes again: the challenge is punctured, Bob's state does not change.
//! let before = bob.to_bytes()?;
//! assert!(bob.decrypt_cbam(&wire[..n], &mut plain).is_err());
//! assert_eq!(bob.to_bytes()?, before);
//! # Ok(())
//! # }
//! ```
#![no_std]
#![forbid(unsafe_code)]

/// The README's Rust example, compiled and run as a doctest so it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

pub use vmls_cbst as cbst;
pub use vmls_codec as codec;
pub use vmls_crypto as crypto;
pub use vmls_group as group;
pub use vmls_keyschedule as keyschedule;
pub use vmls_secret_tree as secret_tree;
pub use vmls_tree as tree;

pub use vmls_cbst::{ChallengeLevel, GroupChallengeContext};
#[cfg(feature = "suite-1")]
pub use vmls_crypto::Mls128Aes;
pub use vmls_crypto::{
    CipherSuite, CryptoRng, Mls128ChaCha, SeededPrng, SignatureKeyPair, SignaturePrivateKey,
};
pub use vmls_group::group::{
    CBAM_EXTENSION_TYPE, CommitOptions, CommitOutput, CommitSummary, DefaultProposalPolicy,
    DroppedProposal, ExternalJoinOptions, ExternalProposer, Group, GroupConfig, GroupError,
    GroupStatus, KeyPackageParams, KeyPackagePrivate, LatePolicy, LinkError, NewLeaf,
    NewLeafSource, ProcessedMessage, ProposalPolicy, PskStore, ReceivedCbam,
    RejectExternalProposals, StagedMessage, StagedWelcome, create_key_package,
    validate_key_package,
};
pub use vmls_group::{Add, KeyPackage, Proposal, Remove};
pub use vmls_tree::{Credential, Lifetime};
