//! Application messages with padding (each implementation pads its own way).
use super::Scenario;
use crate::harness::{Ctx, Done, setup3};
use crate::party::{CommitRequest, Feature, PartyConfig};

pub const SCENARIO: Scenario = Scenario {
    name: "app-padded",
    about: "application messages in every direction with PrivateMessage padding",
    run,
};

fn run(ctx: &Ctx) -> Result<Done, String> {
    if let Err(skip) = ctx.require(Feature::Padding) {
        return Ok(skip);
    }
    let cfg = PartyConfig {
        padding: true,
        ..PartyConfig::default()
    };
    let mut net = setup3(ctx, &cfg)?;
    net.chat("padded")?;
    net.commit_agree(1, &CommitRequest::update())?;
    net.chat("padded again")?;
    Ok(Done::Pass)
}
