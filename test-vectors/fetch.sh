#!/usr/bin/env bash
# Downloads the published MLS interoperability vectors (mlswg/mls-implementations, test-vectors/*.json)
# at the pinned commit into test-vectors/mlswg/ and checks them against mlswg.SHA256SUMS.
# The vector files are not committed to this repository: they belong to another project.
#
# Usage: test-vectors/fetch.sh [DEST]   (DEST defaults to test-vectors/mlswg)
# Offline alternative: point the runner at an existing copy (`--dir` or VMLS_TEST_VECTORS).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
COMMIT=cfd450286d1bfd9cd2519b95c80f9771f94a5b1a
BASE="https://raw.githubusercontent.com/mlswg/mls-implementations/$COMMIT/test-vectors"
DEST="${1:-$HERE/mlswg}"
mkdir -p "$DEST"
while read -r sum name; do
    case "$name" in
        *.json) ;;
        *) continue ;;
    esac
    if [ -f "$DEST/$name" ] && echo "$sum  $DEST/$name" | sha256sum -c --status; then
        continue
    fi
    echo "fetching $name"
    curl -fsSL --retry 3 -o "$DEST/$name.tmp" "$BASE/$name"
    mv "$DEST/$name.tmp" "$DEST/$name"
done < "$HERE/mlswg.SHA256SUMS"
(cd "$DEST" && grep '\.json$' "$HERE/mlswg.SHA256SUMS" | sha256sum -c --quiet)
echo "vectors at commit $COMMIT verified in $DEST"
