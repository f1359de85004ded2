//! The small case (U = 4 users, D = 2 devices, G = 3 groups) run completely, against
//! expectations derived from RFC 9420's TreeKEM rules and the virtual-clients draft, not from
//! the code's output; and the extrapolation the large case uses, checked against the full run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use vmls_cost::{Cost, OpCounts, Params, Scenario, announcements, measure_at};

const P: Params = Params::SMALL; // U = 4, D = 2, G = 3, warm trees
const U: u64 = 4;
const D: u64 = 2;
const G: u64 = 3;

fn cost(v: &[(Scenario, Cost)], s: Scenario) -> Cost {
    v.iter().find(|x| x.0 == s).unwrap().1
}

fn log2(n: u64) -> u64 {
    assert!(n.is_power_of_two());
    u64::from(n.trailing_zeros())
}

/// What a member that is not the committer does with one commit carrying an UpdatePath in a
/// group whose parents are all filled (RFC 9420 section 12.4.2): it verifies the
/// FramedContent signature and the new LeafNode's signature, and decrypts exactly one
/// path secret (the one for the copath node above it).
fn receiver_of(commits: u64) -> (u64, u64) {
    (2 * commits, commits) // (verify, hpke_open)
}

#[test]
fn multi_client_mode_follows_treekem() {
    let (leaves, v) = measure_at(&P, G as usize, false).unwrap();
    // Every device is a leaf.
    assert_eq!(leaves as u64, U * D);
    let n = U * D;

    // PCS: the device commits an UpdatePath in each group. In a tree of n = 2^k leaves whose
    // parents are all set, the committer's copath has k nodes with a resolution of one node
    // each: k HPKE encryptions (RFC 9420 sections 4.1.1, 7.5); it derives k + 1 key pairs
    // (its leaf and k parents, section 7.4) and signs the LeafNode and the commit.
    let pcs = cost(&v, Scenario::PcsUpdate);
    assert_eq!(pcs.actor.hpke_seal, log2(n) * G);
    assert_eq!(pcs.actor.hpke_keygen, (log2(n) + 1) * G);
    assert_eq!(pcs.actor.sign, 2 * G);
    assert_eq!(pcs.actor.hpke_open, 0);
    let (verify, open) = receiver_of(G);
    for other in [pcs.sibling, pcs.other] {
        assert_eq!(other.verify, verify);
        assert_eq!(other.hpke_open, open);
        assert_eq!(other.sign + other.hpke_seal, 0);
    }
    // Every one of the n - 1 others decrypts once per commit.
    assert_eq!(pcs.total.hpke_open, (n - 1) * G);
    // One commit per group uploaded, fanned out to all n members.
    assert_eq!(pcs.traffic.sent_messages, G);
    assert_eq!(pcs.traffic.fanned_out_messages, n * G);

    // One PrivateMessage: one signature, one verification by each of the n - 1 others
    // (RFC 9420 section 6.1), no HPKE.
    let msg = cost(&v, Scenario::Message);
    assert_eq!(
        msg.actor,
        OpCounts {
            sign: 1,
            ..OpCounts::default()
        }
    );
    assert_eq!(msg.total.verify, n - 1);
    assert_eq!(msg.total.hpke_seal + msg.total.hpke_open, 0);
    assert_eq!(msg.traffic.fanned_out_messages, n);

    // Adding a device: one Add commit and one Welcome per group; the Welcome's GroupSecrets
    // are sealed once to the new device's init key, which it opens (section 12.4.3.1); the
    // new device checks every leaf's signature of each tree it joins (section 7.9.2).
    let add = cost(&v, Scenario::AddDevice);
    assert_eq!(add.new_device.hpke_open, G);
    assert!(add.new_device.verify >= n * G, "{:?}", add.new_device);
    assert_eq!(add.actor.hpke_seal, G); // no path: only the Welcome
    assert_eq!(add.other.hpke_open, 0);
    assert_eq!(add.traffic.sent_messages, 2 * G);

    // Removing a device: a Remove commit with a path in each group; each remaining member
    // decrypts once per group.
    let rm = cost(&v, Scenario::RemoveDevice);
    assert_eq!(rm.other.hpke_open, G);
    assert_eq!(rm.actor.sign, 2 * G);
    assert_eq!(rm.traffic.sent_messages, G);
}

