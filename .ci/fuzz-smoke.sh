#!/usr/bin/env bash
# Short smoke run of every cargo-fuzz target of fuzz/ and fuzz-diff/ (nightly; cargo-fuzz
# installed if missing), FUZZ_SECONDS each (default 10), seeded from fuzz/build-corpus.py when
# the published vectors are there. Fails on any crash, timeout or build error.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${FUZZ_SECONDS:-10}"
VECTORS="${VMLS_TEST_VECTORS:-../shared/test-vectors/mlswg}"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
if [ -d "$VECTORS" ]; then
    python3 fuzz/build-corpus.py "$VECTORS"
else
    echo "warning: $VECTORS missing; fuzzing from empty corpora" >&2
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=()
for dir in fuzz fuzz-diff; do
    [ -f "$dir/Cargo.toml" ] || continue
    echo "build $dir"
    cargo +nightly fuzz build --fuzz-dir "$dir" 2>&1 | tail -1
    for t in $(cargo +nightly fuzz list --fuzz-dir "$dir"); do
        mkdir -p "$dir/corpus/$t"
        # Inputs that once crashed a target stay with it (fuzz/regressions/<target>/).
        dirs=("$dir/corpus/$t")
        [ -d "$dir/regressions/$t" ] && dirs+=("$dir/regressions/$t")
        if cargo +nightly fuzz run --fuzz-dir "$dir" "$t" "${dirs[@]}" -- \
            -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=30 >"$log" 2>&1; then
            echo "fuzz $dir/$t ${SECONDS_PER_TARGET}s: $(grep -E '^Done [0-9]+ runs' "$log" | tail -1)"
        else
            echo "fuzz $dir/$t FAILED:"
            tail -60 "$log"
            failed+=("$dir/$t")
        fi
    done
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz targets that crashed: ${failed[*]}" >&2
    exit 1
fi
echo "every fuzz target ran clean"
