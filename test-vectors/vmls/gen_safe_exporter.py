#!/usr/bin/env python3
"""Generates test-vectors/vmls/safe-exporter.json: vectors for the safe exporter of
draft-ietf-mls-extensions ("Exported Secrets") with the choices pinned in docs/spec-decisions.md.

This is an independent implementation (Python standard library only: hashlib, hmac) so that the
expected values do not come from the Rust code under test. Cipher suites 0x0001 and 0x0003 share
SHA-256 / HKDF-SHA256, so the vectors hold for both.

    application_export_secret = DeriveSecret(epoch_secret, "application_export")
    tree_node_[left(N)]_secret  = ExpandWithLabel(tree_node_[N]_secret, "tree", "left",  Nh)
    tree_node_[right(N)]_secret = ExpandWithLabel(tree_node_[N]_secret, "tree", "right", Nh)
    SafeExportSecret(ComponentID) = leaf secret of leaf index ComponentID in a tree of 2^16 leaves
                                    (path: the 16 bits of ComponentID, most significant first,
                                    0 = left)

Each case lists exports in the order they are performed on ONE exporter (the tree deletes nodes
as it goes, so the order exercises the deletion schedule); a second export of a component in the
same epoch must fail. Run: python3 test-vectors/vmls/gen_safe_exporter.py > safe-exporter.json
"""
import hashlib
import hmac
import json
import sys

NH = 32


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def varint(n: int) -> bytes:
    # RFC 9420 section 2.1.2 (minimal encoding).
    if n < 1 << 6:
        return bytes([n])
    if n < 1 << 14:
        return (0x4000 | n).to_bytes(2, "big")
    if n < 1 << 30:
        return (0x80000000 | n).to_bytes(4, "big")
    raise ValueError("too long")


def opaque(b: bytes) -> bytes:
    return varint(len(b)) + b


def expand_with_label(secret: bytes, label: bytes, context: bytes, length: int) -> bytes:
    kdf_label = length.to_bytes(2, "big") + opaque(b"MLS 1.0 " + label) + opaque(context)
    return hkdf_expand(secret, kdf_label, length)


def derive_secret(secret: bytes, label: bytes) -> bytes:
    return expand_with_label(secret, label, b"", NH)


def safe_export_secret(application_export_secret: bytes, component_id: int) -> bytes:
    node = application_export_secret
    for bit in range(15, -1, -1):
        side = b"right" if (component_id >> bit) & 1 else b"left"
        node = expand_with_label(node, b"tree", side, NH)
    return node


def deterministic_bytes(tag: str) -> bytes:
    # Fixed, reproducible inputs (not secret): SHA-256 of a tag.
    return hashlib.sha256(tag.encode()).digest()


CASES = [
    # (name, component ids in export order)
    ("registry and private-use ids", [0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x8001]),
    ("extremes and neighbours", [0x0000, 0xFFFF, 0x7FFF, 0x8000, 0x0001, 0xFFFE]),
    ("grease values, descending", [0x7A7A, 0x5A5A, 0x3A3A, 0x1A1A, 0x0A0A]),
    ("single export", [0x8001]),
]


def main() -> None:
    cases = []
    for i, (name, ids) in enumerate(CASES):
        epoch_secret = deterministic_bytes(f"vmls safe-exporter vector {i}")
        aes = derive_secret(epoch_secret, b"application_export")
        cases.append(
            {
                "description": name,
                "epoch_secret": epoch_secret.hex(),
                "application_export_secret": aes.hex(),
                "exports": [
                    {"component_id": cid, "secret": safe_export_secret(aes, cid).hex()}
                    for cid in ids
                ],
            }
        )
    json.dump(cases, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
