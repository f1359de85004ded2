#!/usr/bin/env python3
"""Prints the .text, .rodata and .data sizes of an ELF file (flash footprint = text + rodata + data)."""
import struct
import sys


def sections(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF":
        raise SystemExit(f"{path}: not an ELF file")
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    if is64:
        shoff, = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3A)
    else:
        shoff, = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x2E)
    heads = []
    for i in range(shnum):
        off = shoff + i * shentsize
        if is64:
            name, _, _, _, _, size = struct.unpack_from(end + "IIQQQQ", data, off)
            sh_offset = struct.unpack_from(end + "Q", data, off + 0x18)[0]
        else:
            name, _, _, _, sh_offset, size = struct.unpack_from(end + "IIIIII", data, off)
        heads.append((name, sh_offset, size))
    strtab_off = heads[shstrndx][1]
    out = {}
    for name, _, size in heads:
        s = data[strtab_off + name: data.index(b"\0", strtab_off + name)].decode()
        out[s] = size
    return out


def main():
    s = sections(sys.argv[1])
    text, rodata, data = s.get(".text", 0), s.get(".rodata", 0), s.get(".data", 0)
    vt = s.get(".vector_table", 0)
    total = text + rodata + data + vt
    print(f"text={text} rodata={rodata} data={data} vector_table={vt} flash={total} ({total / 1024:.1f} KiB)")


if __name__ == "__main__":
    main()
