#!/usr/bin/env python3
"""Generates test-vectors/vmls/cbst.json and test-vectors/vmls/cbam.json: vectors for the
challenge-based secret tree (CBST) and challenge-based application messages (CBAM) of
draft-kohbrok-mls-virtual-clients-03 ("Challenge-based application message encryption"), with the
choices pinned in /work/shared/specs/CBST-CBAM.md (docs/spec-decisions.md).

This is an independent implementation (Python standard library plus `cryptography` for Ed25519 and
ChaCha20Poly1305) so that the expected values do not come from the Rust code under test.
Cipher suite 0x0003 (MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519): KDF.Nh = 32,
AEAD.Nk = 32, AEAD.Nn = 12. ExpandWithLabel / DeriveSecret / SignWithLabel are RFC 9420's
(label prefix "MLS 1.0 "), `<V>` is the RFC 9420 varint length prefix (minimal encoding).

Forward-secure exporter (as in gen_safe_exporter.py):
    application_export_secret = DeriveSecret(epoch_secret, "application_export")
    SafeExportSecret(0x8001)  = leaf 0x8001 of a 2^16-leaf tree, children
                                ExpandWithLabel(node, "tree", "left"|"right", 32), bits MSB first
    MLS-FS-Export(label, context, length)
                              = ExpandWithLabel(SafeExportSecret(0x8001), label, context, length)

CBST (cbst.json):
    cbst_root = MLS-FS-Export("CBST", "", 32)
    left(N)   = ExpandWithLabel(N, "CBST", "left", 32);  right(N) = ExpandWithLabel(N, "CBST", "right", 32)
    leaf(C)   = the node reached by the 256 bits of challenge C, first octet's MSB first (0 = left)
    key[C]    = ExpandWithLabel(leaf(C), "CBST", "key", 32)
    nonce[C]  = ExpandWithLabel(leaf(C), "CBST", "nonce", 12)
  Each case: an epoch_secret and 4-6 challenges (edge values: all-zero, all-0xff, 0x80 00..00,
  0x7f ff..ff, pairs differing only in the last bit, plus pseudo-random ones), each with key/nonce.

CBAM (cbam.json):
    struct { optional<GroupChallengeContext> subgroup_context; uint32 leaf_index;
             opaque confirmation_tag<V>; } GroupChallengeContext;
    struct { GroupChallengeContext group_challenge_context; uint32 generation;
             opaque application_context<V>; } ChallengeContext;
    challenge = ExpandWithLabel(challenge_seed, "CBAM Challenge", ChallengeContext, 32)
  `contexts` lists the GroupChallengeContexts outermost first: contexts[0] is the sending group's
  (leaf_index == sender_index), contexts[1] the emulation group's (encoded as contexts[0]'s
  subgroup_context), ..., the last one (the real client's) has subgroup_context absent.
    CBAMSender            { opaque challenge<V>; uint32 sender_index; }
    CBAMFramedContent     { opaque group_id<V>; uint64 epoch; CBAMSender sender;
                            opaque authenticated_data<V>; opaque application_data<V>; }
    CBAMFramedContentTBS  { uint16 version = 1; uint16 wire_format = 0xF0CB;
                            CBAMFramedContent content; GroupContext context; }
    signature             = Ed25519(SignContent{ "MLS 1.0 CBAMFramedContentTBS", TBS })
    CBAMPrivateMessageContent { opaque application_data<V>; opaque signature<V>; padding (zeros) }
    CBAMPrivateContentAAD { opaque group_id<V>; uint64 epoch; opaque authenticated_data<V>; }
    ciphertext            = ChaCha20Poly1305(key[C]).Seal(nonce[C], AAD, content)
    cbam_sender_data_secret = MLS-FS-Export("CBAM Sender Data Secret", "", 32)
    ciphertext_sample     = ciphertext[0:32] (all of it if shorter)
    sender_data_key/nonce = ExpandWithLabel(cbam_sender_data_secret, "key"|"nonce", sample, 32|12)
    CBAMSenderDataAAD     { opaque group_id<V>; uint64 epoch; }
    encrypted_sender_data = ChaCha20Poly1305(sender_data_key).Seal(sender_data_nonce,
                                                                    SenderDataAAD, CBAMSender)
    CBAMPrivateMessage    { opaque group_id<V>; uint64 epoch; opaque authenticated_data<V>;
                            opaque encrypted_sender_data<V>; opaque ciphertext<V>; }
    message = CBAMMLSMessage { uint16 version = 1; uint16 wire_format = 0xF0CB; CBAMPrivateMessage }
  The GroupContext (RFC 9420 8.1: version 1, cipher_suite 3, group_id, epoch, tree_hash<V>,
  confirmed_transcript_hash<V>, extensions<V> empty) is given encoded. Besides the fields asked
  for, each case also carries `description`, `challenge_context` (encoded ChallengeContext) and
  `signature` (Ed25519 is deterministic) to help debugging.

Self-checks (asserted on every run): ExpandWithLabel and DeriveSecret against the cipher suite 3
entries of the MLS WG crypto-basics.json vector; SignWithLabel's SignContent encoding by verifying
its sign_with_label signature; the safe-exporter tree against test-vectors/vmls/safe-exporter.json;
every produced message is parsed back, the sender data and content decrypted, padding and signature
checked, and the challenge re-derived from the decoded sender.

All inputs are derived deterministically (SHA-256 of a tag), so the output is reproducible.
Run from the repository root: python3 test-vectors/vmls/gen_cbst_cbam.py  (prints nothing,
writes both files next to this script).
"""
import hashlib
import hmac
import json
import os

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = os.path.dirname(os.path.abspath(__file__))
CRYPTO_BASICS = "/work/shared/test-vectors/mlswg/crypto-basics.json"
SAFE_EXPORTER = os.path.join(HERE, "safe-exporter.json")

