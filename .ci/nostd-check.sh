#!/usr/bin/env bash
# no_std proof that cannot lie:
#  (a) every library crate builds alone for thumbv7em-none-eabihf (no std there at all), and
#  (b) a #![no_std] #![no_main] Cortex-M4 binary that calls into the crates links.
# Then it reports the flash footprint (.text + .rodata + .data + vector table) of that binary in
# the firmware profile (compact sha2, no curve25519 tables) and the fast profile (tables on).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=thumbv7em-none-eabihf
if ! rustup target list --installed | grep -qx "$TARGET"; then
    rustup target add "$TARGET"
fi

LIB_CRATES=(vmls-codec vmls-crypto vmls-tree vmls-keyschedule vmls-secret-tree vmls-cbst vmls-group vmls-emulation vmls)
# One crate at a time: cargo would otherwise merge features across the selected packages.
for c in "${LIB_CRATES[@]}"; do
    echo "no_std build: $c"
    cargo build -q --target "$TARGET" --no-default-features -p "$c"
done

cd nostd-check
LINK="-C link-arg=-Tlink.x"
echo "firmware profile (compact sha2, no curve tables):"
RUSTFLAGS="$LINK --cfg sha2_backend_soft=\"compact\"" \
    cargo build -q --release --target-dir target/firmware
python3 ../.ci/elf_size.py target/firmware/$TARGET/release/vmls-nostd-check
echo "firmware profile, layers below the group engine only (codec, crypto, tree, key schedule):"
RUSTFLAGS="$LINK --cfg sha2_backend_soft=\"compact\"" \
    cargo build -q --release --no-default-features --target-dir target/firmware-core
python3 ../.ci/elf_size.py target/firmware-core/$TARGET/release/vmls-nostd-check
echo "fast profile (unrolled sha2, curve25519 precomputed tables):"
RUSTFLAGS="$LINK" cargo build -q --release --features fast --target-dir target/fast
python3 ../.ci/elf_size.py target/fast/$TARGET/release/vmls-nostd-check
