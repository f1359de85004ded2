//! Structure-aware, stateful (issue 21): a joiner receives structurally mutated copies of a
//! valid Welcome and ratchet tree. Three seeds, built once (deterministic `SeededPrng`): an
//! Add without path (tree out of band), an Add with path (the GroupSecrets carry a
//! path_secret; tree out of band), and an Add whose Welcome carries the tree.
//!
//! Mutations, chosen by `arbitrary`: the Welcome's cipher suite, its secrets list (dropped,
//! duplicated, reordered, `new_member` changed, HPKE output or ciphertext changed), the
//! encrypted GroupInfo; the GroupSecrets *re-encrypted with the joiner's right init key*
//! after a change (joiner_secret, path_secret added or removed, a PSK added, plaintext
//! truncated); the GroupInfo *re-encrypted with the right welcome key* after a change of the
//! group context, the signer or the confirmation tag (re-signed with the committer's right
//! key: the confirmation tag or the signer's leaf key still fail), or of its extensions
//! (re-signed with a wrong key); and the ratchet tree (a node blanked, dropped, swapped,
//! duplicated, a leaf key or parent hash changed, an unmerged leaf added).
//!
//! Properties: a rejected Welcome is a typed error, and the valid Welcome then still joins,
//! to exactly the state it gives without the failed attempt; an accepted Welcome must be
//! the valid one where it concerns the joiner: the same suite, and the same GroupSecrets and
//! GroupInfo once decrypted (entries for other KeyPackages may change, be added or be
//! dropped, RFC 9420 section 12.4.3.1; an unchanged plaintext may be re-encrypted with fresh
//! HPKE randomness), with a tree that decodes to the same tree, and it must give the same
//! state as the valid one.
#![no_main]
use std::sync::OnceLock;

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use vmls::{
    Add, CommitOptions, Group, GroupConfig, KeyPackage, KeyPackageParams, KeyPackagePrivate,
    Lifetime, Mls128ChaCha, Proposal, PskStore, SeededPrng, SignatureKeyPair, create_key_package,
};
use vmls_codec::{Decode, Encode, VLBytes};
use vmls_crypto::{Secret, SignaturePrivateKey};
use vmls_group::{GroupInfo, GroupSecrets, MLSMessage, MLSMessageBody, PathSecret, Welcome};
use vmls_keyschedule::{PreSharedKeyId, Psk};
use vmls_tree::{Node, RatchetTree};

type S = Mls128ChaCha;

struct Seed {
    welcome: Welcome,
    welcome_bytes: Vec<u8>,
    tree: Option<Vec<u8>>,
    kp: KeyPackage,
    kpp: KeyPackagePrivate,
    joined: Vec<u8>,
    secrets: GroupSecrets,
    group_info: GroupInfo,
    welcome_secret: Secret,
}

struct World {
    seeds: Vec<Seed>,
    committer_key: SignaturePrivateKey,
    wrong_key: SignaturePrivateKey,
    rng_seed: [u8; 32],
}

const FOREVER: Lifetime = Lifetime {
    not_before: 0,
    not_after: u64::MAX,
};

fn kp(name: &[u8], rng: &mut SeededPrng) -> (KeyPackage, KeyPackagePrivate) {
    create_key_package::<S, _>(
        &KeyPackageParams::basic(name, FOREVER),
        &SignatureKeyPair::generate(rng),
        rng,
    )
    .expect("key package")
}