NH = 32
NK = 32
NN = 12
COMPONENT_ID = 0x8001
WIRE_FORMAT_CBAM = 0xF0CB
MLS10 = 1
CIPHER_SUITE = 3


# ---------------------------------------------------------------- encoding (RFC 9420 2.1)

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


def u8(n: int) -> bytes:
    return n.to_bytes(1, "big")


def u16(n: int) -> bytes:
    return n.to_bytes(2, "big")


def u32(n: int) -> bytes:
    return n.to_bytes(4, "big")


def u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


class Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        assert self.pos + n <= len(self.data), "truncated"
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def varint(self) -> int:
        first = self.data[self.pos]
        prefix = first >> 6
        assert prefix != 3, "invalid varint prefix"
        size = 1 << prefix
        v = self.uint(size) & ((1 << (8 * size - 2)) - 1)
        assert varint(v) == self.data[self.pos - size:self.pos], "non-minimal varint"
        return v

    def opaque(self) -> bytes:
        return self.take(self.varint())

    def done(self) -> bool:
        return self.pos == len(self.data)


# ---------------------------------------------------------------- key schedule helpers

def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def expand_with_label(secret: bytes, label: bytes, context: bytes, length: int) -> bytes:
    kdf_label = u16(length) + opaque(b"MLS 1.0 " + label) + opaque(context)
    return hkdf_expand(secret, kdf_label, length)


def derive_secret(secret: bytes, label: bytes) -> bytes:
    return expand_with_label(secret, label, b"", NH)


def safe_export_secret(application_export_secret: bytes, component_id: int) -> bytes:
    node = application_export_secret
    for bit in range(15, -1, -1):
        side = b"right" if (component_id >> bit) & 1 else b"left"
        node = expand_with_label(node, b"tree", side, NH)
    return node


def mls_fs_export(epoch_secret: bytes, label: bytes, context: bytes, length: int) -> bytes:
    aes = derive_secret(epoch_secret, b"application_export")
    return expand_with_label(safe_export_secret(aes, COMPONENT_ID), label, context, length)


def sign_content(label: bytes, content: bytes) -> bytes:
    return opaque(b"MLS 1.0 " + label) + opaque(content)


