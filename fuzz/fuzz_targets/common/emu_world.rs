//! A small live emulation world for the stateful fuzz targets (built once, deterministic):
//! Alice's two devices (`e1` announces, `e2` is the device under test) emulate virtual client
//! V (vc_id 1) in the emulation group G; V creates a higher-level group S and adds Bob, a
//! plain RFC 9420 member, who then sends in S. Each step keeps both devices' states before
//! the step and the message, so a target can replay a mutated copy against a clone.
#![allow(dead_code)]

use vmls::{
    Add, CommitOptions, Group, GroupConfig, KeyPackageParams, Lifetime, Mls128ChaCha, Proposal,
    PskStore, SeededPrng, SignatureKeyPair, create_key_package,
};
use vmls_emulation::{Emulator, EmulatorConfig, Event, Request};
use vmls_group::group::CBAM_EXTENSION_TYPE;
use vmls_tree::Credential;

/// V's id in G.
pub const VC: u32 = 1;
/// The higher-level group's id.
pub const S: &[u8] = b"fuzz S";

const FOREVER: Lifetime = Lifetime {
    not_before: 0,
    not_after: u64::MAX,
};

/// Which entry point a step's message goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// A G commit carrying an announcement: `process_emulation_message`.
    GCommit,
    /// A message of S for V: `process_group_message(VC, ..)`.
    VMessage,
}

/// One valid message and the states it applies to.
pub struct Step {
    pub kind: StepKind,
    pub message: Vec<u8>,
    /// The announcing device before the step (for re-announcing a mutated announcement).
    pub e1_before: Emulator,
    /// The device under test before the step.
    pub e2_before: Emulator,
}

pub struct EmuWorld {
    pub steps: Vec<Step>,
    /// The device under test's state blob after all steps.
    pub final_blob: Vec<u8>,
}

fn params(name: &[u8]) -> KeyPackageParams {
    KeyPackageParams {
        extra_extension_types: vec![CBAM_EXTENSION_TYPE],
        ..KeyPackageParams::basic(name, FOREVER)
    }
}

fn outgoing(events: &[Event]) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    events.iter().find_map(|e| match e {
        Event::Outgoing {
            message, welcome, ..
        } => Some((message.clone(), welcome.clone())),
        _ => None,
    })
}

struct Builder {
    rng: SeededPrng,
    e1: Emulator,
    e2: Emulator,
    steps: Vec<Step>,
}

impl Builder {
    /// e1 announces; both devices process the G commit. Returns V's outgoing S message.
    fn announce(&mut self, requests: &[Request]) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
        let (e1_before, e2_before) = (self.e1.clone(), self.e2.clone());
        let c = self.e1.announce(requests, &mut self.rng).expect("announce");
        let o1 = self
            .e1
            .process_emulation_message(&c)
            .expect("e1 processes its announcement");
        let o2 = self
            .e2
            .process_emulation_message(&c)
            .expect("e2 processes the announcement");
        assert_eq!(
            self.e1.virtual_client_bytes(VC).ok(),
            self.e2.virtual_client_bytes(VC).ok(),
            "siblings agree"
        );
        self.steps.push(Step {
            kind: StepKind::GCommit,
            message: c,
            e1_before,
            e2_before,
        });
        outgoing(&o1.events).or_else(|| outgoing(&o2.events))
    }

    /// Both devices receive an S message for V.
    fn v_message(&mut self, m: &[u8]) {
        let (e1_before, e2_before) = (self.e1.clone(), self.e2.clone());
        self.e1
            .process_group_message(VC, m)
            .expect("e1 processes the S message");
        self.e2
            .process_group_message(VC, m)
            .expect("e2 processes the S message");
        self.steps.push(Step {
            kind: StepKind::VMessage,
            message: m.to_vec(),
            e1_before,
            e2_before,
        });
    }
}

