#!/usr/bin/env python3
"""Builds seed corpora for every fuzz target (fuzz/ and fuzz-diff/) from the published MLS
vectors and the project's own vectors (issue 21). Python 3 standard library only.

    python3 fuzz/build-corpus.py [MLSWG_VECTOR_DIR]

MLSWG_VECTOR_DIR defaults to ../shared/test-vectors/mlswg (relative to the repository root).
Writes fuzz/corpus/<target>/<sha1> and fuzz-diff/corpus/<target>/<sha1> (both git-ignored).
Targets that take a selector byte (rt_*) get seeds as `selector || bytes`. The structure-aware
targets (*_structured) take `arbitrary` input: they get a few short seeds that pick each of
their prepared messages, since their real seeds are the live messages built inside the target.
"""
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MLS_PREFIXES = ("0001000",)  # version mls10 followed by a wire format 0x0001..0x0005


def hex_fields(node, key="", out=None):
    """Every (key, bytes) pair of a JSON tree whose value is a non-empty even-length hex string."""
    if out is None:
        out = []
    if isinstance(node, dict):
        for k, v in node.items():
            hex_fields(v, k, out)
    elif isinstance(node, list):
        for v in node:
            hex_fields(v, key, out)
    elif isinstance(node, str) and node and len(node) % 2 == 0:
        try:
            out.append((key, bytes.fromhex(node)))
        except ValueError:
            pass
    return out


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


class Reader:
    """Just enough of RFC 9420 section 2.1 to find a LeafNode inside a KeyPackage."""

    def __init__(self, b, pos=0):
        self.b, self.pos = b, pos

    def take(self, n):
        if self.pos + n > len(self.b):
            raise ValueError("short")
        s = self.b[self.pos : self.pos + n]
        self.pos += n
        return s

    def varint(self):
        first = self.take(1)[0]
        n = 1 << (first >> 6)
        if n == 8:
            raise ValueError("bad varint")
        v = first & 0x3F
        for x in self.take(n - 1):
            v = (v << 8) | x
        return v

    def vec(self):
        return self.take(self.varint())

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return int.from_bytes(self.take(2), "big")


def leaf_node_of_key_package(kp):
    """The LeafNode bytes of a bare KeyPackage (RFC 9420 sections 7.2 and 10)."""
    r = Reader(kp)
    r.u16()  # version
    r.u16()  # cipher_suite
    r.vec()  # init_key
    start = r.pos
    r.vec()  # encryption_key
    r.vec()  # signature_key
    ctype = r.u16()
    if ctype in (1, 2):
        r.vec()  # identity, or the certificates vector
    else:
        r.vec()
    for _ in range(5):  # capabilities: versions, cipher_suites, extensions, proposals, credentials
        r.vec()
    source = r.u8()
    if source == 1:
        r.take(16)
    elif source == 3:
        r.vec()
    r.vec()  # extensions
    r.vec()  # signature
    return kp[start : r.pos]


