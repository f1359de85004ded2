#!/usr/bin/env bash
# The C ABI (crates/vmls-ffi): header check, C conversation test, cross builds.
#  1. builds the host staticlib (release) and checks include/vmls.h against it: the exported
#     vmls_* symbols (nm) are exactly the functions the header declares (prototypes, types and
#     constants are checked by crates/vmls-ffi/tests/header.rs, run in step 2);
#  2. runs the crate's Rust tests once more with the `malloc` feature (Rust's heap over C
#     malloc/free, as on firmware);
#  3. compiles the C test against the header with -std=c11 -Wall -Wextra -Werror -pedantic
#     (and the header alone as C++), links it with the staticlib and runs it;
#  4. cross-builds the staticlib for aarch64-linux-android, aarch64-apple-ios (std, `fast`)
#     and thumbv7em-none-eabihf (no_std, `embedded`, firmware profile: opt-level z, fat LTO,
#     one codegen unit, compact SHA-2), and prints each library's size, and the flash of the
#     Cortex-M4F library when linked.
set -euo pipefail
cd "$(dirname "$0")/.."
CRATE=crates/vmls-ffi
TARGETS=(aarch64-linux-android aarch64-apple-ios thumbv7em-none-eabihf)
t0=$(date +%s)
lap() { echo "--- $* ($(( $(date +%s) - t0 ))s)"; }

installed=$(rustup target list --installed)
for t in "${TARGETS[@]}"; do
    grep -qx "$t" <<<"$installed" || rustup target add "$t"
done

lap "host staticlib (release)"
cargo build -q --release -p vmls-ffi
LIB=target/release/libvmls_ffi.a

lap "header vs. exported symbols"
exported=$(nm -g --defined-only "$LIB" 2>/dev/null | awk '$2 == "T" && $3 ~ /^vmls_/ { print $3 }' | sort -u)
# The preprocessor drops the comments; what is left of the form `vmls_name(` are the prototypes.
declared=$(cc -E -P -x c "$CRATE/include/vmls.h" | grep -oE '\bvmls_[a-z0-9_]+ *\(' | tr -d ' (' | sort -u)
if [ "$exported" != "$declared" ]; then
    echo "include/vmls.h and the static library disagree:" >&2
    diff <(echo "$declared") <(echo "$exported") | sed 's/^</  only in the header:/; s/^>/  only in the library:/' >&2
    exit 1
fi
echo "$(wc -l <<<"$exported") functions, header and library agree"

lap "Rust tests of the ABI with the malloc allocator"
cargo test -q -p vmls-ffi --features malloc

lap "C test: compile against the header, link the staticlib, run"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -std=c11 -Wall -Wextra -Werror -pedantic -I "$CRATE/include" \
    "$CRATE/tests/c/conversation.c" "$LIB" -lpthread -ldl -lm -o "$out/conversation"
c++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only -x c++ "$CRATE/include/vmls.h"
"$out/conversation"

lap "cross builds"
cargo build -q --release -p vmls-ffi --target aarch64-linux-android
cargo build -q --release -p vmls-ffi --target aarch64-apple-ios
# The firmware profile of nostd-check/ and firmware/, for a staticlib: its own target dir so
# the settings do not invalidate the ordinary release builds. `cargo rustc --crate-type
# staticlib`, not `cargo build`: cargo skips LTO for a library that is also an rlib (measured:
# 250.4 KiB linked without LTO, 217.8 KiB with it).
CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=fat \
CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_PANIC=abort \
RUSTFLAGS='--cfg sha2_backend_soft="compact"' \
    cargo rustc -q --release -p vmls-ffi --target thumbv7em-none-eabihf \
    --no-default-features --features embedded --target-dir target/ffi-firmware \
    --crate-type staticlib

lap "staticlib sizes"
# The archive holds the crate and every crate it uses, unlinked; `code` is .text + .rodata +
# .data of all its members (llvm-size; Mach-O: __text, __const, __cstring, __data), an upper
# bound on what a linker keeps. For the Cortex-M4F the flash a C firmware pays is measured by
# linking: rust-lld with every vmls_* function as a root and --gc-sections (the C library's
# malloc/free not included).
size_row() {
    local name=$1 lib=$2 extra=${3:-}
    local bytes code
    bytes=$(stat -c %s "$lib")
    code=$(llvm-size -A "$lib" 2>/dev/null \
        | awk '$1 ~ /^(\.(text|rodata|data)|__text|__const|__cstring|__data)/ { s += $2 } END { printf "%d", s }')
    awk -v n="$name" -v b="$bytes" -v c="$code" -v x="$extra" \
        'BEGIN { printf "| %s | %.1f KiB | %.1f KiB | %s |\n", n, b / 1024, c / 1024, x }'
}
FW_LIB=target/ffi-firmware/thumbv7em-none-eabihf/release/libvmls_ffi.a
LLD=$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/rust-lld
roots=$(sed 's/^/-u /' <<<"$declared")
# shellcheck disable=SC2086
"$LLD" -flavor gnu -o "$out/ffi-thumb.elf" --gc-sections -e vmls_abi_version $roots \
    --unresolved-symbols=ignore-all "$FW_LIB"
flash=$(llvm-size -A "$out/ffi-thumb.elf" \
    | awk '$1 ~ /^\.(text|rodata|data|ARM\.exidx)$/ { s += $2 } END { printf "%.1f KiB", s / 1024 }')
echo "| target | staticlib (.a) | code + data in the archive | linked: all $(wc -l <<<"$declared") functions, --gc-sections |"
echo "| --- | --- | --- | --- |"
size_row "x86_64-unknown-linux-gnu (host, std, fast)" "$LIB" "-"
size_row "aarch64-linux-android (std, fast)" target/aarch64-linux-android/release/libvmls_ffi.a "-"
size_row "aarch64-apple-ios (std, fast)" target/aarch64-apple-ios/release/libvmls_ffi.a "-"
size_row "thumbv7em-none-eabihf (no_std, embedded, firmware profile)" "$FW_LIB" "$flash"
lap "done"
