#!/usr/bin/env bash
# Short smoke run of every cargo-fuzz target (nightly; cargo-fuzz installed if missing).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-15}"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
for t in $(cargo +nightly fuzz list); do
    echo "fuzz $t for ${SECONDS_PER_TARGET}s"
    cargo +nightly fuzz run "$t" -- -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 2>&1 | tail -3
done