/// Builds the world (once per process: call through a `OnceLock`).
pub fn build() -> EmuWorld {
    let mut rng = SeededPrng::from_seed([0xE7; 32]);
    let mut g1: Group = Group::create(
        b"fuzz G",
        &params(b"alice phone"),
        &SignatureKeyPair::generate(&mut rng),
        vec![],
        GroupConfig::default(),
        &mut rng,
    )
    .expect("create G");
    let (kp2, kpp2) = create_key_package::<Mls128ChaCha, _>(
        &params(b"alice laptop"),
        &SignatureKeyPair::generate(&mut rng),
        &mut rng,
    )
    .expect("key package");
    let out = g1
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add {
                    key_package: kp2.clone(),
                })],
                ..CommitOptions::default()
            },
            &mut rng,
        )
        .expect("add laptop");
    g1.merge_pending_commit().expect("merge");
    let g2: Group = Group::join_from_welcome_bytes(
        out.welcome.as_deref().expect("welcome"),
        &kp2,
        &kpp2,
        None,
        PskStore::new(),
        GroupConfig::default(),
    )
    .expect("laptop joins");
    let mut b = Builder {
        rng,
        e1: Emulator::new(g1, EmulatorConfig::default()),
        e2: Emulator::new(g2, EmulatorConfig::default()),
        steps: Vec::new(),
    };
    b.announce(&[
        Request::CreateVirtualClient {
            vc_id: VC,
            credential: Credential::Basic(b"alice".as_slice().into()),
        },
        Request::PublishKeyPackages {
            vc_id: VC,
            count: 2,
            lifetime: FOREVER,
        },
    ]);
    b.announce(&[Request::CreateGroup {
        vc_id: VC,
        group_id: S.to_vec(),
    }]);
    let bob_sig = SignatureKeyPair::generate(&mut b.rng);
    let (bob_kp, bob_kpp) =
        create_key_package::<Mls128ChaCha, _>(&params(b"bob"), &bob_sig, &mut b.rng)
            .expect("bob kp");
    let (add_commit, welcome) = b
        .announce(&[Request::Commit {
            vc_id: VC,
            group_id: S.to_vec(),
            proposals: vec![Proposal::Add(Add {
                key_package: bob_kp.clone(),
            })],
            include_pending: false,
        }])
        .expect("V's commit");
    b.v_message(&add_commit);
    let mut bob: Group = Group::join_from_welcome_bytes(
        welcome.as_deref().expect("welcome for bob"),
        &bob_kp,
        &bob_kpp,
        None,
        PskStore::new(),
        GroupConfig::default(),
    )
    .expect("bob joins S");
    // Bob: a proposal, a commit that covers it (path), an application message, then a
    // PublicMessage commit with path.
    let (p, _) = bob.propose_update(&mut b.rng).expect("bob proposes");
    b.v_message(&p);
    let c = bob
        .commit(
            &CommitOptions {
                include_pending: true,
                ..CommitOptions::default()
            },
            &mut b.rng,
        )
        .expect("bob commits");
    bob.merge_pending_commit().expect("merge");
    b.v_message(&c.commit);
    let mut cfg = *bob.config();
    cfg.handshake_wire_format = vmls_group::WireFormat::PublicMessage;
    bob.set_config(cfg);
    let c = bob
        .commit(
            &CommitOptions {
                force_path: true,
                ..CommitOptions::default()
            },
            &mut b.rng,
        )
        .expect("bob commits (public)");
    bob.merge_pending_commit().expect("merge");
    b.v_message(&c.commit);
    // V commits again (path), echoed back by S's DS.
    let (v_commit, _) = b
        .announce(&[Request::Commit {
            vc_id: VC,
            group_id: S.to_vec(),
            proposals: vec![],
            include_pending: false,
        }])
        .expect("V's second commit");
    b.v_message(&v_commit);
    bob.process_message(&v_commit).expect("bob follows V");
    let final_blob = b.e2.to_bytes().expect("blob");
    EmuWorld {
        steps: b.steps,
        final_blob,
    }
}
