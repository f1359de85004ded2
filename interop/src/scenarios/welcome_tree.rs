//! Join by Welcome with the ratchet tree in the `ratchet_tree` extension: A adds B, B adds C.
use super::Scenario;
use crate::harness::{A, B, C, Ctx, Done, Net};
use crate::party::PartyConfig;

pub const SCENARIO: Scenario = Scenario {
    name: "welcome-tree",
    about: "A adds B, then B adds C, by Welcome with the tree in the ratchet_tree extension",
    run,
};

fn run(ctx: &Ctx) -> Result<Done, String> {
    let cfg = PartyConfig::default();
    let mut net = Net::create(ctx, ctx.party(A, &cfg)?)?;
    net.add(0, vec![ctx.party(B, &cfg)?])?;
    net.add(1, vec![ctx.party(C, &cfg)?])?;
    net.chat("welcome")?;
    Ok(Done::Pass)
}
