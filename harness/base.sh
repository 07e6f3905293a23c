#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Unpack Debian's linux-source-6.12 into the work directory once per
# package version.  The unpacked base is never modified: the source trees
# we build from are hard-linked copies of it (see tree.sh).
. "$(dirname "$0")/lib.sh"

[ -f "$BASE_TARBALL" ] || die "$BASE_TARBALL missing: run harness/deps.sh"
want=$(dpkg-query -W -f='${Version}' "$BASE_PKG")
stamp=$WORK/base/.version

if [ -d "$BASE" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	exit 0
fi

log "base: unpacking $BASE_PKG $want"
rm -rf "$WORK/base" "$WORK"/src-*
mkdir -p "$WORK/base"
tar -C "$WORK/base" -xJf "$BASE_TARBALL"
echo "$want" >"$stamp"
