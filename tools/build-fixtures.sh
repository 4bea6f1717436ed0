#!/usr/bin/env bash
# tools/build-fixtures.sh -- compile the C test fixtures to wasm.
#
#   bash tools/build-fixtures.sh [--force] [ROUTE...]     ROUTE: wasi threads wasix (default: all)
#
# Every test/fixtures/c/<ROUTE>/<name>.c becomes .cache/fixtures/<ROUTE>/<name>.wasm
# ($WEFT_CACHE/fixtures/... when WEFT_CACHE is set), compiled by route:
#   wasi     Debian clang-19 + Debian wasi-libc (2022 snapshot, preview1 only):
#              clang-19 --target=wasm32-wasi -O2 -s
#   threads  wasi-threads sysroot from tools/toolchain/build-wasi-threads-sysroot.sh
#            (built on first use, ~1-3 min; cached in .cache/toolchain/wasi):
#              wasm32-wasip1-threads-clang -O2 -s -Wl,--import-memory,--export-memory,--max-memory=67108864
#   wasix    Debian sid's wasix-libc from tools/toolchain/get-wasix-sysroot.sh
#            (fetched on first use, seconds; cached in .cache/toolchain/wasix):
#              clang-19 --target=wasm32-wasi --sysroot=... -matomics -mbulk-memory -pthread
#              -ftls-model=local-exec -O2 -s -Wl,--shared-memory,--import-memory,--max-memory=67108864
#              -Wl,--export=__wasm_init_tls,... (see WASIX_FLAGS below)
# Incremental: a .wasm is rebuilt only when older than its source, the shared
# header test/fixtures/c/include/fixture.h, this script, or the route's
# toolchain stamp.  Prints one line per file built; exits non-zero if any
# compile failed.  Set STRIP= (empty) to keep debug info/names.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
CACHE=${WEFT_CACHE:-$REPO/.cache}
SRC=$REPO/test/fixtures/c
OUT=$CACHE/fixtures
WASI_TC=$CACHE/toolchain/wasi
WASIX_TC=$CACHE/toolchain/wasix
STRIP=${STRIP--s}
MAXMEM=67108864

WASI_FLAGS=(--target=wasm32-wasi -O2 $STRIP -Wall -Wno-unused-function -I"$SRC/include")
THREADS_FLAGS=(-O2 $STRIP -Wall -Wno-unused-function -I"$SRC/include"
               -Wl,--import-memory,--export-memory,--max-memory=$MAXMEM)
WASIX_FLAGS=(--target=wasm32-wasi --sysroot="$WASIX_TC" -isystem "$WASIX_TC/include/wasm32-wasi"
             -L"$WASIX_TC/lib/wasm32-wasi" -matomics -mbulk-memory -pthread -ftls-model=local-exec
             -O2 $STRIP -Wall -Wno-unused-function -I"$SRC/include"
             -Wl,--shared-memory,--import-memory,--max-memory=$MAXMEM
             -Wl,--export=__wasm_init_tls,--export=__tls_size,--export=__tls_align,--export=__tls_base,--export=__stack_pointer)

# --- one compile (run by xargs below) ------------------------------------------
if [ "${1:-}" = --one ]; then
    route=$2 src=$3 out=$4
    case $route in
        wasi) cmd=(clang-19 "${WASI_FLAGS[@]}" "$src" -o "$out.tmp") ;;
        threads) cmd=("$WASI_TC/bin/wasm32-wasip1-threads-clang" "${THREADS_FLAGS[@]}" "$src" -o "$out.tmp") ;;
        wasix) cmd=(clang-19 "${WASIX_FLAGS[@]}" "$src" -o "$out.tmp") ;;
    esac
    t0=$(date +%s%N)
    if log=$("${cmd[@]}" 2>&1); then
        mv "$out.tmp" "$out"
        [ -z "$log" ] || printf '%s\n' "$log" >&2
        printf 'built %s/%s (%d KB, %d ms)\n' "$route" "$(basename "$out")" \
            $(( ($(stat -c %s "$out") + 1023) / 1024 )) $(( ($(date +%s%N) - t0) / 1000000 ))
    else
        rm -f "$out.tmp"
        printf 'FAILED %s/%s\n%s\n' "$route" "$(basename "$src")" "$log" >&2
        exit 1
    fi
    exit 0
fi

FORCE=0
routes=()
for a in "$@"; do
    case $a in
        --force) FORCE=1 ;;
        wasi|threads|wasix) routes+=("$a") ;;
        *) echo "usage: $0 [--force] [wasi|threads|wasix]..." >&2; exit 2 ;;
    esac
done
[ ${#routes[@]} -gt 0 ] || routes=(wasi threads wasix)

command -v clang-19 >/dev/null && command -v wasm-ld-19 >/dev/null && [ -d /usr/lib/wasm32-wasi ] || {
    echo "build-fixtures: clang-19/lld-19/wasi-libc missing: run 'bash tools/install-deps.sh' first" >&2
    exit 1
}

# one build at a time (test files running in parallel may all call this)
mkdir -p "$CACHE"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.build-fixtures.lock"
    flock 9
fi

jobs=()
for route in "${routes[@]}"; do
    shopt -s nullglob
    srcs=("$SRC/$route"/*.c)
    shopt -u nullglob
    [ ${#srcs[@]} -gt 0 ] || continue
    stamp=""
    case $route in
        threads) bash "$HERE/toolchain/build-wasi-threads-sysroot.sh"; stamp=$WASI_TC/.stamp ;;
        wasix) bash "$HERE/toolchain/get-wasix-sysroot.sh"; stamp=$WASIX_TC/.stamp ;;
    esac
    mkdir -p "$OUT/$route"
    for src in "${srcs[@]}"; do
        out=$OUT/$route/$(basename "$src" .c).wasm
        if [ $FORCE = 0 ] && [ -f "$out" ]; then
            fresh=1
            for dep in "$src" "$SRC"/include/*.h "$HERE/build-fixtures.sh" $stamp; do
                [ "$out" -nt "$dep" ] || { fresh=0; break; }
            done
            [ $fresh = 1 ] && continue
        fi
        jobs+=("$route" "$src" "$out")
    done
done

if [ ${#jobs[@]} -eq 0 ]; then
    echo "build-fixtures: all up to date ($OUT)"
    exit 0
fi
t0=$(date +%s%N)
status=0
printf '%s\0' "${jobs[@]}" | xargs -0 -n3 -P"$(nproc)" bash "$HERE/build-fixtures.sh" --one || status=1
echo "build-fixtures: $(( ${#jobs[@]} / 3 )) file(s) in $(( ($(date +%s%N) - t0) / 1000000 )) ms -> $OUT"
exit $status
