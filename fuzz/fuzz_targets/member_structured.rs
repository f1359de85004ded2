//! Structure-aware, stateful (issue 21): a live member (Bob) of a three-member group receives
//! structurally mutated copies of valid messages Alice sent: PublicMessage and PrivateMessage
//! proposals, commits with and without an UpdatePath, commits by value and by reference, and
//! application messages. The group is built once (deterministic `SeededPrng`); each run clones
//! Bob's state before the chosen message.
//!
//! The input (`arbitrary`) picks the seed message and a list of mutations at the decoded-struct
//! level (`common/mutate.rs`). Properties:
//! - rejected: Bob's state blob is byte-identical to before, and the original (valid) message
//!   still processes on that state;
//! - accepted: only if the mutated encoding is byte-identical to the valid message (no
//!   mutation the harness can make yields another valid message: it has no membership key,
//!   no secret-tree key, and re-signs only with a key that is not Alice's). Anything else
//!   accepted is a crash.
#![no_main]
use std::sync::OnceLock;

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use vmls::{
    Add, CommitOptions, Group, GroupConfig, KeyPackageParams, Lifetime, Mls128ChaCha, Proposal,
    PskStore, SeededPrng, SignatureKeyPair, create_key_package,
};
use vmls_codec::Decode;
use vmls_crypto::SignaturePrivateKey;
use vmls_group::{MLSMessage, WireFormat};

#[path = "common/mutate.rs"]
mod mutate;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Handshake,
    Application,
}

struct Seed {
    kind: Kind,
    bob: Group,
    blob: Vec<u8>,
    message: Vec<u8>,
    decoded: MLSMessage,
}

struct World {
    seeds: Vec<Seed>,
    wrong_key: SignaturePrivateKey,
}

const FOREVER: Lifetime = Lifetime {
    not_before: 0,
    not_after: u64::MAX,
};

fn kp(name: &[u8], rng: &mut SeededPrng) -> (vmls::KeyPackage, vmls::KeyPackagePrivate) {
    create_key_package::<Mls128ChaCha, _>(
        &KeyPackageParams::basic(name, FOREVER),
        &SignatureKeyPair::generate(rng),
        rng,
    )
    .expect("key package")
}

