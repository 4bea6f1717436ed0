#!/usr/bin/env bash
# tools/install-deps.sh -- install the Debian packages the C fixture pipeline
# (and the browser tests) need.  Idempotent: does nothing when every package
# is installed and the deb-src entry the threads sysroot build needs is known.
#
#   bash tools/install-deps.sh          # run as root (or with sudo available)
#
# Packages: clang-19 lld-19 llvm-19 libclang-rt-19-dev-wasm32 wasi-libc wabt binaryen
# dpkg-dev make patch xz-utils chromium; for tools/dash/build.sh (Debian's dash for WASIX) and the
# native /bin of the shell tests: autoconf automake gcc libc6-dev, and dash itself (the comparator).
# deb-src: tools/toolchain/build-wasi-threads-sysroot.sh runs
# `apt-get source wasi-libc=<bookworm version>` (and tools/dash/build.sh `apt-get source dash`), which needs a deb-src line for
# bookworm; it is added as /etc/apt/sources.list.d/weft-bookworm-src.sources, pointing at the
# Debian archive the machine's apt already uses (tools/toolchain/debian-archive.sh).
set -euo pipefail

PACKAGES=(clang-19 lld-19 llvm-19 libclang-rt-19-dev-wasm32 wasi-libc wabt binaryen
          dpkg-dev make patch xz-utils chromium autoconf automake gcc libc6-dev dash)
WASI_LIBC_SRC_VERSION=0.0~git20220510.9886d3d-2
SRC_LIST=/etc/apt/sources.list.d/weft-bookworm-src.sources

export DEBIAN_FRONTEND=noninteractive

SUDO=
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -E"; fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
    # dpkg -s succeeds for removed-but-configured packages too; check the status line
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

have_src() {
    apt-cache showsrc wasi-libc 2>/dev/null | grep -qx "Version: $WASI_LIBC_SRC_VERSION"
}

need_update=0
if ! have_src; then
    if [ ! -f "$SRC_LIST" ]; then
        echo "install-deps: adding deb-src for bookworm ($SRC_LIST)"
        archive=$(bash "$(dirname "$0")/toolchain/debian-archive.sh")
        printf '%s\n' 'Types: deb-src' "URIs: $archive" 'Suites: bookworm' \
            'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
            | $SUDO tee "$SRC_LIST" >/dev/null
    fi
    need_update=1
fi
if [ ${#missing[@]} -gt 0 ]; then need_update=1; fi

if [ $need_update = 0 ]; then
    echo "install-deps: all packages present, deb-src for wasi-libc known"
    exit 0
fi

echo "install-deps: apt-get update"
$SUDO apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! have_src; then
    echo "install-deps: warning: apt does not know wasi-libc source $WASI_LIBC_SRC_VERSION" \
         "(the wasi-threads sysroot build will fail)" >&2
fi
echo "install-deps: done"
