//! vmls on a Cortex-M4F (QEMU `mps2-an386`): one device takes part in MLS groups of 2, 16 and
//! 128 members and prints what each operation costs over semihosting (.ci/qemu.sh runs it).
//!
//! Per group size n, with the peer (member 0) on the target too so every message is checked:
//! * n = 2: the peer creates the group (CBAM required) and adds the device, all on the target;
//!   n = 16, 128: build.rs built the group on the host and shipped the peer's state blob and
//!   the device's Welcome into the image; the peer is restored from its blob.
//! * the device derives its KeyPackage, joins from the Welcome;
//! * self-update commits both ways (the peer's, then the device's), each processed by the other;
//! * application messages and CBAMs both ways, after one warm-up round: the measured ones must
//!   not touch the heap (0 allocations);
//! * the device saves its state blob, drops its state, restores it and reads one more message.
//!
//! Exit status 0 when every check passed. `unsafe` is confined to `meter.rs` (the heap and the
//! stack painting) and the fixture section in the generated `fixtures.rs`.
#![no_std]
#![no_main]

extern crate alloc;

mod meter;
mod scenario;

/// The 16- and 128-member groups (build.rs).
mod fixtures {
    include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));
}

use cortex_m_rt::entry;
use cortex_m_semihosting::debug;
use vmls::{CommitOptions, Group, PskStore, SeededPrng, SignatureKeyPair};

use meter::{Line, measure, report};

