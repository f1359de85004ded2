#!/usr/bin/env python3
"""Generates test-vectors/vmls/emulation.json: vectors for vmls's virtual-client emulation
(draft-kohbrok-mls-virtual-clients-03 "Client emulation", the choices pinned in
/work/shared/specs/CBST-CBAM.md and docs/spec-decisions.md, "Virtual-client emulation").

An independent implementation (Python standard library plus `cryptography` for X25519 and
Ed25519) reusing only the RFC 9420 helpers of gen_cbst_cbam.py (which are self-checked against
the published crypto-basics vectors and our safe-exporter vectors, and are run again here).

Derivations (cases of type "derivation"):
    vc_epoch_secret  = MLS-FS-Export("Virtual Client Seed", "", 32)      (G's epoch_secret given)
    struct { uint32 vc_id; opaque target_group_id<V>; uint8 operation; uint32 counter; }
        VirtualClientOperationContext;     operation: 1 key_package, 2 leaf_update,
                                           3 commit_path, 4 signature_key, 5 proposal,
                                           6 group_creation
    operation_secret = ExpandWithLabel(vc_epoch_secret, "VC Operation", context, 32)
    init_ikm         = DeriveSecret(operation_secret, "Init Key")
    encryption_ikm   = DeriveSecret(operation_secret, "Encryption Key")
    leaf_secret      = DeriveSecret(operation_secret, "Path Generation")
    path_secret_0    = DeriveSecret(leaf_secret, "path")                   (RFC 9420 7.4 figure)
    signature_seed   = DeriveSecret(operation_secret, "Signature Key")      (Ed25519 seed)
    rng_seed         = DeriveSecret(operation_secret, "RNG Seed")
    *_public         = DeriveKeyPair(ikm) of DHKEM(X25519) (RFC 9180 7.1.3) / Ed25519 public key
    rng_stream       = what the core operation draws: the operation's pinned secrets
                       (key_package: init_ikm || encryption_ikm; leaf_update: encryption_ikm;
                       commit_path: leaf_secret; others: nothing) then the first 64 bytes of
                       SeededPrng(rng_seed) = HMAC-SHA256(rng_seed, "vmls hpke prng" || u64 counter) blocks

Signature-key rotation on device removal (cases of type "rotation", docs/spec-decisions.md
"Signature-key rotation on device removal"): after a G commit that removed emulators, with the
vc_epoch_secret of the epoch it created,
    rotation_secret  = operation_secret of { vc_id, "", 4 (signature_key), 0xFFFFFFFF }
    rotated_seed     = DeriveSecret(rotation_secret, "Signature Key Rotation")   (Ed25519 seed)

Announcements (cases of type "announcement"): each action's encoded detail and the
`authenticated_data` of the announcing commit:
    struct { uint16 component_id; opaque aad_item_data<V>; } SafeAADItem;
    struct { SafeAADItem aad_items<V>; } SafeAAD;          (one item, component 0x8001)
    struct { uint32 vc_id; uint8 action; opaque target_group_id<V>; opaque detail<V>; } VirtualClientAction;
    struct { VirtualClientAction actions<V>; } VirtualClientActions;
"""
import hashlib
import hmac
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_cbst_cbam as m  # noqa: E402

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OPS = {1: "key_package", 2: "leaf_update", 3: "commit_path", 4: "signature_key",
       5: "proposal", 6: "group_creation"}


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or b"\x00" * 32, ikm, hashlib.sha256).digest()


def derive_key_pair_x25519(ikm: bytes):
    suite = b"KEM" + (0x0020).to_bytes(2, "big")
    prk = hkdf_extract(b"", b"HPKE-v1" + suite + b"dkp_prk" + ikm)
    sk = m.hkdf_expand(prk, (32).to_bytes(2, "big") + b"HPKE-v1" + suite + b"sk", 32)
    pk = X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)
    return sk, pk


def ed25519_public(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)


def seeded_prng(seed: bytes, n: int) -> bytes:
    out, counter = b"", 0
    while len(out) < n:
        out += hmac.new(seed, b"vmls hpke prng" + counter.to_bytes(8, "big"), hashlib.sha256).digest()
        counter += 1
    return out[:n]


def operation_context(vc_id, target, op, counter) -> bytes:
    return m.u32(vc_id) + m.opaque(target) + m.u8(op) + m.u32(counter)