def deterministic_bytes(tag: str, length: int = 32) -> bytes:
    # Fixed, reproducible inputs (not secret): SHA-256 of a tag, extended by counter if needed.
    out, i = b"", 0
    while len(out) < length:
        out += hashlib.sha256(f"{tag}#{i}".encode() if i else tag.encode()).digest()
        i += 1
    return out[:length]


# ---------------------------------------------------------------- CBST

def cbst_root(epoch_secret: bytes) -> bytes:
    return mls_fs_export(epoch_secret, b"CBST", b"", NH)


def cbst_leaf(root: bytes, challenge: bytes) -> bytes:
    assert len(challenge) == NH
    node = root
    for byte in challenge:
        for bit in range(7, -1, -1):
            side = b"right" if (byte >> bit) & 1 else b"left"
            node = expand_with_label(node, b"CBST", side, NH)
    return node


def cbst_key_nonce(root: bytes, challenge: bytes):
    leaf = cbst_leaf(root, challenge)
    return (expand_with_label(leaf, b"CBST", b"key", NK),
            expand_with_label(leaf, b"CBST", b"nonce", NN))


# ---------------------------------------------------------------- CBAM

def encode_group_challenge_context(contexts) -> bytes:
    """contexts: list of (leaf_index, confirmation_tag), outermost first."""
    leaf_index, tag = contexts[0]
    if len(contexts) > 1:
        sub = u8(1) + encode_group_challenge_context(contexts[1:])
    else:
        sub = u8(0)
    return sub + u32(leaf_index) + opaque(tag)


def encode_challenge_context(contexts, generation: int, application_context: bytes) -> bytes:
    return (encode_group_challenge_context(contexts) + u32(generation)
            + opaque(application_context))


def derive_challenge(seed: bytes, challenge_context: bytes) -> bytes:
    return expand_with_label(seed, b"CBAM Challenge", challenge_context, NH)


def encode_group_context(group_id, epoch, tree_hash, confirmed_transcript_hash) -> bytes:
    return (u16(MLS10) + u16(CIPHER_SUITE) + opaque(group_id) + u64(epoch) + opaque(tree_hash)
            + opaque(confirmed_transcript_hash) + opaque(b""))


def encode_sender(challenge: bytes, sender_index: int) -> bytes:
    return opaque(challenge) + u32(sender_index)


def encode_tbs(group_id, epoch, sender, aad, app_data, group_context) -> bytes:
    content = opaque(group_id) + u64(epoch) + sender + opaque(aad) + opaque(app_data)
    return u16(MLS10) + u16(WIRE_FORMAT_CBAM) + content + group_context


def content_aad(group_id, epoch, aad) -> bytes:
    return opaque(group_id) + u64(epoch) + opaque(aad)


def sender_data_aad(group_id, epoch) -> bytes:
    return opaque(group_id) + u64(epoch)


def sender_data_key_nonce(sender_data_secret: bytes, ciphertext: bytes):
    sample = ciphertext[:NH]
    return (expand_with_label(sender_data_secret, b"key", sample, NK),
            expand_with_label(sender_data_secret, b"nonce", sample, NN))


def seal_message(epoch_secret, group_context, group_id, epoch, sig_seed, challenge,
                 sender_index, aad, plaintext, padding):
    sk = Ed25519PrivateKey.from_private_bytes(sig_seed)
    sender = encode_sender(challenge, sender_index)
    tbs = encode_tbs(group_id, epoch, sender, aad, plaintext, group_context)
    signature = sk.sign(sign_content(b"CBAMFramedContentTBS", tbs))
    pt = opaque(plaintext) + opaque(signature) + bytes(padding)
    key, nonce = cbst_key_nonce(cbst_root(epoch_secret), challenge)
    ciphertext = ChaCha20Poly1305(key).encrypt(nonce, pt, content_aad(group_id, epoch, aad))
    sds = mls_fs_export(epoch_secret, b"CBAM Sender Data Secret", b"", NH)
    sd_key, sd_nonce = sender_data_key_nonce(sds, ciphertext)
    esd = ChaCha20Poly1305(sd_key).encrypt(sd_nonce, sender, sender_data_aad(group_id, epoch))
    private_message = (opaque(group_id) + u64(epoch) + opaque(aad) + opaque(esd)
                       + opaque(ciphertext))
    return u16(MLS10) + u16(WIRE_FORMAT_CBAM) + private_message, signature


