//! The implementations under test. A new peer is one file here plus one line in [`KINDS`] and
//! [`make`].
pub mod mlsrs;
pub mod openmls;
pub mod vmls;

use crate::party::{Party, PartyConfig, Res};

/// Every implementation, in matrix order.
pub const KINDS: &[&str] = &["vmls", "openmls", "mls-rs"];

/// A new client of implementation `kind` named `identity`; `seed` is for implementations whose
/// randomness the caller supplies.
pub fn make(kind: &str, identity: &[u8], config: &PartyConfig, seed: u64) -> Res<Box<dyn Party>> {
    match kind {
        "vmls" => Ok(Box::new(vmls::VmlsParty::new(identity, config, seed))),
        "openmls" => Ok(Box::new(openmls::OpenMlsParty::new(identity, config)?)),
        "mls-rs" => mlsrs::new_party(identity, config),
        _ => Err(format!("unknown implementation {kind}")),
    }
}
