//! External join: A creates and adds C; B joins by external commit from A's GroupInfo.
use super::Scenario;
use crate::harness::{A, B, C, Ctx, Done, Net};
use crate::party::{CommitRequest, PartyConfig};

pub const SCENARIO: Scenario = Scenario {
    name: "external-join",
    about: "B joins by external commit from A's GroupInfo (A and C process it), then C updates",
    run,
};

fn run(ctx: &Ctx) -> Result<Done, String> {
    let cfg = PartyConfig::default();
    let mut net = Net::create(ctx, ctx.party(A, &cfg)?)?;
    net.add(0, vec![ctx.party(C, &cfg)?])?;
    let gi = net.m[0]
        .p
        .group_info()
        .map_err(|e| format!("A group info: {e}"))?;
    ctx.consume(&gi);
    let mut b = ctx.party(B, &cfg)?;
    let commit =
        b.p.join_external(&gi, None)
            .map_err(|e| format!("{} external join: {e}", b.name))?;
    b.active = true;
    net.m.push(b);
    let joiner = net.m.len() - 1;
    net.deliver(joiner, &commit)?;
    net.agree()?;
    net.chat("external")?;
    net.commit_agree(1, &CommitRequest::update())?;
    net.chat("after update")?;
    Ok(Done::Pass)
}
