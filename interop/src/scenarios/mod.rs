//! The scenarios. A new scenario is one file here plus one line in [`ALL`].
use crate::harness::{Ctx, Done};

mod add_remove;
mod app;
mod app_padded;
mod by_reference;
mod external_join;
mod external_psk;
mod gce_required;
mod private_handshake;
mod reject_missing_capability;
mod reject_removed;
mod resync;
mod self_update;
mod virtual_client;
mod welcome_oob;
mod welcome_tree;

/// A scenario: a name (the matrix column), what it checks, and the run.
pub struct Scenario {
    /// Short name.
    pub name: &'static str,
    /// One line on what it checks.
    pub about: &'static str,
    /// Runs it for the implementations in `ctx.kinds`; a failure is an `Err`.
    pub run: fn(&Ctx) -> Result<Done, String>,
}

/// Every scenario, in matrix order.
pub const ALL: &[Scenario] = &[
    welcome_tree::SCENARIO,
    welcome_oob::SCENARIO,
    external_join::SCENARIO,
    resync::SCENARIO,
    app::SCENARIO,
    app_padded::SCENARIO,
    private_handshake::SCENARIO,
    self_update::SCENARIO,
    add_remove::SCENARIO,
    by_reference::SCENARIO,
    external_psk::SCENARIO,
    gce_required::SCENARIO,
    reject_removed::SCENARIO,
    reject_missing_capability::SCENARIO,
    virtual_client::SCENARIO,
];