fn set_wire_format(g: &mut Group, wf: WireFormat) {
    let mut c = *g.config();
    c.handshake_wire_format = wf;
    g.set_config(c);
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let mut rng = SeededPrng::from_seed([0x21; 32]);
        let mut alice: Group = Group::create(
            b"fuzz member",
            &KeyPackageParams::basic(b"alice", FOREVER),
            &SignatureKeyPair::generate(&mut rng),
            vec![],
            GroupConfig::default(),
            &mut rng,
        )
        .expect("create");
        let (bkp, bkpp) = kp(b"bob", &mut rng);
        let (ckp, _) = kp(b"carol", &mut rng);
        let out = alice
            .commit(
                &CommitOptions {
                    proposals: vec![
                        Proposal::Add(Add {
                            key_package: bkp.clone(),
                        }),
                        Proposal::Add(Add { key_package: ckp }),
                    ],
                    ..CommitOptions::default()
                },
                &mut rng,
            )
            .expect("add bob and carol");
        alice.merge_pending_commit().expect("merge");
        let mut bob: Group = Group::join_from_welcome_bytes(
            out.welcome.as_deref().expect("welcome"),
            &bkp,
            &bkpp,
            None,
            PskStore::new(),
            GroupConfig::default(),
        )
        .expect("bob joins");
        let mut seeds = Vec::new();
        let mut push = |bob: &mut Group, kind: Kind, message: Vec<u8>| {
            let blob = bob.to_bytes().expect("blob");
            let decoded = MLSMessage::decode_exact(&message).expect("valid message decodes");
            seeds.push(Seed {
                kind,
                bob: bob.clone(),
                blob,
                message: message.clone(),
                decoded,
            });
            match kind {
                Kind::Handshake => {
                    bob.process_message(&message).expect("bob processes");
                }
                Kind::Application => {
                    let mut out = [0u8; 256];
                    bob.decrypt_application(&message, &mut out)
                        .expect("bob decrypts");
                }
            }
        };
        let app = |alice: &mut Group, rng: &mut SeededPrng, text: &[u8]| {
            let mut out = vec![0u8; 1024];
            let n = alice
                .encrypt_application(b"ad", text, rng, &mut out)
                .expect("encrypt");
            out.truncate(n);
            out
        };
        // PublicMessage handshakes: an Update proposal, a commit by reference (with path).
        set_wire_format(&mut alice, WireFormat::PublicMessage);
        let (p, _) = alice.propose_update(&mut rng).expect("update");
        push(&mut bob, Kind::Handshake, p);
        let c = alice
            .commit(&CommitOptions::default(), &mut rng)
            .expect("commit");
        alice.merge_pending_commit().expect("merge");
        push(&mut bob, Kind::Handshake, c.commit);
        push(
            &mut bob,
            Kind::Application,
            app(&mut alice, &mut rng, b"hello bob"),
        );
        // A PublicMessage commit by value without path (Add only).
        let (dkp, _) = kp(b"dave", &mut rng);
        let c = alice
            .commit(
                &CommitOptions {
                    proposals: vec![Proposal::Add(Add { key_package: dkp })],
                    force_path: false,
                    ..CommitOptions::default()
                },
                &mut rng,
            )
            .expect("add dave");
        alice.merge_pending_commit().expect("merge");
        push(&mut bob, Kind::Handshake, c.commit);
        // PrivateMessage handshakes: Remove proposal, commit by reference (path), Add proposal,
        // commit by reference without path, an empty commit (path), application messages.
        set_wire_format(&mut alice, WireFormat::PrivateMessage);
        let (p, _) = alice.propose_remove(2, &mut rng).expect("remove carol");
        push(&mut bob, Kind::Handshake, p);
        let c = alice
            .commit(&CommitOptions::default(), &mut rng)
            .expect("commit");
        alice.merge_pending_commit().expect("merge");
        push(&mut bob, Kind::Handshake, c.commit);
        push(
            &mut bob,
            Kind::Application,
            app(&mut alice, &mut rng, b"carol is gone"),
        );
        let (ekp, _) = kp(b"erin", &mut rng);
        let (p, _) = alice.propose_add(ekp, &mut rng).expect("add erin");
        push(&mut bob, Kind::Handshake, p);
        let c = alice
            .commit(
                &CommitOptions {
                    force_path: false,
                    ..CommitOptions::default()
                },
                &mut rng,
            )
            .expect("commit add");
        alice.merge_pending_commit().expect("merge");
        push(&mut bob, Kind::Handshake, c.commit);
        let c = alice
            .commit(&CommitOptions::default(), &mut rng)
            .expect("empty commit");
        alice.merge_pending_commit().expect("merge");
        push(&mut bob, Kind::Handshake, c.commit);
        push(
            &mut bob,
            Kind::Application,
            app(&mut alice, &mut rng, b"last"),
        );
        World {
            seeds,
            wrong_key: SignatureKeyPair::generate(&mut rng).private,
        }
    })
}

fn deliver(bob: &mut Group, kind: Kind, m: &[u8]) -> bool {
    match kind {
        Kind::Handshake => bob.process_message(m).is_ok(),
        Kind::Application => {
            let mut out = [0u8; 2048];
            bob.decrypt_application(m, &mut out).is_ok()
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    let mut u = Unstructured::new(data);
    let Ok(i) = u.choose_index(w.seeds.len()) else {
        return;
    };
    let seed = &w.seeds[i];
    let ctx = mutate::Ctx {
        wrong_key: &w.wrong_key,
        context: seed.bob.context(),
    };
    let Ok(bytes) = mutate::mutate(&mut u, &seed.decoded, &ctx) else {
        return;
    };
    let mut bob = seed.bob.clone();
    if deliver(&mut bob, seed.kind, &bytes) {
        assert_eq!(bytes, seed.message, "a mutated message was accepted");
    } else {
        assert_eq!(
            bob.to_bytes().expect("blob"),
            seed.blob,
            "state changed on rejection"
        );
        assert!(
            deliver(&mut bob, seed.kind, &seed.message),
            "the valid message no longer processes"
        );
    }
    // The other entry point sees the same bytes: never a panic, never a change on error.
    let mut other = seed.bob.clone();
    let kind = if seed.kind == Kind::Handshake {
        Kind::Application
    } else {
        Kind::Handshake
    };
    if !deliver(&mut other, kind, &bytes) {
        assert_eq!(
            other.to_bytes().expect("blob"),
            seed.blob,
            "state changed on rejection"
        );
    }
});
