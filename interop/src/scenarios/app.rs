//! Application messages (PrivateMessage, no padding) from every member to every other one.
use super::Scenario;
use crate::harness::{Ctx, Done, setup3};
use crate::party::{CommitRequest, PartyConfig};

pub const SCENARIO: Scenario = Scenario {
    name: "app",
    about: "application messages in every direction, no padding, over two epochs",
    run,
};

fn run(ctx: &Ctx) -> Result<Done, String> {
    let cfg = PartyConfig::default();
    let mut net = setup3(ctx, &cfg)?;
    net.chat("one")?;
    net.chat("two")?;
    net.commit_agree(2, &CommitRequest::update())?;
    net.chat("three")?;
    Ok(Done::Pass)
}
