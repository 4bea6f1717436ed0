#!/usr/bin/env bash
# tools/toolchain/build-wasi-threads-sysroot.sh -- a C toolchain for
# wasm32-wasip1 and wasm32-wasip1-threads built from Debian packages only
# (Debian 12 bookworm).  Nothing is downloaded except through apt
# (`apt-get source wasi-libc`, which needs the deb-src entry that
# tools/install-deps.sh adds).
#
#   bash tools/toolchain/build-wasi-threads-sysroot.sh     # ~3 min cold on 2 cores, instant when cached
#
# Environment:
#   PREFIX  output           (default: <repo>/.cache/toolchain/wasi, or $WEFT_CACHE/toolchain/wasi)
#   WORK    build directory  (default: <repo>/.cache/toolchain/work-wasi)
#   JOBS    make -j          (default: nproc)
#   FORCE=1 rebuild even if the stamp matches
#
# Result:
#   $PREFIX/share/wasi-sysroot/{include,lib}/wasm32-wasip1-threads  (built here)
#   $PREFIX/share/wasi-sysroot/{include,lib}/wasm32-wasip1 -> Debian's wasi-libc
#   $PREFIX/lib/clang-resource      clang resource dir that finds Debian's
#                                   compiler-rt builtins for the new triples
#   $PREFIX/bin/wasm32-wasip1-clang, $PREFIX/bin/wasm32-wasip1-threads-clang
#   $PREFIX/.stamp                  sha256 of this script + patch + shim; the
#                                   build is skipped while it matches
#
# The threads libc is Debian bookworm's wasi-libc source (2022 snapshot,
# single-threaded upstream) compiled with atomics + bulk-memory, plus
# wasi-libc-wasi-threads.patch and wasi_threads_shim.c from this directory
# (pthreads over the wasi-threads ABI).  See tools/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${WEFT_CACHE:-$REPO/.cache}
PREFIX=${PREFIX:-$CACHE/toolchain/wasi}
WORK=${WORK:-$CACHE/toolchain/work-wasi}
JOBS=${JOBS:-$(nproc)}
LLVM=19
WASI_LIBC_VERSION=0.0~git20220510.9886d3d-2 # bookworm's wasi-libc source
SRCDIR=wasi-libc-0.0~git20220510.9886d3d

STAMP_WANT=$(cat "$HERE/build-wasi-threads-sysroot.sh" "$HERE/wasi-libc-wasi-threads.patch" \
    "$HERE/wasi_threads_shim.c" | sha256sum | cut -d' ' -f1)
if [ "${FORCE:-0}" != 1 ] && [ -f "$PREFIX/.stamp" ] && [ "$(cat "$PREFIX/.stamp")" = "$STAMP_WANT" ] \
    && [ -x "$PREFIX/bin/wasm32-wasip1-threads-clang" ]; then
    echo "wasi-threads sysroot: up to date ($PREFIX)"
    exit 0
fi

step() { printf '== %s\n' "$*"; }
t0=$(date +%s)

# --- 1. packages ---------------------------------------------------------
need_deps=0
for tool in clang-$LLVM llvm-ar-$LLVM llvm-nm-$LLVM wasm-ld-$LLVM dpkg-source make patch; do
    command -v "$tool" >/dev/null 2>&1 || need_deps=1
done
[ -d /usr/include/wasm32-wasi ] || need_deps=1
apt-cache showsrc wasi-libc 2>/dev/null | grep -qx "Version: $WASI_LIBC_VERSION" || need_deps=1
if [ $need_deps = 1 ]; then
    step "missing packages or deb-src: running tools/install-deps.sh"
    bash "$REPO/tools/install-deps.sh"
fi

# --- 2. source -------------------------------------------------------------
step "apt-get source wasi-libc=$WASI_LIBC_VERSION into $WORK"
mkdir -p "$WORK"
cd "$WORK"
rm -rf "$SRCDIR" sysroot-threads
[ -f "wasi-libc_${WASI_LIBC_VERSION}.dsc" ] || apt-get source -qq --download-only "wasi-libc=$WASI_LIBC_VERSION"
dpkg-source -x "wasi-libc_${WASI_LIBC_VERSION}.dsc" "$SRCDIR" >/dev/null

step "patch: stdio locking hooks, explicit ctors in _start, pthread.h; add the shim"
cd "$WORK/$SRCDIR"
patch -s -p1 < "$HERE/wasi-libc-wasi-threads.patch"
cp "$HERE/wasi_threads_shim.c" libc-top-half/sources/wasi_threads_shim.c

# --- 3. build the wasm32-wasip1-threads libc --------------------------------
# THREAD_MODEL is deliberately neither "single" nor "posix": "single" would
# strip atomics/TLS (-mthread-model single), "posix" sets _REENTRANT, which
# this 2022 snapshot rejects ("multiple threads not supported in musl yet").
# clang-19 only enables atomics/bulk-memory for wasip1-threads with
# -pthread, hence -matomics -mbulk-memory.  USE_LOCKS=1 makes dlmalloc
# thread-safe (spin locks on atomics + sched_yield).
step "make (jobs=$JOBS, log: $WORK/build.log)"
start=$(date +%s)
make -j"$JOBS" \
    CC=clang-$LLVM AR=llvm-ar-$LLVM NM=llvm-nm-$LLVM \
    THREAD_MODEL=wasi-threads-shim \
    TARGET_TRIPLE=wasm32-wasip1-threads MULTIARCH_TRIPLE=wasm32-wasip1-threads \
    SYSROOT="$WORK/sysroot-threads" \
    EXTRA_CFLAGS="-O2 -DNDEBUG -matomics -mbulk-memory -D__wasilibc_wt_shim -DUSE_LOCKS=1" \
    startup_files libc > "$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; exit 1; }
