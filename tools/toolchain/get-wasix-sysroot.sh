#!/usr/bin/env bash
# tools/toolchain/get-wasix-sysroot.sh -- unpack Debian's wasix-libc (a WASIX
# sysroot: musl-based, full pthreads, signals, pipes, sockets...) into $PREFIX
# without touching the system's apt sources.  The package lives only in Debian
# unstable ("sid"), so this uses a private apt configuration for that one
# download.  Debian packages only; nothing else is fetched.
#
#   bash tools/toolchain/get-wasix-sysroot.sh     # a few seconds cold, instant when cached
#
# Environment:
#   PREFIX               output (default: <repo>/.cache/toolchain/wasix, or $WEFT_CACHE/toolchain/wasix)
#   WASIX_LIBC_VERSION   pin a version (default: whatever sid has now; the
#                        version fetched is written to $PREFIX/VERSION)
#   FORCE=1              fetch again even if the stamp matches
#
# Compile with (see tools/build-fixtures.sh):
#   clang-19 --target=wasm32-wasi --sysroot=$PREFIX -isystem $PREFIX/include/wasm32-wasi \
#     -L$PREFIX/lib/wasm32-wasi -matomics -mbulk-memory -pthread -ftls-model=local-exec -O2 x.c -o x.wasm \
#     -Wl,--shared-memory,--import-memory,--max-memory=67108864 \
#     -Wl,--export=__wasm_init_tls,--export=__tls_size,--export=__tls_align,--export=__tls_base,--export=__stack_pointer
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${WEFT_CACHE:-$REPO/.cache}
PREFIX=${PREFIX:-$CACHE/toolchain/wasix}
VERSION=${WASIX_LIBC_VERSION:-}   # empty = whatever sid has now

STAMP_WANT=$( { cat "$HERE/get-wasix-sysroot.sh"; echo "version=$VERSION"; } | sha256sum | cut -d' ' -f1)
if [ "${FORCE:-0}" != 1 ] && [ -f "$PREFIX/.stamp" ] && [ "$(cat "$PREFIX/.stamp")" = "$STAMP_WANT" ] \
    && [ -f "$PREFIX/lib/wasm32-wasi/libc.a" ]; then
    echo "wasix sysroot: up to date ($PREFIX, $(cat "$PREFIX/VERSION" 2>/dev/null))"
    exit 0
fi
command -v dpkg >/dev/null && command -v apt-get >/dev/null \
    || { echo "get-wasix-sysroot: needs apt-get and dpkg (Debian)" >&2; exit 1; }

t0=$(date +%s)
APTDIR=$(mktemp -d)
trap 'rm -rf "$APTDIR"' EXIT
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/etc/preferences.d"
# The machine's own Debian archive (no mirror host is named in this repository).
archive=$(bash "$HERE/debian-archive.sh")
cat > "$APTDIR/sid.sources" <<SRC
Types: deb
URIs: $archive
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
opts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$APTDIR" -o Dir::Etc::Preferences=/dev/null
      -o Dir::Etc::PreferencesParts="$APTDIR/etc/preferences.d" -o Dir::State::Lists="$APTDIR/lists"
      -o Dir::Cache="$APTDIR/cache" -o APT::Sandbox::User=root)
# the private list must be named *.sources inside SourceParts
apt-get "${opts[@]}" update -qq
cd "$APTDIR"
apt-get "${opts[@]}" download -qq "wasix-libc${VERSION:+=$VERSION}"
deb=$(ls "$APTDIR"/wasix-libc_*.deb)
rm -rf "$PREFIX.tmp" && mkdir -p "$PREFIX.tmp"
dpkg -x "$deb" "$PREFIX.tmp"
rm -rf "$PREFIX" && mkdir -p "$PREFIX"
mv "$PREFIX.tmp/usr/include" "$PREFIX/include"
mv "$PREFIX.tmp/usr/lib" "$PREFIX/lib"
rm -rf "$PREFIX.tmp"
dpkg-deb -f "$deb" Version > "$PREFIX/VERSION"
echo "$STAMP_WANT" > "$PREFIX/.stamp"
echo "wasix sysroot: $PREFIX ($(basename "$deb"), $(( $(date +%s) - t0 )) s)"
