//! Resync: B loses its state and rejoins by external commit that removes its old leaf.
use super::Scenario;
use crate::harness::{B, Ctx, Done, setup3};
use crate::party::{CommitRequest, PartyConfig};

pub const SCENARIO: Scenario = Scenario {
    name: "resync",
    about: "B loses its state and rejoins by external commit (GroupInfo from C) removing its old leaf",
    run,
};

fn run(ctx: &Ctx) -> Result<Done, String> {
    let cfg = PartyConfig::default();
    let mut net = setup3(ctx, &cfg)?;
    let old_leaf = net.leaf(B)?;
    net.m[B].p.forget_group();
    net.m[B].active = false;
    let gi = net.m[2]
        .p
        .group_info()
        .map_err(|e| format!("C group info: {e}"))?;
    ctx.consume(&gi);
    let commit = net.m[B]
        .p
        .join_external(&gi, Some(old_leaf))
        .map_err(|e| format!("{} resync: {e}", net.m[B].name))?;
    net.m[B].active = true;
    net.deliver(B, &commit)?;
    net.agree()?; // includes: 3 members in every tree (the old leaf is gone)
    net.chat("resync")?;
    net.commit_agree(0, &CommitRequest::update())?;
    Ok(Done::Pass)
}