def open_message(message, epoch_secret, group_context, sig_public):
    """Independent parse + decrypt + verify; returns the decoded fields."""
    r = Reader(message)
    assert r.uint(2) == MLS10
    assert r.uint(2) == WIRE_FORMAT_CBAM
    group_id = r.opaque()
    epoch = r.uint(8)
    aad = r.opaque()
    esd = r.opaque()
    ciphertext = r.opaque()
    assert r.done()
    sds = mls_fs_export(epoch_secret, b"CBAM Sender Data Secret", b"", NH)
    sd_key, sd_nonce = sender_data_key_nonce(sds, ciphertext)
    sender = ChaCha20Poly1305(sd_key).decrypt(sd_nonce, esd, sender_data_aad(group_id, epoch))
    rs = Reader(sender)
    challenge = rs.opaque()
    sender_index = rs.uint(4)
    assert rs.done() and len(challenge) == NH
    key, nonce = cbst_key_nonce(cbst_root(epoch_secret), challenge)
    pt = ChaCha20Poly1305(key).decrypt(nonce, ciphertext, content_aad(group_id, epoch, aad))
    rp = Reader(pt)
    app_data = rp.opaque()
    signature = rp.opaque()
    padding = rp.take(len(pt) - rp.pos)
    assert padding == bytes(len(padding)), "non-zero padding"
    tbs = encode_tbs(group_id, epoch, sender, aad, app_data, group_context)
    Ed25519PublicKey.from_public_bytes(sig_public).verify(
        signature, sign_content(b"CBAMFramedContentTBS", tbs))
    return {"group_id": group_id, "epoch": epoch, "authenticated_data": aad,
            "challenge": challenge, "sender_index": sender_index, "plaintext": app_data,
            "signature": signature, "padding": len(padding)}


# ---------------------------------------------------------------- self-checks

def self_check_crypto_basics() -> None:
    with open(CRYPTO_BASICS) as f:
        vectors = json.load(f)
    v = next(x for x in vectors if x["cipher_suite"] == CIPHER_SUITE)
    e = v["expand_with_label"]
    assert expand_with_label(bytes.fromhex(e["secret"]), e["label"].encode(),
                             bytes.fromhex(e["context"]), e["length"]) == bytes.fromhex(e["out"])
    d = v["derive_secret"]
    assert derive_secret(bytes.fromhex(d["secret"]), d["label"].encode()) == bytes.fromhex(d["out"])
    s = v["sign_with_label"]
    pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(s["pub"]))
    msg = sign_content(s["label"].encode(), bytes.fromhex(s["content"]))
    pub.verify(bytes.fromhex(s["signature"]), msg)  # raises on mismatch
    sk = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(s["priv"]))
    assert sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) == bytes.fromhex(s["pub"])
    assert sk.sign(msg) == bytes.fromhex(s["signature"])  # Ed25519 is deterministic


def self_check_safe_exporter() -> None:
    with open(SAFE_EXPORTER) as f:
        cases = json.load(f)
    assert cases
    for case in cases:
        aes = derive_secret(bytes.fromhex(case["epoch_secret"]), b"application_export")
        assert aes == bytes.fromhex(case["application_export_secret"])
        for ex in case["exports"]:
            assert safe_export_secret(aes, ex["component_id"]) == bytes.fromhex(ex["secret"])


def self_check_encoders() -> None:
    # RFC 9420 section 2.1.2 examples.
    assert varint(37) == bytes.fromhex("25")
    assert varint(15293) == bytes.fromhex("7bbd")
    assert varint(494878333) == bytes.fromhex("9d7f3e7d")
    # Nesting: contexts[1] is contexts[0]'s subgroup_context.
    enc = encode_group_challenge_context([(1, b"\xaa"), (2, b"\xbb")])
    assert enc == bytes.fromhex("01" "00" "00000002" "01bb" "00000001" "01aa")