fn join(
    welcome: &[u8],
    kp: &KeyPackage,
    kpp: &KeyPackagePrivate,
    tree: Option<&[u8]>,
) -> Option<Group> {
    Group::join_from_welcome_bytes(
        welcome,
        kp,
        kpp,
        tree,
        PskStore::new(),
        GroupConfig::default(),
    )
    .ok()
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let mut rng = SeededPrng::from_seed([0x5A; 32]);
        let alice_key = SignatureKeyPair::generate(&mut rng);
        let mut alice: Group = Group::create(
            b"fuzz joiner",
            &KeyPackageParams::basic(b"alice", FOREVER),
            &alice_key,
            vec![],
            GroupConfig::default(),
            &mut rng,
        )
        .expect("create");
        let (bkp, _) = kp(b"bob", &mut rng);
        alice
            .commit(
                &CommitOptions {
                    proposals: vec![Proposal::Add(Add { key_package: bkp })],
                    ..CommitOptions::default()
                },
                &mut rng,
            )
            .expect("add bob");
        alice.merge_pending_commit().expect("merge");
        let mut seeds = Vec::new();
        for (name, path, tree_inside) in [
            (&b"dave"[..], false, false),
            (b"erin", true, false),
            (b"frank", true, true),
        ] {
            let (jkp, jkpp) = kp(name, &mut rng);
            let out = alice
                .commit(
                    &CommitOptions {
                        proposals: vec![Proposal::Add(Add {
                            key_package: jkp.clone(),
                        })],
                        force_path: path,
                        ratchet_tree_in_welcome: tree_inside,
                        ..CommitOptions::default()
                    },
                    &mut rng,
                )
                .expect("add joiner");
            alice.merge_pending_commit().expect("merge");
            let welcome_bytes = out.welcome.expect("welcome");
            let tree = (!tree_inside).then(|| alice.ratchet_tree_bytes().expect("tree"));
            let joined =
                join(&welcome_bytes, &jkp, &jkpp, tree.as_deref()).expect("valid welcome joins");
            let MLSMessageBody::Welcome(welcome) = MLSMessage::decode_exact(&welcome_bytes)
                .expect("decodes")
                .body
            else {
                panic!("not a welcome")
            };
            let secrets = welcome
                .decrypt_group_secrets::<S>(&jkp, &jkpp.init_key)
                .expect("secrets");
            let no_psks: Vec<(&PreSharedKeyId, &[u8])> = Vec::new();
            let psk_secret = vmls_keyschedule::psk_secret(no_psks).expect("psk secret");
            let welcome_secret =
                vmls_keyschedule::welcome_secret(&secrets.joiner_secret, &psk_secret).expect("ws");
            let group_info = welcome
                .decrypt_group_info::<S>(&welcome_secret)
                .expect("group info");
            seeds.push(Seed {
                welcome,
                welcome_bytes,
                tree,
                kp: jkp,
                kpp: jkpp,
                joined: joined.to_bytes().expect("blob"),
                secrets,
                group_info,
                welcome_secret,
            });
        }
        World {
            seeds,
            committer_key: alice_key.private,
            wrong_key: SignatureKeyPair::generate(&mut rng).private,
            rng_seed: [0x77; 32],
        }
    })
}

fn flip(u: &mut Unstructured<'_>, bytes: &mut [u8]) -> Result<()> {
    if !bytes.is_empty() {
        let i = u.choose_index(bytes.len())?;
        bytes[i] ^= u.arbitrary::<u8>()? | 1;
    }
    Ok(())
}

fn vl(u: &mut Unstructured<'_>, v: &mut VLBytes) -> Result<()> {
    match u.int_in_range(0u8..=2)? {
        0 => flip(u, &mut v.0)?,
        1 => {
            let n = u.choose_index(v.0.len() + 1)?;
            v.0.truncate(n);
        }
        _ => v.0.push(u.arbitrary()?),
    }
    Ok(())
}

/// Re-encrypts `secrets` (as plaintext bytes) for the joiner with its right init key, bound
/// to the Welcome's current `encrypted_group_info`.
fn reseal_secrets(w: &mut Welcome, seed: &Seed, plain: &[u8], rng: &mut SeededPrng) {
    let Some(entry) = w
        .secrets
        .iter_mut()
        .find(|e| Some(&e.new_member) == seed.kp.make_ref().ok().as_ref())
    else {
        return;
    };
    if let Ok(ct) = vmls_crypto::encrypt_with_label::<S, _>(
        seed.kp.tbs.init_key.as_slice(),
        vmls_group::welcome::WELCOME_LABEL,
        &w.encrypted_group_info.0,
        plain,
        rng,
    ) {
        entry.encrypted_group_secrets = ct;
    }
}

