#!/usr/bin/env bash
# tools/validate-node-wasi.sh -- run the wasi/ fixtures under Node's built-in
# node:wasi (the reference host) with FIXTURE_LENIENT=1, which accepts the
# node:wasi deviations listed in tools/README.md.  Exits 1 if a fixture fails.
# The sandbox suite also runs once with host-made escaping symlinks
# (--sandbox-links); node:wasi follows those out of the sandbox, so that run
# is only reported (ESCAPED count), not judged.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
FX=${WEFT_CACHE:-$HERE/../.cache}/fixtures/wasi
run() { node --no-warnings "$HERE/run-node-wasi.mjs" --env FIXTURE_LENIENT=1 "$@"; }
status=0
check() { # name expected-exit command...
    local name=$1 want=$2; shift 2
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ]; then
        echo "node:wasi $name: exit $rc ($(printf '%s\n' "$out" | grep -v '^\[node:wasi\]' | tail -1))"
    else
        echo "node:wasi $name: exit $rc, expected $want"; printf '%s\n' "$out" | grep -e FAIL -e ESCAPED | head -20
        status=1
    fi
}
check hello 3 run "$FX/hello.wasm" exit 3
check fileops 0 run "$FX/fileops.wasm" /sandbox
check sandbox 0 run "$FX/sandbox.wasm" /sandbox
check poll 0 bash -c "sleep 2 | node --no-warnings '$HERE/run-node-wasi.mjs' --env FIXTURE_LENIENT=1 '$FX/poll.wasm'"
out=$(run --sandbox-links "$FX/sandbox.wasm" /sandbox 2>&1)
echo "node:wasi sandbox with host-made symlinks: $(printf '%s\n' "$out" | grep -c '^ESCAPED') ESCAPED (known node:wasi weakness)"
exit $status
