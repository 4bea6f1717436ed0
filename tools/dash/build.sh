#!/usr/bin/env bash
# tools/dash/build.sh -- build Debian's dash (the POSIX shell that is Debian's /bin/sh) for WASIX.
#
#   bash tools/dash/build.sh        # ~30-90 s cold on 2 cores, instant while cached
#
# Source: `apt-get source dash=$DASH_VERSION` (bookworm; needs the deb-src entry tools/install-deps.sh
# adds), unpacked with Debian's patches, `autoreconf -fi` as debhelper does, configured with Debian's
# own options (--disable-fnmatch --disable-lineno --disable-glob) and compiled with clang-19 against
# wasix-libc (the `wasix` route of tools/build-fixtures.sh). The build helpers (mksyntax, mknodes,
# mksignames, mkinit) run on the build machine, so they are compiled natively with gcc; musl's signal
# numbers are Linux's. Linked ahead of the libc: sigsuspend.c (this directory), because wasix-libc's
# sigsuspend() is a stub that returns at once and dash's `wait` would spin on it forever (see the file).
# Then `wasm-opt --asyncify` (the `wasix-async` route): dash forks for every subshell, pipeline stage
# and external command, and its error handling is setjmp/longjmp.
#
# Output: $CACHE/fixtures/dash/sh.wasm (CACHE = $WEFT_CACHE or <repo>/.cache), skipped while
# $CACHE/fixtures/dash/.stamp equals sha256(this script + sigsuspend.c + DASH_VERSION + the wasix
# sysroot's stamp).
# FORCE=1 rebuilds. Work directory: $CACHE/work-dash (configure.log, make.log).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${WEFT_CACHE:-$REPO/.cache}
WASIX_TC=$CACHE/toolchain/wasix
OUT=$CACHE/fixtures/dash
WORK=$CACHE/work-dash
DASH_VERSION=${DASH_VERSION:-0.5.12-2} # bookworm's dash, the host's /bin/sh the tests compare with
SRCDIR=dash-src

bash "$REPO/tools/toolchain/get-wasix-sysroot.sh" >/dev/null

STAMP_WANT=$( { cat "$HERE/build.sh" "$HERE/sigsuspend.c"; echo "version=$DASH_VERSION"; cat "$WASIX_TC/.stamp"; } \
    | sha256sum | cut -d' ' -f1)
if [ "${FORCE:-0}" != 1 ] && [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP_WANT" ] \
    && [ -f "$OUT/sh.wasm" ]; then
    echo "dash: up to date ($OUT/sh.wasm)"
    exit 0
fi

need_deps=0
for tool in clang-19 wasm-ld-19 wasm-opt gcc make autoreconf dpkg-source; do
    command -v "$tool" >/dev/null 2>&1 || need_deps=1
done
apt-cache showsrc dash 2>/dev/null | grep -qx "Version: $DASH_VERSION" || need_deps=1
if [ $need_deps = 1 ]; then
    echo "dash: missing packages or deb-src: running tools/install-deps.sh"
    bash "$REPO/tools/install-deps.sh"
fi

t0=$(date +%s)
mkdir -p "$WORK" "$OUT"
cd "$WORK"
rm -rf "$SRCDIR"
[ -f "dash_${DASH_VERSION}.dsc" ] || apt-get source -qq --download-only "dash=$DASH_VERSION" 2>&1 \
    | grep -v 'Download is performed unsandboxed' >&2 || true
[ -f "dash_${DASH_VERSION}.dsc" ] || { echo "dash: apt-get source dash=$DASH_VERSION failed" >&2; exit 1; }
dpkg-source -x "dash_${DASH_VERSION}.dsc" "$SRCDIR" >/dev/null 2>&1
cd "$SRCDIR"
autoreconf -fi > "$WORK/autoreconf.log" 2>&1 || { tail -20 "$WORK/autoreconf.log"; exit 1; }

# The wasm flags go into CC and LIBS, not CFLAGS/LDFLAGS: dash's Makefile compiles its build helpers
# with $(CC_FOR_BUILD) $(CFLAGS) $(LDFLAGS).
WASIX_CC="clang-19 --target=wasm32-wasi --sysroot=$WASIX_TC -isystem $WASIX_TC/include/wasm32-wasi"
WASIX_CC+=" -matomics -mbulk-memory -pthread -ftls-model=local-exec -D_WASI_EMULATED_PROCESS_CLOCKS"
$WASIX_CC -O2 -c "$HERE/sigsuspend.c" -o "$WORK/sigsuspend.o"
WASIX_LIBS="$WORK/sigsuspend.o -L$WASIX_TC/lib/wasm32-wasi -lwasi-emulated-process-clocks -s"
WASIX_LIBS+=" -Wl,--shared-memory,--import-memory,--max-memory=67108864"
WASIX_LIBS+=" -Wl,--export=__wasm_init_tls,--export=__tls_size,--export=__tls_align,--export=__tls_base,--export=__stack_pointer"
./configure --host=wasm32-wasi CC="$WASIX_CC" CFLAGS="-O2 -Wno-deprecated-non-prototype" CC_FOR_BUILD=gcc \
    LIBS="$WASIX_LIBS" --disable-fnmatch --disable-lineno --disable-glob > "$WORK/configure.log" 2>&1 \
    || { tail -20 "$WORK/configure.log"; exit 1; }
make -j"$(nproc)" > "$WORK/make.log" 2>&1 || { tail -30 "$WORK/make.log"; exit 1; }

wasm-opt --asyncify \
    --pass-arg=asyncify-imports@wasix_32v1.proc_fork,wasix_32v1.stack_checkpoint,wasix_32v1.stack_restore \
    --enable-threads --enable-bulk-memory --enable-mutable-globals --enable-sign-ext \
    --enable-nontrapping-float-to-int -O2 src/dash -o "$OUT/sh.wasm.tmp"
mv "$OUT/sh.wasm.tmp" "$OUT/sh.wasm"
echo "$DASH_VERSION" > "$OUT/VERSION"
echo "$STAMP_WANT" > "$OUT/.stamp"
echo "dash: built $OUT/sh.wasm ($(( ($(stat -c %s "$OUT/sh.wasm") + 1023) / 1024 )) KB, $(( $(date +%s) - t0 )) s)"
