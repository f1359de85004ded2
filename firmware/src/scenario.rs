//! What the host generator (build.rs) and the firmware agree on: identities, seeds, the group's
//! parameters. Included by both (`#[path]`), so it uses `alloc` only.
use alloc::vec;
use alloc::vec::Vec;

use vmls::group::{ExtensionBody, RequiredCapabilities};
use vmls::tree::Extension;
use vmls::{
    CBAM_EXTENSION_TYPE, GroupConfig, GroupError, KeyPackage, KeyPackageParams, KeyPackagePrivate,
    Lifetime, Mls128ChaCha, SeededPrng, SignatureKeyPair, create_key_package,
};

/// The group's id.
pub const GROUP_ID: &[u8] = b"vmls firmware";
/// Seed of the device's key material: the host derives the same KeyPackage to add it.
pub const DEVICE_SEED: [u8; 32] = [0xD0; 32];

/// The RNG seed of the peer (member 0) that builds a group of `n` members.
pub fn peer_seed(n: u32) -> [u8; 32] {
    let mut s = [0xA0; 32];
    s[..4].copy_from_slice(&n.to_le_bytes());
    s
}

/// Limits for a small device: up to 128 members, a 64-node CBST (3 KiB), one past epoch kept.
pub fn config() -> GroupConfig {
    GroupConfig {
        max_members: 128,
        max_message_size: 256 * 1024,
        max_past_epochs: 1,
        max_pending_proposals: 16,
        max_resumption_psks: 2,
        cbst_max_nodes: 64,
        ..GroupConfig::default()
    }
}

/// KeyPackage parameters: a basic credential, CBAM in the capabilities.
pub fn params(identity: &[u8]) -> KeyPackageParams {
    KeyPackageParams {
        extra_extension_types: vec![CBAM_EXTENSION_TYPE],
        ..KeyPackageParams::basic(
            identity,
            Lifetime {
                not_before: 0,
                not_after: u64::MAX,
            },
        )
    }
}

/// The group's extensions: CBAM is a required capability.
pub fn group_extensions() -> Result<Vec<Extension>, GroupError> {
    let req = RequiredCapabilities {
        extension_types: vec![CBAM_EXTENSION_TYPE],
        proposal_types: vec![],
        credential_types: vec![],
    };
    Ok(vec![req.to_extension()?])
}

/// The device's signature key pair and KeyPackage, from [`DEVICE_SEED`].
pub fn device_key_package() -> Result<(KeyPackage, KeyPackagePrivate), GroupError> {
    let mut rng = SeededPrng::from_seed(DEVICE_SEED);
    let key = SignatureKeyPair::generate(&mut rng);
    create_key_package::<Mls128ChaCha, _>(&params(b"device"), &key, &mut rng)
}
