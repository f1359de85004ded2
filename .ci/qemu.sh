#!/usr/bin/env bash
# Runs the firmware example (firmware/) on an emulated Cortex-M4F (QEMU mps2-an386) for groups
# of 2, 16 and 128 members and checks that every step passed (exit status and "ALL PASS").
#   .ci/qemu.sh           firmware profile (compact SHA-2, no curve25519 tables): the CI step
#   .ci/qemu.sh --table   also the fast profile, then prints the budgets table (docs/performance.md)
# Output of each run: firmware/target/<profile>/qemu.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=thumbv7em-none-eabihf
TIMEOUT=${QEMU_TIMEOUT:-300}

if ! command -v qemu-system-arm >/dev/null; then
    echo "installing qemu-system-arm"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq qemu-system-arm >/dev/null
fi
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"

# run <profile> <extra cargo args...>
run() {
    local profile=$1
    shift
    local flags="-C link-arg=-Tlink.x"
    [ "$profile" = firmware ] && flags="$flags --cfg sha2_backend_soft=\"compact\""
    (cd firmware && RUSTFLAGS="$flags" cargo build -q --release --target "$TARGET" \
        --target-dir "target/$profile" "$@")
    local elf="firmware/target/$profile/$TARGET/release/vmls-firmware"
    echo "$profile profile: $(python3 .ci/elf_size.py "$elf")"
    local out="firmware/target/$profile/qemu.txt"
    local t0=$(date +%s) status=0
    # -icount shift=0: one instruction per virtual nanosecond, so SysTick counts instructions.
    timeout "$TIMEOUT" qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
        -monitor none -serial none -semihosting-config enable=on,target=native \
        -icount shift=0 -kernel "$elf" >"$out" 2>&1 || status=$?
    grep -E 'PASS|FAIL|PANIC' "$out" || true
    echo "qemu: exit status $status, $(( $(date +%s) - t0 ))s"
    if [ "$status" != 0 ] || ! grep -qx 'ALL PASS' "$out" ||
        [ "$(grep -c '^N=[0-9]* PASS$' "$out")" != 3 ]; then
        echo "firmware run failed ($profile profile):" >&2
        cat "$out" >&2
        exit 1
    fi
}

run firmware
if [ "${1:-}" = "--table" ]; then
    run fast --features fast
    python3 .ci/fw_table.py firmware/target/firmware firmware/target/fast
fi
