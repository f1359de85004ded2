//! A commit that removes the receiver.
use super::Scenario;
use crate::harness::{Ctx, Done, setup3};
use crate::party::{CommitRequest, PartyConfig, Received};

pub const SCENARIO: Scenario = Scenario {
    name: "reject-removed",
    about: "A removes B, then C removes A: each sees itself removed and cannot read what follows",
    run,
};

fn run(ctx: &Ctx) -> Result<Done, String> {
    let mut net = setup3(ctx, &PartyConfig::default())?;
    for (by, victim) in [(0usize, 1usize), (2, 0)] {
        let leaf = net.leaf(victim)?;
        let out = net.m[by]
            .p
            .commit(&CommitRequest::remove(vec![leaf]))
            .map_err(|e| format!("{} commit: {e}", net.m[by].name))?;
        let got = net.deliver(by, &out.commit)?;
        net.m[by].p.merge_pending_commit()?;
        let seen = got
            .iter()
            .find(|(i, _)| *i == victim)
            .map(|(_, r)| r.clone());
        if seen != Some(Received::Commit { self_removed: true }) {
            return Err(format!(
                "{} processed its removal as {seen:?}",
                net.m[victim].name
            ));
        }
        net.agree()?;
    }
    // C adds D; D reads C's next message, the removed members cannot.
    let d = ctx.extra(ctx.kinds[1], "D", &PartyConfig::default())?;
    let added = net.add(2, vec![d])?;
    let msg = net.m[2].p.send_application(b"after removals")?;
    ctx.consume(&msg);
    let got = net.m[added[0]].p.process(&msg)?;
    if got != Received::Application(b"after removals".to_vec()) {
        return Err(format!("D got {got:?}"));
    }
    for victim in [0, 1] {
        if let Ok(r) = net.m[victim].p.process(&msg) {
            return Err(format!(
                "removed {} still processed a new message: {r:?}",
                net.m[victim].name
            ));
        }
    }
    Ok(Done::Pass)
}