fn mutate_welcome(
    u: &mut Unstructured<'_>,
    w: &mut Welcome,
    seed: &Seed,
    world: &World,
) -> Result<()> {
    let mut rng = SeededPrng::from_seed(world.rng_seed);
    let n = w.secrets.len();
    match u.int_in_range(0u8..=8)? {
        0 => w.cipher_suite = u.int_in_range(1..=7)?,
        1 if n > 0 => {
            let i = u.choose_index(n)?;
            w.secrets.remove(i);
        }
        2 if n > 0 => {
            let i = u.choose_index(n)?;
            let e = w.secrets[i].clone();
            w.secrets.insert(0, e);
        }
        3 if n > 0 => {
            let i = u.choose_index(n)?;
            flip(u, &mut w.secrets[i].new_member.0)?;
        }
        4 if n > 0 => {
            let i = u.choose_index(n)?;
            if u.arbitrary()? {
                vl(u, &mut w.secrets[i].encrypted_group_secrets.kem_output)?;
            } else {
                vl(u, &mut w.secrets[i].encrypted_group_secrets.ciphertext)?;
            }
        }
        5 => vl(u, &mut w.encrypted_group_info)?,
        6 => {
            // Altered GroupSecrets, re-encrypted with the right init key.
            let mut s = seed.secrets.clone();
            let mut plain = match u.int_in_range(0u8..=4)? {
                0 => {
                    let mut b = *s.joiner_secret.as_bytes();
                    flip(u, &mut b)?;
                    s.joiner_secret = Secret::from_slice(&b).expect("32 bytes");
                    s.to_bytes().expect("encodes")
                }
                1 => {
                    s.path_secret = match s.path_secret {
                        Some(_) => None,
                        None => Some(PathSecret {
                            path_secret: Secret::from_slice(&[7; 32]).expect("32 bytes"),
                        }),
                    };
                    s.to_bytes().expect("encodes")
                }
                2 => {
                    s.psks.push(PreSharedKeyId {
                        psk: Psk::External {
                            psk_id: b"nope".to_vec().into(),
                        },
                        psk_nonce: vec![0; 32].into(),
                    });
                    s.to_bytes().expect("encodes")
                }
                _ => s.to_bytes().expect("encodes"),
            };
            match u.int_in_range(0u8..=3)? {
                0 => {
                    let k = u.choose_index(plain.len())?;
                    plain.truncate(k);
                }
                1 => plain.push(0),
                _ => {}
            }
            reseal_secrets(w, seed, &plain, &mut rng);
        }
        _ => {
            // Altered GroupInfo, re-encrypted with the right welcome key (and the
            // GroupSecrets re-sealed to the new ciphertext).
            let mut tbs = seed.group_info.tbs.clone();
            let right = match u.int_in_range(0u8..=6)? {
                0 => {
                    tbs.group_context.epoch ^= 1;
                    true
                }
                1 => {
                    vl(u, &mut tbs.group_context.tree_hash)?;
                    true
                }
                2 => {
                    vl(u, &mut tbs.group_context.confirmed_transcript_hash)?;
                    true
                }
                3 => {
                    tbs.signer = u.int_in_range(0..=5)?;
                    tbs.signer != seed.group_info.tbs.signer
                }
                4 => {
                    flip(u, &mut tbs.confirmation_tag.0)?;
                    true
                }
                5 => {
                    vl(u, &mut tbs.group_context.group_id)?;
                    true
                }
                _ => {
                    if tbs.extensions.is_empty() {
                        tbs.extensions.push(vmls_tree::Extension {
                            extension_type: 0xff00,
                            extension_data: b"x".to_vec().into(),
                        });
                    } else {
                        let i = u.choose_index(tbs.extensions.len())?;
                        tbs.extensions.remove(i);
                    }
                    false
                }
            };
            let key = if right {
                &world.committer_key
            } else {
                &world.wrong_key
            };
            let Ok(gi) = tbs.sign(key) else { return Ok(()) };
            let Ok(enc) = gi.encrypt::<S>(&seed.welcome_secret) else {
                return Ok(());
            };
            w.encrypted_group_info = enc.into();
            let plain = seed.secrets.to_bytes().expect("encodes");
            reseal_secrets(w, seed, &plain, &mut rng);
        }
    }
    Ok(())
}

