//! A member whose KeyPackage lacks a required capability is rejected by every implementation.
use super::Scenario;
use crate::harness::{B, Ctx, Done, setup3};
use crate::party::{CommitRequest, INTEROP_EXT, PartyConfig};

pub const SCENARIO: Scenario = Scenario {
    name: "reject-missing-cap",
    about: "required_capabilities 0xff0a; D (B's kind) without it: no member adds it, its external join is refused; a conforming D' is added",
    run,
};

fn run(ctx: &Ctx) -> Result<Done, String> {
    let cfg = PartyConfig::default();
    let mut net = setup3(ctx, &cfg)?;
    let req = CommitRequest {
        required_extensions: Some(vec![INTEROP_EXT]),
        ..CommitRequest::update()
    };
    net.commit_agree(0, &req)?;
    let lacking = PartyConfig {
        extension_types: vec![],
        ..PartyConfig::default()
    };
    let mut d = ctx.extra(ctx.kinds[B], "D", &lacking)?;
    // Every member refuses to commit the Add (and stays usable).
    for by in 0..3 {
        let kp = d.p.key_package()?;
        if let Ok(out) = net.m[by].p.commit(&CommitRequest::add(vec![kp])) {
            // The committer accepted it; its peers must still reject the commit.
            let _ = out;
            return Err(format!(
                "{} committed an Add of a KeyPackage without the required capability",
                net.m[by].name
            ));
        }
        net.commit_agree(by, &CommitRequest::update())?;
    }
    // D's external join: either D's implementation refuses, or every member rejects the commit.
    let gi = net.m[0].p.group_info()?;
    if let Ok(commit) = d.p.join_external(&gi, None) {
        for i in 0..3 {
            if let Ok(r) = net.m[i].p.process(&commit) {
                return Err(format!(
                    "{} accepted the external join of a client without the required capability: {r:?}",
                    net.m[i].name
                ));
            }
        }
    }
    // A conforming client of the same kind is accepted.
    let d2 = ctx.extra(ctx.kinds[B], "D'", &cfg)?;
    net.add(2, vec![d2])?;
    net.chat("after rejections")?;
    Ok(Done::Pass)
}