# ---------------------------------------------------------------- vector cases

def cbst_cases():
    zero = bytes(32)
    ff = b"\xff" * 32
    top = b"\x80" + bytes(31)
    r = [deterministic_bytes(f"vmls cbst random challenge {i}") for i in range(8)]
    flip = lambda c: c[:-1] + bytes([c[-1] ^ 1])
    specs = [
        ("edges: all-zero, all-0xff, 0x80||0..0, 0x7f||ff..ff, random",
         [zero, ff, top, b"\x7f" + b"\xff" * 31, r[0]]),
        ("pairs differing only in the last bit (long shared prefix), random",
         [r[1], flip(r[1]), zero[:-1] + b"\x01", flip(ff), r[2], r[3]]),
        ("random challenges",
         [r[4], r[5], r[6], r[7]]),
        ("single-bit challenges",
         [b"\x40" + bytes(31), bytes(16) + b"\x80" + bytes(15), bytes(31) + b"\x80", ff[:-1] + b"\x7f"]),
    ]
    cases = []
    for i, (name, challenges) in enumerate(specs):
        assert 4 <= len(challenges) <= 6 and len(set(challenges)) == len(challenges)
        epoch_secret = deterministic_bytes(f"vmls cbst vector {i}")
        root = cbst_root(epoch_secret)
        out = []
        for c in challenges:
            key, nonce = cbst_key_nonce(root, c)
            out.append({"challenge": c.hex(), "key": key.hex(), "nonce": nonce.hex()})
        cases.append({"description": name, "epoch_secret": epoch_secret.hex(),
                      "cbst_root": root.hex(), "challenges": out})
    return cases


# (description, group_id, epoch, number of context levels, generation, application_context,
#  authenticated_data, plaintext, padding)
CBAM_SPECS = [
    ("real client (one context), short plaintext, no padding",
     b"vmls group A", 1, 1, 0, b"", b"", b"hello, CBAM", 0),
    ("virtual client, 2 levels (emulator is real)",
     b"vmls group B", 7, 2, 5, b"", b"", b"message from a virtual client", 0),
    ("virtual client, 3 levels, generation near 2^32-1",
     b"vmls group C", 0x0102030405060708, 3, 0xFFFFFFFE, b"", b"", b"three levels deep", 4),
    ("empty plaintext",
     b"vmls group D", 0, 1, 1, b"", b"", b"", 0),
    ("1000-byte plaintext with 7 bytes of padding, 2 levels",
     b"vmls group E", 42, 2, 123456, b"", b"",
     deterministic_bytes("vmls cbam plaintext 1000", 1000), 7),
    ("non-empty authenticated_data and application_context, 70-byte group id",
     deterministic_bytes("vmls cbam group id 70", 70), 3, 2, 9,
     b"application context: chat", b"authenticated data\x00\x01\x02", b"with AAD", 2),
    ("extremes: 1-byte group id, epoch 2^64-1, 1-byte application_context and authenticated_data",
     b"g", 2**64 - 1, 1, 0xFFFFFFFE, b"\x00", b"\xff", b"x", 1),
]


