#!/usr/bin/env python3
"""Where the flash of a firmware ELF goes: sizes of the code and read-only data symbols (GNU nm),
summed by crate and by a few cross-cutting kinds (formatting, sorting), and the largest symbols.

    python3 .ci/flash_breakdown.py <elf> [top-n]

The kinds are checked first, in order: a `<T as core::fmt::Debug>::fmt` counts as formatting,
not as T's crate. Symbols nm does not size (assembly, padding) are the "unattributed" rest of
.text + .rodata."""
import re
import subprocess
import sys
from collections import defaultdict

sys.path.insert(0, __import__("os").path.dirname(__file__))
import elf_size  # noqa: E402

KINDS = [
    ("formatting (core::fmt, Debug/Display impls)", re.compile(r"core::fmt|as core::fmt::|core::panicking|core::unicode")),
    ("slice::sort", re.compile(r"core::slice::sort")),
]


def flash_ranges(elf):
    """Address ranges of .text, .rodata and .data (other sections, e.g. test fixtures, are not
    the client's flash)."""
    out = subprocess.run(["readelf", "-SW", elf], capture_output=True, text=True, check=True).stdout
    ranges = []
    for line in out.splitlines():
        m = re.search(r"\]\s+(\.text|\.rodata|\.data)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", line)
        if m:
            lo = int(m.group(2), 16)
            ranges.append((lo, lo + int(m.group(3), 16)))
    return ranges


def crate_of(name):
    n = name.lstrip("<&*").removeprefix("impl ").removeprefix("dyn ").removeprefix("mut ")
    m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", n)
    return m.group(0) if m else "?"


def main():
    elf = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    out = subprocess.run(["nm", "-S", "-C", "--size-sort", elf], capture_output=True, text=True,
                         check=True).stdout
    ranges = flash_ranges(elf)
    syms = []
    for line in out.splitlines():
        parts = line.split(" ", 3)
        if len(parts) < 4 or parts[2] not in "tTrRdD":
            continue
        addr = int(parts[0], 16)
        if any(lo <= addr < hi for lo, hi in ranges):
            syms.append((int(parts[1], 16), parts[2], parts[3]))
    sec = elf_size.sections(elf)
    flash = sec.get(".text", 0) + sec.get(".rodata", 0) + sec.get(".data", 0) + sec.get(".vector_table", 0)
    by = defaultdict(int)
    for size, _, name in syms:
        for kind, rx in KINDS:
            if rx.search(name):
                by[kind] += size
                break
        else:
            by[crate_of(name)] += size
    attributed = sum(by.values())
    print(f"flash {flash} bytes ({flash / 1024:.1f} KiB); by crate or kind:")
    rows = sorted(by.items(), key=lambda kv: -kv[1])
    for k, v in rows[:20]:
        print(f"  {v / 1024:7.1f} KiB  {k}")
    rest = sum(v for _, v in rows[20:])
    print(f"  {rest / 1024:7.1f} KiB  {len(rows) - 20} others (compiler outlined helpers, small crates)")
    print(f"  {(flash - attributed) / 1024:7.1f} KiB  unattributed (vector table, unnamed data, padding)")
    print(f"largest {top} symbols:")
    for size, _, name in sorted(syms, reverse=True)[:top]:
        print(f"  {size:7d}  {name[:150]}")


if __name__ == "__main__":
    main()
