//! Bare-metal binary that calls into every vmls library crate.
//!
//! This is CI tooling, not library code: the two `unsafe` uses below are the heap
//! initialisation every bare-metal allocator needs (the library crates forbid `unsafe`).
#![no_std]
#![no_main]

extern crate alloc;

use core::hint::black_box;
use core::mem::MaybeUninit;

use cortex_m_rt::entry;
use embedded_alloc::LlffHeap as Heap;
use panic_halt as _;

use vmls_codec::{Decode, Encode};
use vmls_crypto::{CipherSuite, Mls128ChaCha, SeededPrng};

#[global_allocator]
static HEAP: Heap = Heap::empty();

const HEAP_SIZE: usize = 256 * 1024;

/// Runs a little of every crate so the linker keeps what a real firmware would use.
fn exercise(seed: [u8; 32]) -> u32 {
    let mut rng = SeededPrng::from_seed(seed);
    let mut acc = 0u32;

    // vmls-crypto: labeled KDF, signatures, HPKE, AEAD.
    let Ok(secret) = vmls_crypto::derive_secret(&seed, b"epoch") else {
        return 1;
    };
    let kp = vmls_crypto::SignatureKeyPair::generate(&mut rng);
    let Ok(sig) = vmls_crypto::sign_with_label(&kp.private, b"LeafNodeTBS", secret.as_bytes())
    else {
        return 2;
    };
    if vmls_crypto::verify_with_label(&kp.public, b"LeafNodeTBS", secret.as_bytes(), &sig).is_ok() {
        acc += 1;
    }
    let Ok(hpke) = vmls_crypto::derive_key_pair(secret.as_bytes()) else {
        return 3;
    };
    let Ok(ct) = vmls_crypto::encrypt_with_label::<Mls128ChaCha, _>(
        &hpke.public,
        b"UpdatePathNode",
        b"ctx",
        b"path secret",
        &mut rng,
    ) else {
        return 4;
    };
    if let Ok(pt) = vmls_crypto::decrypt_with_label::<Mls128ChaCha>(
        &hpke.private,
        b"UpdatePathNode",
        b"ctx",
        &ct.kem_output,
        &ct.ciphertext,
    ) {
        acc += pt.len() as u32;
    }
    let mut buf = [0u8; 64];
    let nonce = [7u8; 12];
    if let Ok(tag) = Mls128ChaCha::seal_in_place(secret.as_bytes(), &nonce, b"aad", &mut buf) {
        if Mls128ChaCha::open_in_place(secret.as_bytes(), &nonce, b"aad", &mut buf, &tag).is_ok() {
            acc += 1;
        }
    }

    // vmls-codec + vmls-tree: encode and decode a tree structure, tree math.
    let caps = vmls_tree::Capabilities {
        versions: alloc::vec![1],
        cipher_suites: alloc::vec![3],
        ..Default::default()
    };
    if let Ok(bytes) = caps.to_bytes() {
        if let Ok(back) = vmls_tree::Capabilities::decode_exact(&bytes) {
            acc += back.cipher_suites.len() as u32;
        }
    }
    acc += vmls_tree::math::direct_path(vmls_tree::NodeIndex(0), 1024).len() as u32;

    // vmls-keyschedule.
    let gc = vmls_keyschedule::GroupContext {
        version: 1,
        cipher_suite: Mls128ChaCha::ID,
        group_id: alloc::vec![1, 2, 3].into(),
        epoch: 0,
        tree_hash: alloc::vec![0; 32].into(),
        confirmed_transcript_hash: alloc::vec![].into(),
        extensions: alloc::vec![],
    };
    acc += gc.encoded_len() as u32;

    // vmls (vmls-group, vmls-secret-tree): a whole two-member session as a device would run it.
    #[cfg(feature = "client")]
    {
        acc += session(&mut rng).unwrap_or(0);
    }
    acc
}

#[cfg(feature = "client")]
/// Alice creates a group, adds Bob by Welcome, and they exchange one application message.
fn session(rng: &mut SeededPrng) -> Result<u32, vmls::GroupError> {
    use vmls::{CommitOptions, Group, GroupConfig, KeyPackageParams, Lifetime, PskStore};
    let forever = Lifetime {
        not_before: 0,
        not_after: u64::MAX,
    };
    let alice_key = vmls::SignatureKeyPair::generate(rng);
    let mut alice: Group = Group::create(
        b"fw",
        &KeyPackageParams::basic(b"alice", forever),
        &alice_key,
        alloc::vec![],
        GroupConfig::default(),
        rng,
    )?;
    let bob_key = vmls::SignatureKeyPair::generate(rng);
    let (kp, kp_priv) = vmls::create_key_package::<Mls128ChaCha, _>(
        &KeyPackageParams::basic(b"bob", forever),
        &bob_key,
        rng,
    )?;
    let options = CommitOptions {
        proposals: alloc::vec![vmls::Proposal::Add(vmls::Add {
            key_package: kp.clone()
        })],
        ..CommitOptions::default()
    };
    let out = alice.commit(&options, rng)?;
    alice.merge_pending_commit()?;
    let Some(welcome) = out.welcome else {
        return Ok(0);
    };
    let mut bob: Group = Group::join_from_welcome_bytes(
        &welcome,
        &kp,
        &kp_priv,
        None,
        PskStore::new(),
        GroupConfig::default(),
    )?;
    let mut wire = [0u8; 256];
    let n = alice.encrypt_application(b"", b"sensor reading", rng, &mut wire)?;
    let mut plain = [0u8; 256];
    let got = bob.decrypt_application(wire.get(..n).unwrap_or(&[]), &mut plain)?;
    let blob = bob.to_bytes()?;
    Ok(got.len as u32 + blob.len() as u32)
}

#[entry]
fn main() -> ! {
    {
        static mut HEAP_MEM: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
        // SAFETY: called once before any allocation; HEAP_MEM is used by nothing else.
        unsafe { HEAP.init(&raw mut HEAP_MEM as usize, HEAP_SIZE) }
    }
    let seed = black_box([42u8; 32]);
    black_box(exercise(seed));
    loop {
        cortex_m::asm::nop();
    }
}
