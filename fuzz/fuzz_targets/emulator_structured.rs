//! Structure-aware, stateful (issue 21): an emulator client (Alice's laptop, emulating
//! virtual client V together with her phone) receives mutated copies of the valid messages
//! of a live world (`common/emu_world.rs`, built once): G commits carrying announcements, and
//! V's higher-level messages in S (V's own commits echoed by S's Delivery Service, Bob's
//! proposal and commits as PrivateMessage and PublicMessage). Each run clones the prepared
//! states.
//!
//! Three kinds of input, chosen by `arbitrary`:
//! 1. a G commit or an S message mutated at the decoded-struct level (`common/mutate.rs`):
//!    rejected -> the emulator blob is byte-identical and the valid message still processes;
//!    accepted -> only the byte-identical valid message, or (S messages) a message the
//!    emulator only buffers (`Event::Buffered`, its documented wait for an announcement);
//! 2. a G commit with a *structurally mutated announcement* (actions dropped, duplicated,
//!    swapped; vc_id, action type, target group or detail changed; an empty list; raw bytes),
//!    signed and encrypted with the announcing device's right keys: a well-formed G commit
//!    from a real member. It may be accepted (the announcement may be valid), but then both
//!    devices must agree: the announcer processing its own commit accepts it too, and both
//!    hold byte-identical V state and the same G epoch; rejected -> the device's blob is
//!    unchanged, the announcer rejects it too, and the valid commit still processes.
#![no_main]
use std::sync::OnceLock;

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use vmls::{CommitOptions, SeededPrng, SignatureKeyPair};
use vmls_codec::Decode;
use vmls_crypto::SignaturePrivateKey;
use vmls_emulation::{Emulator, Event, VcActionType, VirtualClientActions};
use vmls_group::{MLSMessage, MLSMessageBody};

#[path = "common/emu_world.rs"]
mod emu_world;
#[path = "common/mutate.rs"]
mod mutate;

use emu_world::{StepKind, VC};

struct World {
    world: emu_world::EmuWorld,
    decoded: Vec<MLSMessage>,
    blobs: Vec<Vec<u8>>,
    wrong_key: SignaturePrivateKey,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let world = emu_world::build();
        let decoded = world
            .steps
            .iter()
            .map(|s| MLSMessage::decode_exact(&s.message).expect("valid message decodes"))
            .collect();
        let blobs = world
            .steps
            .iter()
            .map(|s| s.e2_before.to_bytes().expect("blob"))
            .collect();
        let mut rng = SeededPrng::from_seed([0x99; 32]);
        World {
            world,
            decoded,
            blobs,
            wrong_key: SignatureKeyPair::generate(&mut rng).private,
        }
    })
}

fn deliver(e: &mut Emulator, kind: StepKind, m: &[u8]) -> std::result::Result<Vec<Event>, ()> {
    match kind {
        StepKind::GCommit => e
            .process_emulation_message(m)
            .map(|o| o.events)
            .map_err(|_| ()),
        StepKind::VMessage => e.process_group_message(VC, m).map_err(|_| ()),
    }
}

const ACTIONS: [VcActionType; 8] = [
    VcActionType::CreateVc,
    VcActionType::KeyPackages,
    VcActionType::JoinGroup,
    VcActionType::Commit,
    VcActionType::LeaveGroup,
    VcActionType::Provision,
    VcActionType::Propose,
    VcActionType::CreateGroup,
];

fn mutate_actions(
    u: &mut Unstructured<'_>,
    a: &mut VirtualClientActions,
) -> Result<Option<Vec<u8>>> {
    let n = a.actions.len();
    let rounds = u.int_in_range(1u8..=3)?;
    for _ in 0..rounds {
        match u.int_in_range(0u8..=9)? {
            0 if n > 0 => {
                let i = u.choose_index(a.actions.len().max(1))?;
                if i < a.actions.len() {
                    a.actions.remove(i);
                }
            }
            1 if !a.actions.is_empty() => {
                let i = u.choose_index(a.actions.len())?;
                let x = a.actions[i].clone();
                a.actions.insert(i, x);
            }
            2 if a.actions.len() > 1 => {
                let (i, j) = (
                    u.choose_index(a.actions.len())?,
                    u.choose_index(a.actions.len())?,
                );
                a.actions.swap(i, j);
            }
            3 if !a.actions.is_empty() => {
                let i = u.choose_index(a.actions.len())?;
                a.actions[i].vc_id = u.int_in_range(0..=3)?;
            }
            4 if !a.actions.is_empty() => {
                let i = u.choose_index(a.actions.len())?;
                a.actions[i].action = *u.choose(&ACTIONS)?;
            }
            5 if !a.actions.is_empty() => {
                let i = u.choose_index(a.actions.len())?;
                a.actions[i].target_group_id = match u.int_in_range(0u8..=3)? {
                    0 => emu_world::S.to_vec(),
                    1 => b"fuzz G".to_vec(),
                    2 => Vec::new(),
                    _ => u.arbitrary()?,
                };
            }
            6 if !a.actions.is_empty() => {
                let i = u.choose_index(a.actions.len())?;
                let d = &mut a.actions[i].detail;
                match u.int_in_range(0u8..=2)? {
                    0 if !d.is_empty() => {
                        let k = u.choose_index(d.len())?;
                        d[k] ^= u.arbitrary::<u8>()? | 1;
                    }
                    1 => {
                        let k = u.choose_index(d.len() + 1)?;
                        d.truncate(k);
                    }
                    _ => d.push(u.arbitrary()?),
                }
            }
            7 => a.actions.clear(),
            8 => return Ok(Some(u.arbitrary()?)),
            _ => {}
        }
    }
    Ok(a.to_authenticated_data().ok())
}

