//! Self-update commits (empty commit with an UpdatePath) by each member.
use super::Scenario;
use crate::harness::{Ctx, Done, setup3};
use crate::party::{CommitRequest, PartyConfig};

pub const SCENARIO: Scenario = Scenario {
    name: "self-update",
    about: "A, B and C each commit a self-update (UpdatePath), twice around",
    run,
};

fn run(ctx: &Ctx) -> Result<Done, String> {
    let mut net = setup3(ctx, &PartyConfig::default())?;
    for by in [0, 1, 2, 2, 1, 0] {
        net.commit_agree(by, &CommitRequest::update())?;
    }
    net.chat("updated")?;
    Ok(Done::Pass)
}
