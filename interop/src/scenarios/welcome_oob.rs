//! Join by Welcome with the ratchet tree out of band: A adds B, B adds C.
use super::Scenario;
use crate::harness::{A, B, C, Ctx, Done, Net};
use crate::party::{CommitRequest, PartyConfig};

pub const SCENARIO: Scenario = Scenario {
    name: "welcome-oob",
    about: "A adds B, then B adds C, by Welcome without the tree; the tree goes out of band",
    run,
};

fn run(ctx: &Ctx) -> Result<Done, String> {
    let cfg = PartyConfig::default();
    let mut net = Net::create(ctx, ctx.party(A, &cfg)?)?;
    for (by, role) in [(0, B), (1, C)] {
        let mut j = ctx.party(role, &cfg)?;
        let kp = j.p.key_package()?;
        let req = CommitRequest {
            tree_in_welcome: false,
            ..CommitRequest::add(vec![kp])
        };
        net.commit_welcome(by, &req, vec![j], true)?;
    }
    net.chat("welcome-oob")?;
    Ok(Done::Pass)
}
