#!/usr/bin/env bash
# Rebuilds examples/threads.wasm from examples/threads.c with the wasi-threads toolchain
# (tools/toolchain/build-wasi-threads-sysroot.sh; run `bash tools/install-deps.sh` first).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
CACHE=${WEFT_CACHE:-$REPO/.cache}
[ -x "$CACHE/toolchain/wasi/bin/wasm32-wasip1-threads-clang" ] || bash "$REPO/tools/build-fixtures.sh" threads >/dev/null
"$CACHE/toolchain/wasi/bin/wasm32-wasip1-threads-clang" -O2 -s -Wall \
    -Wl,--import-memory,--export-memory,--max-memory=67108864 \
    "$HERE/threads.c" -o "$HERE/threads.wasm"
echo "built examples/threads.wasm ($(stat -c %s "$HERE/threads.wasm") bytes)"