fn mutate_tree(u: &mut Unstructured<'_>, tree: &[u8]) -> Result<Vec<u8>> {
    let mut nodes =
        Vec::<Option<Node>>::decode_exact(tree).map_err(|_| arbitrary::Error::IncorrectFormat)?;
    let n = nodes.len();
    match u.int_in_range(0u8..=7)? {
        0 if n > 0 => {
            let i = u.choose_index(n)?;
            nodes[i] = None;
        }
        1 => {
            nodes.pop();
        }
        2 if n > 1 => {
            let (i, j) = (u.choose_index(n)?, u.choose_index(n)?);
            nodes.swap(i, j);
        }
        3 if n > 0 => {
            let i = u.choose_index(n)?;
            let x = nodes[i].clone();
            nodes.push(x);
        }
        4 | 5 if n > 0 => {
            let i = u.choose_index(n)?;
            match &mut nodes[i] {
                Some(Node::Leaf(l)) => flip(u, &mut l.content.encryption_key.0)?,
                Some(Node::Parent(p)) => {
                    if u.arbitrary()? {
                        flip(u, &mut p.encryption_key.0)?;
                    } else {
                        p.unmerged_leaves.push(u.int_in_range(0..=7)?);
                    }
                }
                None => {}
            }
        }
        _ => nodes.push(None),
    }
    nodes
        .to_bytes()
        .map_err(|_| arbitrary::Error::IncorrectFormat)
}

fn same_tree(a: Option<&[u8]>, b: Option<&[u8]>) -> bool {
    let canon = |t: Option<&[u8]>| {
        t.map(|t| {
            RatchetTree::from_bytes(t, 1024)
                .ok()
                .and_then(|t| t.to_bytes().ok())
        })
    };
    canon(a) == canon(b)
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    let mut u = Unstructured::new(data);
    let Ok(i) = u.choose_index(w.seeds.len()) else {
        return;
    };
    let seed = &w.seeds[i];
    let mut welcome = seed.welcome.clone();
    let mut tree = seed.tree.clone();
    let rounds = u.int_in_range(1u8..=3).unwrap_or(1);
    for _ in 0..rounds {
        let r = if tree.is_some() && u.ratio(1u8, 3u8).unwrap_or(false) {
            match mutate_tree(&mut u, tree.as_deref().unwrap_or(&[])) {
                Ok(t) => {
                    tree = Some(t);
                    Ok(())
                }
                Err(e) => Err(e),
            }
        } else {
            mutate_welcome(&mut u, &mut welcome, seed, w)
        };
        if r.is_err() {
            break;
        }
    }
    let Ok(bytes) = MLSMessage::new(MLSMessageBody::Welcome(welcome.clone())).to_bytes() else {
        return;
    };
    match join(&bytes, &seed.kp, &seed.kpp, tree.as_deref()) {
        Some(g) => {
            // Entries for other KeyPackages are none of the joiner's business, and the
            // harness may re-encrypt unchanged content (fresh HPKE randomness): what must equal
            // the valid Welcome's is what the joiner reads, the suite, the GroupSecrets it
            // decrypts and the GroupInfo it decrypts with them.
            assert_eq!(
                welcome.cipher_suite, seed.welcome.cipher_suite,
                "a mutated suite was accepted"
            );
            let secrets = welcome
                .decrypt_group_secrets::<S>(&seed.kp, &seed.kpp.init_key)
                .expect("an accepted Welcome has the joiner's secrets");
            assert_eq!(secrets, seed.secrets, "mutated GroupSecrets were accepted");
            let gi = welcome
                .decrypt_group_info::<S>(&seed.welcome_secret)
                .expect("decrypts");
            assert_eq!(gi, seed.group_info, "a mutated GroupInfo was accepted");
            assert!(
                same_tree(tree.as_deref(), seed.tree.as_deref()),
                "a mutated tree was accepted"
            );
            assert_eq!(
                g.to_bytes().expect("blob"),
                seed.joined,
                "same join, same state"
            );
        }
        None => {
            let g = join(
                &seed.welcome_bytes,
                &seed.kp,
                &seed.kpp,
                seed.tree.as_deref(),
            )
            .expect("the valid Welcome still joins");
            assert_eq!(
                g.to_bytes().expect("blob"),
                seed.joined,
                "a failed join changed nothing"
            );
        }
    }
});
