//! Add and Remove by each member: X adds a new member, the next member removes it.
use super::Scenario;
use crate::harness::{Ctx, Done, setup3};
use crate::party::{CommitRequest, PartyConfig};

pub const SCENARIO: Scenario = Scenario {
    name: "add-remove",
    about: "each of A, B, C adds a new member (of the next role's kind); the next member removes it",
    run,
};

fn run(ctx: &Ctx) -> Result<Done, String> {
    let cfg = PartyConfig::default();
    let mut net = setup3(ctx, &cfg)?;
    for by in 0..3 {
        let next = (by + 1) % 3;
        let d = ctx.extra(ctx.kinds[next], &format!("D{by}"), &cfg)?;
        let added = net.add(by, vec![d])?;
        net.chat("with D")?;
        let leaf = net.leaf(added[0])?;
        net.commit_agree(next, &CommitRequest::remove(vec![leaf]))?;
        if net.m[added[0]].active {
            return Err(format!("{} did not see its removal", net.m[added[0]].name));
        }
    }
    net.chat("after removes")?;
    Ok(Done::Pass)
}
