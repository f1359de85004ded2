#!/usr/bin/env python3
"""The firmware budgets table (README, docs/performance.md) from .ci/qemu.sh runs:

    python3 .ci/fw_table.py firmware/target/firmware firmware/target/fast

Each directory holds the qemu.txt of one profile; the ELF next to it gives the flash."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import elf_size  # noqa: E402

SIZES = [2, 16, 128]
# Operations of the device, in the order of the run; "peer:" ones are the other member's.
OPS = [
    ("create", "create a group (n = 2 only)"),
    ("commit_add", "commit: Add + Welcome (n = 2 only)"),
    ("key_package", "KeyPackage"),
    ("join", "join from the Welcome"),
    ("process_commit", "process a self-update commit"),
    ("commit_update", "self-update commit"),
    ("merge_pending_commit", "merge own commit"),
    ("encrypt_application", "encrypt application message"),
    ("decrypt_application", "decrypt application message"),
    ("encrypt_cbam", "encrypt CBAM"),
    ("decrypt_cbam", "decrypt CBAM"),
    ("to_bytes", "save state blob"),
    ("from_bytes", "restore state blob"),
]
LINE = re.compile(r"N=(\d+) op=(\S+) heap_peak=(\d+) heap_delta=(-?\d+) allocs=(\d+) stack=(\d+) insns=(\d+)")
STATE = re.compile(r"N=(\d+) state_blob=(\d+) state_heap=(\d+)")
WELCOME = re.compile(r"N=(\d+) welcome=(\d+)")


def load(d):
    ops, state, welcome = {}, {}, {}
    with open(os.path.join(d, "qemu.txt")) as f:
        for line in f:
            if m := LINE.match(line):
                n, op = int(m.group(1)), m.group(2)
                ops[(n, op)] = dict(zip(["peak", "delta", "allocs", "stack", "insns"], map(int, m.groups()[2:])))
            elif m := STATE.match(line):
                state[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
            elif m := WELCOME.match(line):
                welcome[int(m.group(1))] = int(m.group(2))
    return ops, state, welcome


def flash(d):
    elf = os.path.join(d, "thumbv7em-none-eabihf", "release", "vmls-firmware")
    s = elf_size.sections(elf)
    return sum(s.get(k, 0) for k in (".text", ".rodata", ".data", ".vector_table"))


def kib(b):
    return f"{b / 1024:.1f}"


def cells(ops, op, key, fmt):
    return " / ".join(fmt(ops[(n, op)][key]) if (n, op) in ops else "-" for n in SIZES)


def main():
    fw, fast = sys.argv[1], sys.argv[2]
    ops, state, welcome = load(fw)
    fops, _, _ = load(fast)
    print(f"Flash of the whole firmware client (`firmware/`: every operation below, .text + .rodata + .data + vector table): "
          f"**{kib(flash(fw))} KiB** firmware profile, **{kib(flash(fast))} KiB** fast profile.\n")
    print("Per operation, n = 2 / 16 / 128 members (the device is the last member to join):\n")
    print("| operation | peak heap, KiB | peak stack, KiB | instructions (M), firmware profile | instructions (M), fast profile |")
    print("| --- | --- | --- | --- | --- |")
    mi = lambda v: f"{v / 1e6:.1f}"  # noqa: E731
    for op, label in OPS:
        print(f"| {label} | {cells(ops, op, 'peak', kib)} | {cells(ops, op, 'stack', kib)} | "
              f"{cells(ops, op, 'insns', mi)} | {cells(fops, op, 'insns', mi)} |")
    print("| Welcome received, bytes | " + " / ".join(str(welcome.get(n, "-")) for n in SIZES) + " | | | |")
    print("| member's state: blob bytes / heap KiB | " + " / ".join(
        f"{state[n][0]} B, {kib(state[n][1])} KiB" for n in SIZES) + " | | | |")
    # RAM a device needs: its state while an operation runs on it, plus the operation's peak
    # heap (join, key package and restore start without a state), plus the deepest stack.
    print("\nRAM the device needs (heap: the largest of its state plus an operation's peak, or the Welcome plus "
          "the join's peak; plus the deepest stack):\n")
    for n in SIZES:
        st = state[n][1]
        need = 0
        for op, _ in OPS:
            o = ops.get((n, op))
            if o is None or op in ("create", "commit_add"):
                continue
            # join starts from the Welcome in RAM, key package and restore from nothing.
            base = {"join": welcome.get(n, 0), "key_package": 0, "from_bytes": 0}.get(op, st)
            need = max(need, base + o["peak"])
        stack = max(o["stack"] for (m, op), o in ops.items() if m == n and not op.startswith("peer:"))
        print(f"- n = {n}: {kib(need)} KiB heap + {kib(stack)} KiB stack = {kib(need + stack)} KiB")


if __name__ == "__main__":
    main()