def cbam_cases():
    cases = []
    for i, (name, group_id, epoch, levels, generation, app_ctx, aad, plaintext,
            padding) in enumerate(CBAM_SPECS):
        t = f"vmls cbam vector {i}"
        epoch_secret = deterministic_bytes(t + " epoch_secret")
        tree_hash = deterministic_bytes(t + " tree_hash")
        cth = deterministic_bytes(t + " confirmed_transcript_hash")
        group_context = encode_group_context(group_id, epoch, tree_hash, cth)
        sig_seed = deterministic_bytes(t + " signature seed")
        sig_public = Ed25519PrivateKey.from_private_bytes(sig_seed).public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw)
        contexts = []
        for lvl in range(levels):
            leaf_index = int.from_bytes(deterministic_bytes(f"{t} leaf {lvl}")[:2], "big") % 50
            contexts.append((leaf_index, deterministic_bytes(f"{t} confirmation_tag {lvl}")))
        if i == 2:
            contexts[0] = (0xFFFFFFFE, contexts[0][1])  # large uint32 leaf index
        sender_index = contexts[0][0]
        seed = deterministic_bytes(t + " challenge_seed")
        gcc = encode_group_challenge_context(contexts)
        cc = encode_challenge_context(contexts, generation, app_ctx)
        challenge = derive_challenge(seed, cc)
        root = cbst_root(epoch_secret)
        key, nonce = cbst_key_nonce(root, challenge)
        sds = mls_fs_export(epoch_secret, b"CBAM Sender Data Secret", b"", NH)
        message, signature = seal_message(epoch_secret, group_context, group_id, epoch, sig_seed,
                                          challenge, sender_index, aad, plaintext, padding)
        # Round trip with the independent decoder.
        opened = open_message(message, epoch_secret, group_context, sig_public)
        assert opened == {"group_id": group_id, "epoch": epoch, "authenticated_data": aad,
                          "challenge": challenge, "sender_index": sender_index,
                          "plaintext": plaintext, "signature": signature, "padding": padding}
        assert derive_challenge(seed, encode_challenge_context(contexts, generation, app_ctx)) \
            == opened["challenge"]
        cases.append({
            "description": name,
            "epoch_secret": epoch_secret.hex(),
            "group_context": group_context.hex(),
            "group_id": group_id.hex(),
            "epoch": epoch,
            "signature_private": sig_seed.hex(),
            "signature_public": sig_public.hex(),
            "sender_index": sender_index,
            "contexts": [{"leaf_index": li, "confirmation_tag": tag.hex()}
                         for li, tag in contexts],
            "group_challenge_context": gcc.hex(),
            "generation": generation,
            "application_context": app_ctx.hex(),
            "challenge_seed": seed.hex(),
            "challenge_context": cc.hex(),
            "authenticated_data": aad.hex(),
            "plaintext": plaintext.hex(),
            "padding": padding,
            "challenge": challenge.hex(),
            "cbst_root": root.hex(),
            "sender_data_secret": sds.hex(),
            "key": key.hex(),
            "nonce": nonce.hex(),
            "signature": signature.hex(),
            "message": message.hex(),
        })
    return cases


def write(name: str, obj) -> None:
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def main() -> None:
    self_check_encoders()
    self_check_crypto_basics()
    self_check_safe_exporter()
    write("cbst.json", {
        "description": "CBST (draft-kohbrok-mls-virtual-clients-03 5.5.6, pinned in CBST-CBAM.md), "
                       "cipher suite 0x0003: cbst_root = MLS-FS-Export(\"CBST\", \"\", 32) with "
                       "MLS-FS-Export = ExpandWithLabel(SafeExportSecret(0x8001), ...); "
                       "children ExpandWithLabel(N, \"CBST\", \"left\"|\"right\", 32); leaf = the "
                       "256 challenge bits, first octet's MSB first (0 = left); key = "
                       "ExpandWithLabel(leaf, \"CBST\", \"key\", 32), nonce = "
                       "ExpandWithLabel(leaf, \"CBST\", \"nonce\", 12). Generated by "
                       "gen_cbst_cbam.py.",
        "cases": cbst_cases(),
    })
    write("cbam.json", {
        "description": "CBAM messages (draft-kohbrok-mls-virtual-clients-03 5.5, pinned in "
                       "CBST-CBAM.md), cipher suite 0x0003, wire format 0xF0CB. contexts are "
                       "outermost first (contexts[1] is encoded as contexts[0]'s subgroup_context); "
                       "challenge = ExpandWithLabel(challenge_seed, \"CBAM Challenge\", "
                       "ChallengeContext, 32); message = encoded CBAMMLSMessage. Generated by "
                       "gen_cbst_cbam.py.",
        "cases": cbam_cases(),
    })


if __name__ == "__main__":
    main()
