//! GroupContextExtensions with `required_capabilities`.
use super::Scenario;
use crate::harness::{Ctx, Done, setup3};
use crate::party::{CommitRequest, INTEROP_EXT, PartyConfig};

pub const SCENARIO: Scenario = Scenario {
    name: "gce-required-caps",
    about: "A commits GroupContextExtensions(required_capabilities: 0xff0a); B adds a conforming D; C updates",
    run,
};

fn run(ctx: &Ctx) -> Result<Done, String> {
    let cfg = PartyConfig::default();
    let mut net = setup3(ctx, &cfg)?;
    let req = CommitRequest {
        required_extensions: Some(vec![INTEROP_EXT]),
        ..CommitRequest::update()
    };
    net.commit_agree(0, &req)?;
    let d = ctx.extra(ctx.kinds[2], "D", &cfg)?;
    net.add(1, vec![d])?;
    net.commit_agree(2, &CommitRequest::update())?;
    // B replaces the extensions again (B's implementation writes the proposal this time).
    let req = CommitRequest {
        required_extensions: Some(vec![]),
        ..CommitRequest::update()
    };
    net.commit_agree(1, &req)?;
    net.chat("gce")?;
    Ok(Done::Pass)
}