fn commit_aad(m: &MLSMessage) -> Option<&[u8]> {
    match &m.body {
        MLSMessageBody::PrivateMessage(pm) => Some(&pm.authenticated_data.0),
        MLSMessageBody::PublicMessage(pm) => Some(&pm.content.authenticated_data.0),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    let mut u = Unstructured::new(data);
    let Ok(i) = u.choose_index(w.world.steps.len()) else {
        return;
    };
    let step = &w.world.steps[i];
    let reannounce = step.kind == StepKind::GCommit && u.arbitrary::<bool>().unwrap_or(false);
    let mut e2 = step.e2_before.clone();
    if !reannounce {
        let context = match step.kind {
            StepKind::GCommit => step.e2_before.emulation_group().context(),
            StepKind::VMessage => match step.e2_before.vc_group(VC, emu_world::S) {
                Ok(g) => g.context(),
                Err(_) => step.e2_before.emulation_group().context(),
            },
        };
        let ctx = mutate::Ctx {
            wrong_key: &w.wrong_key,
            context,
        };
        let Ok(bytes) = mutate::mutate(&mut u, &w.decoded[i], &ctx) else {
            return;
        };
        match deliver(&mut e2, step.kind, &bytes) {
            Ok(events) => {
                let buffered = step.kind == StepKind::VMessage
                    && !events.is_empty()
                    && events.iter().all(|e| matches!(e, Event::Buffered { .. }));
                assert!(
                    bytes == step.message || buffered,
                    "a mutated message was accepted: {events:?}"
                );
            }
            Err(()) => {
                assert_eq!(
                    e2.to_bytes().expect("blob"),
                    w.blobs[i],
                    "state changed on rejection"
                );
                assert!(
                    deliver(&mut e2, step.kind, &step.message).is_ok(),
                    "the valid message no longer processes"
                );
            }
        }
        return;
    }
    // A mutated announcement in a well-formed G commit from the announcing device.
    let Some(aad) = commit_aad(&w.decoded[i]) else {
        return;
    };
    let Ok(Some(mut actions)) = VirtualClientActions::from_authenticated_data(aad) else {
        return;
    };
    let Ok(Some(new_aad)) = mutate_actions(&mut u, &mut actions) else {
        return;
    };
    let mut e1 = step.e1_before.clone();
    let mut rng = SeededPrng::from_seed([0x31; 32]);
    let Ok(out) = e1.emulation_group_mut().commit(
        &CommitOptions {
            authenticated_data: new_aad,
            ..CommitOptions::default()
        },
        &mut rng,
    ) else {
        return;
    };
    let r2 = e2.process_emulation_message(&out.commit);
    let r1 = e1.process_emulation_message(&out.commit);
    assert_eq!(
        r1.is_ok(),
        r2.is_ok(),
        "the devices disagree: announcer {r1:?}, sibling {r2:?}"
    );
    if r2.is_ok() {
        assert_eq!(
            e1.virtual_client_bytes(VC).ok(),
            e2.virtual_client_bytes(VC).ok(),
            "V differs"
        );
        assert_eq!(
            e1.emulation_group().epoch_authenticator(),
            e2.emulation_group().epoch_authenticator(),
            "G differs"
        );
    } else {
        assert_eq!(
            e2.to_bytes().expect("blob"),
            w.blobs[i],
            "state changed on rejection"
        );
        assert!(
            e2.process_emulation_message(&step.message).is_ok(),
            "the valid commit no longer processes"
        );
    }
});
