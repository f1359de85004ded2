#!/usr/bin/env bash
# Cross-implementation interop suite (interop/, its own workspace): vmls against OpenMLS 0.9 and
# mls-rs 0.57 for every ordered pair (creator, joiner) with a third member of each kind, the
# negative controls, and a fixed sample of the hostile-input run.
#   INTEROP_MUTATIONS=full  runs every mutant of every recorded message instead (~15 min).
set -euo pipefail
cd "$(dirname "$0")/../interop"
export CARGO_TARGET_DIR="${INTEROP_TARGET_DIR:-$PWD/target}"
start=$(date +%s)
cargo fmt --check
# Not --locked: the vmls crates are path dependencies, and a change of their dependencies
# (inside this repository) updates their entries in interop/Cargo.lock; the peers and every
# registry crate stay at the versions the committed lock file pins.
cargo build --release
echo "interop build: $(( $(date +%s) - start ))s"
"$CARGO_TARGET_DIR/release/vmls-interop" --mutations "${INTEROP_MUTATIONS:-sample}"
echo "interop build + run: $(( $(date +%s) - start ))s"