/// The step that failed.
struct Fail(&'static str);

/// `?` for any error: keeps only the step's name (no Debug formatting on the target).
trait Step<T> {
    fn at(self, step: &'static str) -> Result<T, Fail>;
}

impl<T, E> Step<T> for Result<T, E> {
    fn at(self, step: &'static str) -> Result<T, Fail> {
        self.map_err(|_| Fail(step))
    }
}

fn check(ok: bool, step: &'static str) -> Result<(), Fail> {
    if ok { Ok(()) } else { Err(Fail(step)) }
}

/// Application data of the messages (a sensor reading).
const DATA: &[u8] = b"23.5 C at 12:00";

fn session(n: u32) -> Result<(), Fail> {
    let config = scenario::config();
    let mut rng = SeededPrng::from_seed([0x5E; 32]);

    // The peer, holding a group of n - 1 members plus the device's Add.
    let (mut peer, welcome): (Group, alloc::vec::Vec<u8>) = if n == 2 {
        let mut prng = SeededPrng::from_seed(scenario::peer_seed(n));
        let (peer, c) = measure(|| {
            Group::create(
                scenario::GROUP_ID,
                &scenario::params(b"member 0"),
                &SignatureKeyPair::generate(&mut prng),
                scenario::group_extensions()?,
                config,
                &mut prng,
            )
        });
        report(n, "create", &c);
        let mut peer: Group = peer.at("create")?;
        let (kp, c) = measure(scenario::device_key_package);
        report(n, "peer:key_package", &c);
        let (kp, _) = kp.at("peer key package")?;
        let options = CommitOptions {
            proposals: alloc::vec![vmls::Proposal::Add(vmls::Add { key_package: kp })],
            ..CommitOptions::default()
        };
        let (out, c) = measure(|| peer.commit(&options, &mut prng));
        report(n, "commit_add", &c);
        let out = out.at("commit add")?;
        peer.merge_pending_commit().at("merge add")?;
        (peer, out.welcome.ok_or(Fail("no welcome"))?)
    } else {
        let (blob, welcome): (&[u8], &[u8]) = if n == 16 {
            (&fixtures::PEER_16, &fixtures::WELCOME_16)
        } else {
            (&fixtures::PEER_128, &fixtures::WELCOME_128)
        };
        let (peer, c) = measure(|| Group::from_bytes(blob));
        report(n, "peer:restore", &c);
        (peer.at("restore peer")?, welcome.into())
    };
    check(peer.member_count() == n as usize, "group size")?;

    // The device joins.
    let (kp, c) = measure(scenario::device_key_package);
    report(n, "key_package", &c);
    let (kp, kp_private) = kp.at("key package")?;
    let (device, c) = measure(|| {
        Group::join_from_welcome_bytes(&welcome, &kp, &kp_private, None, PskStore::new(), config)
    });
    report(n, "join", &c);
    let mut device: Group = device.at("join")?;
    Line::new()
        .s("N=")
        .u(u64::from(n))
        .s(" welcome=")
        .u(welcome.len() as u64)
        .print();
    drop((kp, kp_private, welcome));
    check(
        device.epoch_authenticator() == peer.epoch_authenticator(),
        "join: epoch authenticator",
    )?;

    // Self-update commits both ways.
    let update = CommitOptions::default();
    let (out, c) = measure(|| peer.commit(&update, &mut rng));
    report(n, "peer:commit_update", &c);
    let out = out.at("peer commit")?;
    peer.merge_pending_commit().at("peer merge")?;
    let (r, c) = measure(|| device.process_message(&out.commit));
    report(n, "process_commit", &c);
    r.at("device processes the peer's commit")?;
    drop(out);
    let (out, c) = measure(|| device.commit(&update, &mut rng));
    report(n, "commit_update", &c);
    let out = out.at("device commit")?;
    let (r, c) = measure(|| device.merge_pending_commit());
    report(n, "merge_pending_commit", &c);
    r.at("device merge")?;
    peer.process_message(&out.commit)
        .at("peer processes the device's commit")?;
    drop(out);
    check(
        device.epoch_authenticator() == peer.epoch_authenticator(),
        "updates: epoch authenticator",
    )?;

    // Application messages and CBAMs both ways; round 0 is the warm-up (the first CBAM of an
    // epoch gives each CBST its node table), round 1 is measured and must not allocate.
    let mut wire = [0u8; 256];
    let mut plain = [0u8; 256];
    for round in 0..2 {
        let mut costs = [("encrypt_application", meter::Cost::default()); 4];

        let (len, c) = measure(|| device.encrypt_application(b"", DATA, &mut rng, &mut wire));
        costs[0].1 = c;
        let len = len.at("device encrypts")?;
        let got = peer
            .decrypt_application(wire.get(..len).unwrap_or(&[]), &mut plain)
            .at("peer decrypts")?;
        check(plain.get(..got.len) == Some(DATA), "peer reads")?;

        let len = peer
            .encrypt_application(b"", DATA, &mut rng, &mut wire)
            .at("peer encrypts")?;
        let (got, c) = measure(|| {
            device
                .decrypt_application(wire.get(..len).unwrap_or(&[]), &mut plain)
                .map(|g| g.len)
        });
        costs[1] = ("decrypt_application", c);
        let got = got.at("device decrypts")?;
        check(plain.get(..got) == Some(DATA), "device reads")?;

        let (len, c) = measure(|| device.encrypt_cbam(b"", DATA, &mut rng, &mut wire));
        costs[2] = ("encrypt_cbam", c);
        let len = len.at("device encrypts a CBAM")?;
        let got = peer
            .decrypt_cbam(wire.get(..len).unwrap_or(&[]), &mut plain)
            .at("peer decrypts a CBAM")?;
        check(plain.get(..got.len) == Some(DATA), "peer reads a CBAM")?;

        let len = peer
            .encrypt_cbam(b"", DATA, &mut rng, &mut wire)
            .at("peer encrypts a CBAM")?;
        let (got, c) = measure(|| {
            device
                .decrypt_cbam(wire.get(..len).unwrap_or(&[]), &mut plain)
                .map(|g| g.len)
        });
        costs[3] = ("decrypt_cbam", c);
        let got = got.at("device decrypts a CBAM")?;
        check(plain.get(..got) == Some(DATA), "device reads a CBAM")?;

        if round == 1 {
            for (op, c) in &costs {
                report(n, op, c);
                check(
                    c.allocs == 0 && c.heap_peak == 0,
                    "message path used the heap",
                )?;
            }
        }
    }

    // Save the state blob, drop the state, restore it, read one more message.
    let (blob, c) = measure(|| device.to_bytes());
    report(n, "to_bytes", &c);
    let blob = blob.at("save")?;
    let (epoch, auth) = (device.epoch(), *device.epoch_authenticator());
    drop(device);
    let (device, c) = measure(|| Group::from_bytes(&blob));
    report(n, "from_bytes", &c);
    let mut device: Group = device.at("restore")?;
    Line::new()
        .s("N=")
        .u(u64::from(n))
        .s(" state_blob=")
        .u(blob.len() as u64)
        .s(" state_heap=")
        .u(c.heap_delta as u64)
        .print();
    drop(blob);
    check(
        device.epoch() == epoch && *device.epoch_authenticator() == auth,
        "restore: epoch",
    )?;
    let len = peer
        .encrypt_application(b"", DATA, &mut rng, &mut wire)
        .at("peer encrypts after restore")?;
    let got = device
        .decrypt_application(wire.get(..len).unwrap_or(&[]), &mut plain)
        .at("device decrypts after restore")?;
    check(
        plain.get(..got.len) == Some(DATA),
        "device reads after restore",
    )?;
    Ok(())
}

#[entry]
fn main() -> ! {
    meter::init();
    let mut ok = true;
    for n in [2u32, 16, 128] {
        match session(n) {
            Ok(()) => {
                Line::new().s("N=").u(u64::from(n)).s(" PASS").print();
            }
            Err(Fail(step)) => {
                ok = false;
                Line::new()
                    .s("N=")
                    .u(u64::from(n))
                    .s(" FAIL at ")
                    .s(step)
                    .print();
            }
        }
        if meter::heap_in_use() != 0 {
            ok = false;
            Line::new()
                .s("N=")
                .u(u64::from(n))
                .s(" FAIL: heap not freed: ")
                .u(meter::heap_in_use() as u64)
                .print();
        }
    }
    Line::new()
        .s(if ok { "ALL PASS" } else { "FAILED" })
        .print();
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    #[allow(clippy::empty_loop)]
    loop {}
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    Line::new().s("PANIC").print();
    debug::exit(debug::EXIT_FAILURE);
    #[allow(clippy::empty_loop)]
    loop {}
}
