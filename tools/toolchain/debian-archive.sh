#!/usr/bin/env bash
# tools/toolchain/debian-archive.sh -- print the URI of the Debian archive this machine's apt already uses.
#
# The install scripts need a deb-src line for bookworm and a private sid source for wasix-libc; both must
# point at whatever mirror the machine is configured with (no host is written into this repository).
# Reads deb822 *.sources files and one-line *.list / sources.list entries, skips the security archive
# and disabled files, and prints the first archive URI that serves a Debian suite.
set -euo pipefail
ETC=${APT_ETC:-/etc/apt}

files=()
[ -f "$ETC/sources.list" ] && files+=("$ETC/sources.list")
for f in "$ETC"/sources.list.d/*.list "$ETC"/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
done

candidates() {
for f in "${files[@]}"; do
    case $f in
        *.sources)
            # deb822: paragraphs separated by blank lines; take URIs of paragraphs whose Types has deb
            # and whose Suites name a Debian release (not *-security).
            awk '
                function flush() {
                    if (types ~ /deb/ && suites ~ /(bookworm|trixie|sid|stable|testing|unstable)/ && suites !~ /security/ && uris != "")
                        { split(uris, u, " "); print u[1]; found = 1; exit }
                    types = ""; suites = ""; uris = ""
                }
                /^[ \t]*$/ { flush(); next }
                /^[ \t]*#/ { next }
                tolower($1) == "types:"  { $1 = ""; types = $0 }
                tolower($1) == "suites:" { $1 = ""; suites = $0 }
                tolower($1) == "uris:"   { $1 = ""; sub(/^ +/, ""); uris = $0 }
                END { if (!found) flush() }
            ' "$f"
            ;;
        *)
            # one-line: deb [opts] URI suite components...
            awk '
                $1 == "deb" || $1 == "deb-src" {
                    i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                    uri = $i; suite = $(i + 1)
                    if (suite !~ /security/ && suite ~ /(bookworm|trixie|sid|stable|testing|unstable)/) { print uri; exit }
                }
            ' "$f"
            ;;
    esac
done
}

# sed reads every line (no SIGPIPE under pipefail, as head would cause)
uri=$(candidates | sed -n 1p)
[ -n "$uri" ] || { echo "debian-archive: no Debian archive found in $ETC" >&2; exit 1; }
echo "$uri"
