//! External PSK injected by each member's commit.
use super::Scenario;
use crate::harness::{Ctx, Done, setup3};
use crate::party::{CommitRequest, Feature, PartyConfig};

pub const SCENARIO: Scenario = Scenario {
    name: "external-psk",
    about: "A, B and C each commit an external PSK proposal (every member holds the PSK)",
    run,
};

fn run(ctx: &Ctx) -> Result<Done, String> {
    if let Err(skip) = ctx.require(Feature::ExternalPsk) {
        return Ok(skip);
    }
    let mut net = setup3(ctx, &PartyConfig::default())?;
    let id = b"interop psk".to_vec();
    for m in &mut net.m {
        m.p.add_external_psk(&id, &[0x42; 32])?;
    }
    for by in 0..3 {
        let req = CommitRequest {
            external_psks: vec![id.clone()],
            ..CommitRequest::update()
        };
        net.commit_agree(by, &req)?;
    }
    net.chat("psk")?;
    Ok(Done::Pass)
}
