#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Make the source tree hold $CORE: the base, our files copied over it at
# the same paths, then our patches applied in the order patches/series
# gives.
#
# The tree is a hard-linked copy of the base.  Every run computes the wanted
# content of each file we touch in a staging directory and syncs it into the
# tree by checksum, so a file whose content did not change keeps its mtime
# and the kernel build stays incremental.  Files we touched in an earlier run
# and no longer touch are put back to the base's version.
#
# With CORE=stock, whatever harness/core.list names (our core replacement) is
# left out, so the same tests and benchmarks build against the base's core.
. "$(dirname "$0")/lib.sh"

stage=$WORK/stage
manifest=$SRC/.overlay-manifest

if [ ! -d "$SRC" ]; then
	log "tree: creating $SRC"
	cp -al "$BASE" "$SRC"
fi

overlay_stage "$stage" "$CORE"

(cd "$stage" && find . -type f | sed 's|^\./||' | sort) >"$stage.manifest"

# Put back what an earlier run changed and this one does not.
if [ -f "$manifest" ]; then
	comm -23 "$manifest" "$stage.manifest" | while read -r f; do
		rm -f "$SRC/$f"
		[ ! -e "$BASE/$f" ] || cp "$BASE/$f" "$SRC/$f"
	done
fi

# A header that is gone (our core's, with CORE=stock) does not make kbuild
# rebuild the objects that included it, e.g. a test choosing its code with
# __has_include(): drop those objects from every build directory.
if [ -f "$manifest" ] && [ -d "$WORK/build" ]; then
	comm -23 "$manifest" "$stage.manifest" | while read -r f; do
		[ -e "$BASE/$f" ] || echo "/$(basename "$(dirname "$f")")/$(basename "$f")"
	done >"$stage.gone"
	if [ -s "$stage.gone" ]; then
		grep -rlF --include='.*.o.cmd' -f "$stage.gone" "$WORK/build" |
		while read -r cmd; do
			obj=$(basename "$cmd" .cmd)
			rm -f "$(dirname "$cmd")/${obj#.}" "$cmd"
		done || true
	fi
	rm -f "$stage.gone"
fi

rsync -r --checksum "$stage/" "$SRC/"
mv "$stage.manifest" "$manifest"
rm -rf "$stage"
log "tree: $SRC ready ($(wc -l <"$manifest") files overlaid, CORE=$CORE, base $(cat "$WORK/base/.version"))"