def main():
    vec_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "test-vectors", "mlswg")
    corpus = {}

    def add(target, data, selector=None):
        if selector is not None:
            data = bytes([selector]) + data
        corpus.setdefault(target, set()).add(bytes(data))

    fields = []
    if os.path.isdir(vec_dir):
        for name in sorted(os.listdir(vec_dir)):
            if name.endswith(".json"):
                d = load(os.path.join(vec_dir, name))
                if d is not None:
                    fields += [(name, k, v) for k, v in hex_fields(d)]
    else:
        print(f"warning: {vec_dir} missing; only the project's own vectors are used", file=sys.stderr)
    own_dir = os.path.join(ROOT, "test-vectors", "vmls")
    for name in sorted(os.listdir(own_dir)):
        if name.endswith(".json"):
            d = load(os.path.join(own_dir, name))
            if d is not None:
                fields += [("vmls/" + name, k, v) for k, v in hex_fields(d)]

    proposal_keys = {
        "add_proposal", "update_proposal", "remove_proposal", "pre_shared_key_proposal",
        "re_init_proposal", "external_init_proposal", "group_context_extensions_proposal",
    }
    for src, key, b in fields:
        is_mls = b.hex().startswith(MLS_PREFIXES) and len(b) > 4
        if key == "vlbytes_header":
            add("codec_varint", b)
        if is_mls or key in ("message", "alice_message", "commit_pub", "commit_priv", "proposal_pub",
                             "proposal_priv", "application_priv"):
            add("mls_message", b)
            add("group_process", b)
            add("mls_message_diff", b)
        if key in ("welcome", "mls_welcome") and is_mls:
            add("rt_welcome_tree", b[4:], 0)
        if key == "mls_group_info" and is_mls:
            add("rt_welcome_tree", b[4:], 1)
            add("mls_message", b[4:])
        if key == "group_secrets":
            add("rt_welcome_tree", b, 2)
            add("mls_message", b)
        if key in ("ratchet_tree", "tree", "tree_before", "tree_after"):
            add("rt_welcome_tree", b, 3)
            add("tree_node", b)
        if key in proposal_keys or (key == "proposal" and src == "tree-operations.json"):
            add("rt_proposal_commit", b, 0)
        if key == "commit" and src == "messages.json":
            add("rt_proposal_commit", b, 1)
        if key == "update_path":
            add("rt_proposal_commit", b, 2)
            add("tree_node", b)
        if key in ("key_package", "mls_key_package"):
            kp = b[4:] if is_mls else b
            add("rt_leaf_keypackage", kp, 1)
            add("mls_message", kp)
            try:
                leaf = leaf_node_of_key_package(kp)
                add("rt_leaf_keypackage", leaf, 0)
                add("tree_node", b"\x01" + leaf)
            except (ValueError, IndexError):
                pass
        if key in ("state",) and src.startswith("vmls/group-state"):
            add("cbam_vc_state", b)
        if key in ("virtual_client_actions", "authenticated_data") and src == "vmls/emulation.json":
            add("cbam_vc_state", b)
        if key == "message" and src == "vmls/cbam.json":
            add("cbam_vc_state", b)
        if key == "chunk" or (src == "vmls/emulation.json" and key in ("data", "bytes")):
            add("rt_provision_emulator", b, 1)
    # The provision announcement's detail (a fixed 48-byte struct) from the emulation vectors'
    # provision action: uint32 leaf, digest, uint32 len, uint64 epoch.
    emu = load(os.path.join(own_dir, "emulation.json")) or {}
    for case in emu.get("cases", []):
        if "snapshot" in case:
            digest = bytes.fromhex(case["snapshot"])[:32].ljust(32, b"\0")
            add("rt_provision_emulator", (3).to_bytes(4, "big") + digest + (1000).to_bytes(4, "big")
                + (7).to_bytes(8, "big"), 0)
            add("rt_provision_emulator", digest + (0).to_bytes(4, "big") + b"\x04abcd", 1)
    # The live emulator blob (selector 3) as is, and with one small edit of each kind.
    for s in (b"", b"\x00\x10\x01\xff", b"\x01\x00\x41\x00", b"\x02\x00\x82"):
        add("rt_provision_emulator", s, 3)
    # Structure-aware targets: one short seed per prepared message and mutation kind.
    for t in ("member_structured", "joiner_structured", "emulator_structured"):
        for i in range(16):
            add(t, bytes([i, 0, 0, 0]))
            add(t, bytes([i, 1, (i * 7) & 0xFF, 3, 0, 2]))

    written = 0
    for target, seeds in sorted(corpus.items()):
        base = "fuzz-diff" if target.endswith("_diff") else "fuzz"
        d = os.path.join(ROOT, base, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for s in seeds:
            with open(os.path.join(d, hashlib.sha1(s).hexdigest()), "wb") as f:
                f.write(s)
        written += len(seeds)
        print(f"{base}/corpus/{target}: {len(seeds)} seeds")
    print(f"{written} seeds written")


if __name__ == "__main__":
    main()