def derivation_case(tag, operations):
    epoch_secret = m.deterministic_bytes(f"emulation epoch {tag}")
    vc_epoch_secret = m.mls_fs_export(epoch_secret, b"Virtual Client Seed", b"", 32)
    ops = []
    for (vc_id, target, op, counter) in operations:
        ctx = operation_context(vc_id, target, op, counter)
        osec = m.expand_with_label(vc_epoch_secret, b"VC Operation", ctx, 32)
        init_ikm = m.derive_secret(osec, b"Init Key")
        enc_ikm = m.derive_secret(osec, b"Encryption Key")
        leaf_secret = m.derive_secret(osec, b"Path Generation")
        sig_seed = m.derive_secret(osec, b"Signature Key")
        rng_seed = m.derive_secret(osec, b"RNG Seed")
        prefix = {1: init_ikm + enc_ikm, 2: enc_ikm, 3: leaf_secret}.get(op, b"")
        ops.append({
            "vc_id": vc_id,
            "target_group_id": target.hex(),
            "operation": op,
            "operation_name": OPS[op],
            "counter": counter,
            "context": ctx.hex(),
            "operation_secret": osec.hex(),
            "init_ikm": init_ikm.hex(),
            "init_public": derive_key_pair_x25519(init_ikm)[1].hex(),
            "encryption_ikm": enc_ikm.hex(),
            "encryption_public": derive_key_pair_x25519(enc_ikm)[1].hex(),
            "leaf_secret": leaf_secret.hex(),
            "path_secret_0": m.derive_secret(leaf_secret, b"path").hex(),
            "signature_seed": sig_seed.hex(),
            "signature_public": ed25519_public(sig_seed).hex(),
            "rng_seed": rng_seed.hex(),
            "rng_stream": (prefix + seeded_prng(rng_seed, 64)).hex(),
        })
    return {
        "type": "derivation",
        "description": f"derivations under one G epoch ({tag})",
        "epoch_secret": epoch_secret.hex(),
        "vc_epoch_secret": vc_epoch_secret.hex(),
        "operations": ops,
    }


def rotation_case(tag, vc_ids):
    epoch_secret = m.deterministic_bytes(f"emulation epoch {tag}")
    vc_epoch_secret = m.mls_fs_export(epoch_secret, b"Virtual Client Seed", b"", 32)
    out = []
    for vc_id in vc_ids:
        ctx = operation_context(vc_id, b"", 4, 0xFFFFFFFF)
        osec = m.expand_with_label(vc_epoch_secret, b"VC Operation", ctx, 32)
        seed = m.derive_secret(osec, b"Signature Key Rotation")
        out.append({
            "vc_id": vc_id,
            "context": ctx.hex(),
            "rotation_secret": osec.hex(),
            "rotated_seed": seed.hex(),
            "rotated_public": ed25519_public(seed).hex(),
            # The key CreateVc derives at counter 0 of the same epoch: never the rotated one.
            "create_vc_public": ed25519_public(m.derive_secret(
                m.expand_with_label(vc_epoch_secret, b"VC Operation",
                                    operation_context(vc_id, b"", 4, 0), 32),
                b"Signature Key")).hex(),
        })
    return {
        "type": "rotation",
        "description": f"V's signature key after a device removal in G epoch ({tag})",
        "epoch_secret": epoch_secret.hex(),
        "vc_epoch_secret": vc_epoch_secret.hex(),
        "rotations": out,
    }


def basic_credential(identity: bytes) -> bytes:
    return m.u16(1) + m.opaque(identity)


def action(vc_id, kind, target, detail):
    return m.u32(vc_id) + m.u8(kind) + m.opaque(target) + m.opaque(detail)


def announcement_case(description, actions):
    body = b"".join(action(*a) for a in actions)
    item = m.opaque(body)
    aad = m.opaque(m.u16(0x8001) + m.opaque(item))
    return {
        "type": "announcement",
        "description": description,
        "actions": [{"vc_id": a[0], "action": a[1], "target_group_id": a[2].hex(),
                     "detail": a[3].hex()} for a in actions],
        "virtual_client_actions": item.hex(),
        "authenticated_data": aad.hex(),
    }


