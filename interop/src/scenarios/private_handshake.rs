//! Handshake messages (proposals, commits) as PrivateMessage.
use super::Scenario;
use crate::harness::{B, C, Ctx, Done, setup3, wire_format};
use crate::party::{CommitRequest, Feature, PartyConfig};

pub const SCENARIO: Scenario = Scenario {
    name: "private-handshake",
    about: "commits and proposals as PrivateMessage: updates by all, add and remove, a proposal",
    run,
};

fn run(ctx: &Ctx) -> Result<Done, String> {
    if let Err(skip) = ctx.require(Feature::PrivateHandshake) {
        return Ok(skip);
    }
    let cfg = PartyConfig {
        handshake_private: true,
        padding: true,
        ..PartyConfig::default()
    };
    let mut net = setup3(ctx, &cfg)?;
    for by in 0..3 {
        net.commit_agree(by, &CommitRequest::update())?;
    }
    let d = ctx.extra(ctx.kinds[C], "D", &cfg)?;
    let added = net.add(B, vec![d])?;
    let leaf = net.leaf(added[0])?;
    let prop = net.m[C].p.propose_remove(leaf)?;
    if wire_format(&prop) != "PrivateMessage" {
        return Err(format!(
            "{}'s proposal is a {}",
            net.m[C].name,
            wire_format(&prop)
        ));
    }
    net.deliver(C, &prop)?;
    net.commit_agree(
        0,
        &CommitRequest {
            by_reference: true,
            ..CommitRequest::update()
        },
    )?;
    net.chat("private handshake")?;
    Ok(Done::Pass)
}