#[test]
fn virtual_client_mode_follows_the_draft() {
    let (leaves, v) = measure_at(&P, G as usize, true).unwrap();
    // One leaf per user, whatever D.
    assert_eq!(leaves as u64, U);

    // PCS: one announcement in G_user (a commit with path among D devices) and V's commit
    // with path in each shared group. Other users' devices each process V's G commits as
    // ordinary receivers; the user's other devices open the announcement once and then
    // replay V's commits: they compute what a committer computes (signatures and seals), and
    // decrypt nothing in the shared groups.
    let pcs = cost(&v, Scenario::PcsUpdate);
    let (verify, open) = receiver_of(G);
    assert_eq!(pcs.other.verify, verify);
    assert_eq!(pcs.other.hpke_open, open);
    assert_eq!(pcs.other.sign + pcs.other.hpke_seal, 0);
    let announcements = announcements(G as usize) as u64;
    assert_eq!(announcements, 1);
    assert_eq!(pcs.sibling.hpke_open, announcements);
    assert_eq!(pcs.sibling.sign, 2 * G); // LeafNode + commit signature of V, replayed
    assert_eq!(pcs.sibling.hpke_seal, log2(U) * G);
    // Every device of every other user decrypts once per group.
    assert_eq!(
        pcs.total.hpke_open,
        (U - 1) * D * G + announcements * (D - 1)
    );
    // Uploads: the announcement and G commits; a shared-group commit reaches U queues (one
    // per V, read by all D emulators).
    assert_eq!(pcs.traffic.sent_messages, announcements + G);
    assert_eq!(pcs.traffic.fanned_out_messages, announcements * D + U * G);
    assert_eq!(pcs.traffic.received_messages, announcements * D + U * D * G);

    // A CBAM: one signature by V's key, one verification by every other device (the
    // sender's siblings included), no HPKE (draft-kohbrok-mls-virtual-clients-03 5.5).
    let msg = cost(&v, Scenario::Message);
    assert_eq!(
        msg.actor,
        OpCounts {
            sign: 1,
            ..OpCounts::default()
        }
    );
    assert_eq!(msg.total.verify, U * D - 1);
    assert_eq!(msg.traffic.fanned_out_messages, U);

    // Adding a device touches only the emulation group: other users do nothing.
    let add = cost(&v, Scenario::AddDevice);
    assert_eq!(add.other, OpCounts::default());
    // It opens its Welcome to G_user and then, as a member of G_user, the path secret of the
    // provisioning announcement (a G_user commit with path).
    assert_eq!(add.new_device.hpke_open, 2);
    assert_eq!(add.sibling.hpke_open, 1); // the announcement (the Add commit has no path)
    assert!(add.new_device.verify >= D, "{:?}", add.new_device);

    // Removing a device: V commits with path in every group; others decrypt once per group.
    let rm = cost(&v, Scenario::RemoveDevice);
    assert_eq!(rm.other.hpke_open, G);
    assert_eq!(rm.traffic.sent_messages, 1 + G);
}

/// Multi-client mode is G copies of one group: the full run at G = 3 is 3 times the run at
/// G' = 1 in every public-key count and byte (group ids have one length).
#[test]
fn multi_client_scaling_matches_the_full_run() {
    let (_, full) = measure_at(&P, 3, false).unwrap();
    let (_, one) = measure_at(&P, 1, false).unwrap();
    for s in [
        Scenario::PcsUpdate,
        Scenario::AddDevice,
        Scenario::RemoveDevice,
    ] {
        let (f, o) = (cost(&full, s), cost(&one, s).scale(3));
        assert_eq!(f.actor, o.actor, "{s:?}");
        assert_eq!(f.sibling, o.sibling, "{s:?}");
        assert_eq!(f.other, o.other, "{s:?}");
        assert_eq!(f.new_device, o.new_device, "{s:?}");
        assert_eq!(f.total, o.total, "{s:?}");
        assert_eq!(f.traffic.sent_messages, o.traffic.sent_messages, "{s:?}");
        let (a, b) = (f.traffic.sent_bytes as f64, o.traffic.sent_bytes as f64);
        assert!((a - b).abs() / a < 0.02, "{s:?}: {a} vs {b}");
    }
}

/// Virtual-client mode: the runs at G' = 1 and 2 extrapolated to G = 3 give the full run's
/// counts (the large case's method, checked where the full run is cheap).
#[test]
fn virtual_client_extrapolation_matches_the_full_run() {
    let (_, full) = measure_at(&P, 3, true).unwrap();
    let (_, one) = measure_at(&P, 1, true).unwrap();
    let (_, two) = measure_at(&P, 2, true).unwrap();
    for s in [
        Scenario::PcsUpdate,
        Scenario::AddDevice,
        Scenario::RemoveDevice,
    ] {
        let x = Cost::extrapolate(&cost(&one, s), &cost(&two, s), 1, 3, announcements);
        let f = cost(&full, s);
        assert_eq!(f.actor, x.actor, "{s:?}");
        assert_eq!(f.sibling, x.sibling, "{s:?}");
        assert_eq!(f.other, x.other, "{s:?}");
        assert_eq!(f.total, x.total, "{s:?}");
        assert_eq!(f.traffic.sent_messages, x.traffic.sent_messages, "{s:?}");
        let (a, b) = (f.traffic.sent_bytes as f64, x.traffic.sent_bytes as f64);
        assert!((a - b).abs() / a < 0.02, "{s:?}: {a} vs {b}");
        let (a, b) = (
            f.traffic.received_bytes as f64,
            x.traffic.received_bytes as f64,
        );
        assert!((a - b).abs() / a < 0.02, "{s:?}: {a} vs {b}");
    }
}

#[test]
fn bad_parameters_are_refused_with_a_reason() {
    for p in [
        Params { users: 1, ..P },
        Params { devices: 1, ..P },
        Params { groups: 0, ..P },
        Params {
            users: 300,
            devices: 4,
            ..P
        },
    ] {
        assert!(matches!(
            vmls_cost::run(p),
            Err(vmls_cost::CostError::Params(_))
        ));
    }
}
