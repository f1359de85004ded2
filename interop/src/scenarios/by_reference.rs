//! Proposals by reference: one member proposes, another commits.
use super::Scenario;
use crate::harness::{Ctx, Done, setup3};
use crate::party::{CommitRequest, PartyConfig};

pub const SCENARIO: Scenario = Scenario {
    name: "by-reference",
    about: "A proposes Add(D), B commits; B proposes Remove(D), C commits; Updates by A and B, C commits",
    run,
};

fn by_ref() -> CommitRequest {
    CommitRequest {
        by_reference: true,
        ..CommitRequest::update()
    }
}

fn run(ctx: &Ctx) -> Result<Done, String> {
    let cfg = PartyConfig::default();
    let mut net = setup3(ctx, &cfg)?;
    // A proposes adding D; B commits it.
    let mut d = ctx.extra(ctx.kinds[2], "D", &cfg)?;
    let kp = d.p.key_package()?;
    ctx.consume(&kp);
    let prop = net.m[0]
        .p
        .propose_add(&kp)
        .map_err(|e| format!("A propose add: {e}"))?;
    net.deliver(0, &prop)?;
    let added = net.commit_welcome(1, &by_ref(), vec![d], false)?;
    let d = added[0];
    net.chat("with D")?;
    // B proposes removing D; C commits it.
    let leaf = net.leaf(d)?;
    let prop = net.m[1]
        .p
        .propose_remove(leaf)
        .map_err(|e| format!("B propose remove: {e}"))?;
    net.deliver(1, &prop)?;
    net.commit_agree(2, &by_ref())?;
    if net.m[d].active {
        return Err("D did not see its removal".into());
    }
    // A and B propose Updates; C commits both.
    for by in [0, 1] {
        let prop = net.m[by]
            .p
            .propose_update()
            .map_err(|e| format!("{} propose update: {e}", net.m[by].name))?;
        net.deliver(by, &prop)?;
    }
    net.commit_agree(2, &by_ref())?;
    net.chat("after updates")?;
    // And the other way round: C proposes an Update, A commits.
    let prop = net.m[2].p.propose_update()?;
    net.deliver(2, &prop)?;
    net.commit_agree(0, &by_ref())?;
    Ok(Done::Pass)
}
