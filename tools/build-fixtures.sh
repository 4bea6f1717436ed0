#!/usr/bin/env bash
# tools/build-fixtures.sh -- compile the C test fixtures to wasm.
#
#   bash tools/build-fixtures.sh [--force] [ROUTE...]
#        ROUTE: wasi threads wasix wasix-async bin bin-native dash (default: all)
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
#   wasix-async  the wasix route, then Debian binaryen's `wasm-opt --asyncify` (fork, vfork,
#            setjmp/longjmp need the unwind/rewind exports; the instrumented imports are the three
#            that capture the stack); no `-all` (Node 20 rejects what it emits, see docs/toolchain)
#   bin      test/fixtures/c/bin/<name>.c (the /bin programs of the shell tests' rootfs) with the
#            wasix flags -> .cache/fixtures/bin/<name>.wasm
#   bin-native  the same sources compiled natively (gcc -O2) -> .cache/fixtures/bin-native/<name>,
#            the native rootfs the host's dash runs the same scripts with
#   dash     Debian's dash for WASIX, built by tools/dash/build.sh -> .cache/fixtures/dash/sh.wasm
#            (cached by its own stamp; ~1 min cold)
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
             -D_WASI_EMULATED_PROCESS_CLOCKS -lwasi-emulated-process-clocks
             -Wl,--shared-memory,--import-memory,--max-memory=$MAXMEM
             -Wl,--export=__wasm_init_tls,--export=__tls_size,--export=__tls_align,--export=__tls_base,--export=__stack_pointer)

# --- one compile (run by xargs below) ------------------------------------------
if [ "${1:-}" = --one ]; then
    route=$2 src=$3 out=$4
    case $route in
        wasi) cmd=(clang-19 "${WASI_FLAGS[@]}" "$src" -o "$out.tmp") ;;
        threads) cmd=("$WASI_TC/bin/wasm32-wasip1-threads-clang" "${THREADS_FLAGS[@]}" "$src" -o "$out.tmp") ;;
        wasix) cmd=(clang-19 "${WASIX_FLAGS[@]}" "$src" -o "$out.tmp") ;;
        bin) cmd=(clang-19 "${WASIX_FLAGS[@]}" "$src" -o "$out.tmp") ;;
        bin-native) cmd=(gcc -O2 -Wall "$src" -o "$out.tmp") ;;
        wasix-async) cmd=(bash -c 'clang-19 "${@:3}" "$1" -o "$2.pre" && wasm-opt --asyncify \
            --pass-arg=asyncify-imports@wasix_32v1.proc_fork,wasix_32v1.stack_checkpoint,wasix_32v1.stack_restore \
            --enable-threads --enable-bulk-memory --enable-mutable-globals --enable-sign-ext \
            --enable-nontrapping-float-to-int -O2 "$2.pre" -o "$2"; r=$?; rm -f "$2.pre"; exit $r' \
            _ "$src" "$out.tmp" "${WASIX_FLAGS[@]}") ;;
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
        wasi|threads|wasix|wasix-async|bin|bin-native|dash) routes+=("$a") ;;
        *) echo "usage: $0 [--force] [wasi|threads|wasix|wasix-async|bin|bin-native|dash]..." >&2; exit 2 ;;
    esac
done
[ ${#routes[@]} -gt 0 ] || routes=(wasi threads wasix wasix-async bin bin-native dash)

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
    if [ "$route" = dash ]; then
        FORCE=$FORCE bash "$HERE/dash/build.sh" || status_dash=1
        continue
    fi
    srcdir=$SRC/$route
    [ "$route" = bin-native ] && srcdir=$SRC/bin
    shopt -s nullglob
    srcs=("$srcdir"/*.c)
    shopt -u nullglob
    [ ${#srcs[@]} -gt 0 ] || continue
    stamp=""
    case $route in
        threads) bash "$HERE/toolchain/build-wasi-threads-sysroot.sh"; stamp=$WASI_TC/.stamp ;;
        wasix|bin) bash "$HERE/toolchain/get-wasix-sysroot.sh"; stamp=$WASIX_TC/.stamp ;;
        wasix-async)
            bash "$HERE/toolchain/get-wasix-sysroot.sh"; stamp=$WASIX_TC/.stamp
            command -v wasm-opt >/dev/null || { echo "build-fixtures: wasm-opt (Debian binaryen) missing: run 'bash tools/install-deps.sh'" >&2; exit 1; } ;;
    esac
    mkdir -p "$OUT/$route"
    for src in "${srcs[@]}"; do
        out=$OUT/$route/$(basename "$src" .c).wasm
        [ "$route" = bin-native ] && out=$OUT/$route/$(basename "$src" .c)
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

status=${status_dash:-0}
if [ ${#jobs[@]} -eq 0 ]; then
    echo "build-fixtures: all up to date ($OUT)"
    exit $status
fi
t0=$(date +%s%N)
printf '%s\0' "${jobs[@]}" | xargs -0 -n3 -P"$(nproc)" bash "$HERE/build-fixtures.sh" --one || status=1
echo "build-fixtures: $(( ${#jobs[@]} / 3 )) file(s) in $(( ($(date +%s%N) - t0) / 1000000 )) ms -> $OUT"
exit $status