def main() -> None:
    m.self_check_encoders()
    m.self_check_crypto_basics()
    m.self_check_safe_exporter()
    s = b"alice and bob"
    cases = [
        derivation_case("A", [
            (1, b"", 4, 0), (1, b"", 1, 0), (1, b"", 1, 1), (1, s, 3, 0), (1, s, 2, 0),
            (1, s, 5, 0), (1, s, 6, 0),
        ]),
        derivation_case("B", [(0xFFFFFFFF, b"x" * 255, 3, 0xFFFFFFFF), (7, b"", 1, 31)]),
        rotation_case("R", [1, 2, 0xFFFFFFFF]),
    ]
    # RFC 9420 Remove proposal: uint16 proposal_type = 3, uint32 removed.
    remove3 = m.u16(3) + m.u32(3)
    cases += [
        announcement_case("create_vc + key_packages(2, forever)", [
            (1, 1, b"", basic_credential(b"alice")),
            (1, 2, b"", m.u16(2) + m.u64(0) + m.u64(2**64 - 1)),
        ]),
        announcement_case("create_group, join_group", [
            (1, 8, s, b""),
            (2, 3, b"other group", m.opaque(m.deterministic_bytes("kp ref")) +
             m.opaque(m.deterministic_bytes("welcome digest"))),
        ]),
        announcement_case("commit by value (Remove 3) with pending, then leave another group", [
            (1, 4, s, m.u64(7) + m.u8(1) + m.opaque(remove3)),
            (1, 5, b"g2", m.u64(42)),
        ]),
        announcement_case("propose update, propose remove", [
            (1, 7, s, m.u64(9) + m.u8(1)),
            (1, 7, s, m.u64(9) + m.u8(3) + m.u32(1)),
        ]),
        announcement_case("empty action list", []),
    ]
    # announce (9), nesting: V commits in an emulation group one level up where V is itself
    # an emulator, carrying that level's announcement as the commit's authenticated_data:
    # struct { uint64 epoch; Proposal proposals<V>; opaque authenticated_data<V>; }.
    inner = announcement_case("inner", [
        (7, 1, b"", basic_credential(b"team T")),
        (7, 2, b"", m.u16(1) + m.u64(0) + m.u64(2**64 - 1)),
    ])
    inner_aad = bytes.fromhex(inner["authenticated_data"])
    cases.append(announcement_case("announce: V's commits carrying T's announcement (nesting)", [
        (1, 9, b"team T emulation group", m.u64(3) + m.opaque(b"") + m.opaque(inner_aad)),
        (1, 9, b"g", m.u64(0) + m.opaque(remove3) + m.opaque(inner_aad)),
    ]))
    # provision (6): vc_id 0, empty target, ProvisionDetail { uint32 new_emulator_leaf;
    # opaque snapshot_digest[32]; uint32 snapshot_len; uint64 snapshot_epoch; }, and one
    # ProvisioningChunk { opaque snapshot_digest[32]; uint32 offset; opaque data<V>; } of it.
    snapshot = m.deterministic_bytes("snapshot") * 5
    digest = hashlib.sha256(snapshot).digest()
    case = announcement_case("provision the emulator at G leaf 3", [
        (0, 6, b"", m.u32(3) + digest + m.u32(len(snapshot)) + m.u64(12)),
    ])
    part = snapshot[64:128]
    case["snapshot"] = snapshot.hex()
    case["chunk"] = {"offset": 64, "data": part.hex(),
                     "encoded": (digest + m.u32(64) + m.opaque(part)).hex()}
    cases.append(case)
    with open(os.path.join(HERE, "emulation.json"), "w") as f:
        json.dump({
            "description": "Virtual-client emulation (draft-kohbrok-mls-virtual-clients-03 "
                           "'Client emulation', pinned in CBST-CBAM.md and docs/spec-decisions.md), "
                           "cipher suite 0x0003: derivation cases (vc_epoch_secret -> "
                           "operation_secret -> key seeds, leaf/path secret, Ed25519 seed, RNG "
                           "seed and the RNG stream the core draws), rotation cases (V's signature key after a "
                           "device removal) and announcement cases "
                           "(VirtualClientActions in a SafeAAD item of component 0x8001). "
                           "Generated by gen_emulation.py.",
            "cases": cases,
        }, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