echo "libc built in $(( $(date +%s) - start )) s"

# --- 4. assemble the prefix ----------------------------------------------------
step "install into $PREFIX"
rm -rf "$PREFIX"
SR=$PREFIX/share/wasi-sysroot
RD=$PREFIX/lib/clang-resource
BUILTINS=/usr/lib/llvm-$LLVM/lib/clang/$LLVM/lib/wasi/libclang_rt.builtins-wasm32.a
mkdir -p "$SR/include" "$SR/lib" "$PREFIX/bin"
cp -r "$WORK/sysroot-threads/include" "$SR/include/wasm32-wasip1-threads"
cp -r "$WORK/sysroot-threads/lib/wasm32-wasip1-threads" "$SR/lib/"
for n in m rt pthread crypt util xnet resolv dl; do # -pthread adds -lpthread
    llvm-ar-$LLVM crs "$SR/lib/wasm32-wasip1-threads/lib$n.a"
done
# single-threaded: Debian's wasi-libc package, under the wasip1 name too
for t in wasm32-wasi wasm32-wasip1; do
    ln -sfn /usr/include/wasm32-wasi "$SR/include/$t"
    ln -sfn /usr/lib/wasm32-wasi "$SR/lib/$t"
done
# clang-19 looks for <resource>/lib/wasm32-unknown-<os>/libclang_rt.builtins.a
# for the wasip1 triples; Debian ships only lib/wasi/libclang_rt.builtins-wasm32.a
mkdir -p "$RD/lib/wasi" "$RD/lib/wasm32-unknown-wasip1" "$RD/lib/wasm32-unknown-wasip1-threads"
ln -s "/usr/lib/llvm-$LLVM/lib/clang/$LLVM/include" "$RD/include"
ln -s "$BUILTINS" "$RD/lib/wasi/libclang_rt.builtins-wasm32.a"
ln -s "$BUILTINS" "$RD/lib/wasm32-unknown-wasip1/libclang_rt.builtins.a"
ln -s "$BUILTINS" "$RD/lib/wasm32-unknown-wasip1-threads/libclang_rt.builtins.a"

# The wrappers locate the prefix from their own path, so the cache directory
# can be moved or copied.
cat > "$PREFIX/bin/wasm32-wasip1-clang" <<EOF
#!/bin/sh
P=\$(cd "\$(dirname "\$0")/.." && pwd)
exec clang-$LLVM --target=wasm32-wasip1 --sysroot="\$P/share/wasi-sysroot" -resource-dir="\$P/lib/clang-resource" "\$@"
EOF
cat > "$PREFIX/bin/wasm32-wasip1-threads-clang" <<EOF
#!/bin/sh
# -pthread is required on every compile (it defines _REENTRANT, which selects
# the right PTHREAD_*_INITIALIZERs, and enables atomics/bulk-memory) and link
# (-lpthread, --shared-memory).  When linking, imported shared memory with an
# explicit maximum is added first, so a later -Wl,--max-memory=N wins.
P=\$(cd "\$(dirname "\$0")/.." && pwd)
link=1
for a in "\$@"; do
    case "\$a" in -c|-S|-E|-M|-MM|-fsyntax-only) link=0 ;; esac
done
if [ \$link = 1 ]; then
    set -- -Wl,--import-memory,--export-memory,--max-memory=\${WASI_MAX_MEMORY:-67108864} "\$@"
fi
exec clang-$LLVM --target=wasm32-wasip1-threads -pthread --sysroot="\$P/share/wasi-sysroot" -resource-dir="\$P/lib/clang-resource" "\$@"
EOF
chmod +x "$PREFIX/bin/wasm32-wasip1-clang" "$PREFIX/bin/wasm32-wasip1-threads-clang"

# --- 5. smoke test: the wrapper compiles and links a threaded program ----------
step "smoke test"
cat > "$WORK/smoke.c" <<'EOF'
#include <pthread.h>
#include <stdio.h>
static _Thread_local int v;
static void *f(void *a) { v = (int)(long)a; return (void *)(long)v; }
int main(void) { pthread_t t; void *r; pthread_create(&t, 0, f, (void *)7L); pthread_join(t, &r); printf("%ld\n", (long)r); return 0; }
EOF
"$PREFIX/bin/wasm32-wasip1-threads-clang" -O2 -s "$WORK/smoke.c" -o "$WORK/smoke.wasm"
printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' > "$WORK/hello.c"
"$PREFIX/bin/wasm32-wasip1-clang" -O2 -s "$WORK/hello.c" -o "$WORK/hello.wasm"
wasm-objdump -x -j Import "$WORK/smoke.wasm" 2>/dev/null | grep -q 'wasi.thread-spawn' \
    || { echo "smoke test: thread-spawn import missing" >&2; exit 1; }

echo "$STAMP_WANT" > "$PREFIX/.stamp"
echo "wasi-threads sysroot: built in $(( $(date +%s) - t0 )) s ($PREFIX)"
