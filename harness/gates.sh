#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# gates.sh GATE...: the static checks on our files, in the tree for
# CORE=ours (harness/tree.sh first).  Each gate prints what it found, adds
# one line "gate-NAME P F S" to $RESULTS_FILE if set, and fails if it
# found anything.  With no argument, every gate of make check in turn.
#
#   build     W=1 C=2 build of our objects and of the base's that our
#             patches change (gcc's extra warnings, sparse on every file)
#             in its own build directory, configured as kernel.sh x86_64
#             boot does (the KUnit suites included)
#   kdoc      scripts/kernel-doc -none -Wall, and a kernel-doc comment with
#             Context: and Return: on every exported function
#             (harness/kdoc-exports.py)
#   cocci     make coccicheck MODE=report, on each of our directories and
#             on our files in directories we share with the base
#   tools     our user-space programs: tools/iommu with -Wall -Wextra, our
#             selftests with their Makefile's flags and -Wextra
#   docs      a Sphinx build (Debian's) of our Documentation pages alone
#             with the kernel's conf.py, our ABI files through the
#             kernel-abi directive, and each page in its directory's index
#   docs-full not in make check: make SPHINXDIRS="driver-api
#             userspace-api" htmldocs, warnings that name our files
#
# "Our files" are the files of this repository under drivers/, include/,
# tools/ and Documentation/.  A base file that one of our patches changes
# must get no new warning: where the base's version can be checked without
# a build (kernel-doc, coccicheck), both versions are checked and only
# warnings the base's version lacks count (compared without line numbers);
# the build and the user-space compile must give none on them at all.
. "$(dirname "$0")/lib.sh"

[ "$CORE" = ours ] || die "gates: the static checks are for CORE=ours"
[ -f "$SRC/.overlay-manifest" ] || die "gates: no tree, run harness/tree.sh"

GW=$WORK/gates
mkdir -p "$GW"

# Our files, relative to the repository and the tree; and the base's
# files our patches change.
ours() { (cd "$TOP" && find "$@" -type f 2>/dev/null | sort); }
ours_kernel_c() { ours drivers include | grep -E '\.[ch]$'; }
patched_base() {
	local p
	grep -v '^#' "$TOP/patches/series" | while read -r p; do
		[ -n "$p" ] && lsdiff --strip=1 "$TOP/patches/$p"
	done | sort -u | while read -r f; do
		[ -e "$BASE/$f" ] && [ ! -e "$TOP/$f" ] && echo "$f"
	done
}

# result NAME PROBLEMS: the gate's line for the tally.
result() {
	local line="gate-$1 1 0 0"
	[ "$2" -eq 0 ] || line="gate-$1 0 1 0"
	[ -z "${RESULTS_FILE:-}" ] || echo "$line" >>"$RESULTS_FILE"
	[ "$2" -eq 0 ] || { log "gate $1: $2 problem(s)"; return 1; }
	log "gate $1: clean"
}

# Warnings of a compiler or checker, "FILE:LINE:COL: warning: ...", with
# FILE relative to the tree, for the files listed in $1 only.
only_files() {
	local list=$1
	sed -E -e "s#^(\.\./)+src/##" -e "s#^$SRC/##" |
	awk -F: -v list="$list" '
		BEGIN { while ((getline f < list) > 0) want[f] = 1 }
		$1 in want && $0 ~ /: (warning|error|Warning|Error)/' | sort -u
}

# Drop line (and column) numbers, to compare warnings across versions.
unnumbered() { sed -E 's/^([^:]+):[0-9]+(:[0-9]+(-[0-9]+)?)?:/\1:/' | sort; }

# new_only OURS BASE: lines of OURS (numbered) whose unnumbered form is
# not in BASE (unnumbered), counting repeats.
new_only() {
	awk 'NR == FNR { base[$0]++; next }
	     { key = $0
	       if (match(key, /^[^:]+:[0-9]+(:[0-9]+(-[0-9]+)?)?:/)) {
		       split(key, a, ":")
		       key = a[1] ":" substr(key, RLENGTH + 1)
	       }
	       if (base[key]-- <= 0) print }' <(unnumbered <"$2") "$1"
}

gate_build() {
	local bdir=$WORK/build/x86_64-boot-gates log found n t_wait objs
	# Start from the test kernel's build, same configuration: only our
	# objects are compiled again, not the tree's preparation.
	[ -d "$bdir" ] || [ ! -f "$WORK/build/x86_64-boot/.config" ] ||
		cp -a "$WORK/build/x86_64-boot" "$bdir"
	bdir=$(KERNEL_BUILD=$bdir "$TOP/harness/kernel.sh" --config-only x86_64 boot)
	log=$GW/build.log
	t_wait=$(date +%s)
	# BUILD_LOCK_HELD=1: the caller holds the lock (as for kernel.sh).
	[ "${BUILD_LOCK_HELD:-0}" = 1 ] || build_lock
	log "gate build: $(($(date +%s) - t_wait))s waiting for the build lock"
	{ ours_kernel_c; patched_base; } >"$GW/build.files"
	# The objects of our C files and of the base's that our patches
	# change, those this configuration builds: a plain build of
	# drivers/iommu/ first makes them all (ccache hits after the test
	# kernel's build), as kbuild would make any object named on its
	# command line, configured or not.  The rest of drivers/iommu/ is
	# the base's, judged by no one here.  gcc warns only when it
	# compiles: ours are made again (ccache replays the warnings of
	# unchanged files), and C=2 runs sparse on each.
	if ! make -C "$SRC" O="$bdir" ARCH=x86_64 CC="ccache gcc" \
		HOSTCC="ccache gcc" -j"$JOBS" drivers/iommu/ >"$log" 2>&1; then
		grep -E 'error|Error' "$log" | head -20 >&2
		log "gate build: the plain build failed, see $log"
		result build 1
		return
	fi
	objs=$(grep '^drivers/.*\.c$' "$GW/build.files" | sed 's/\.c$/.o/' |
		while read -r o; do
			[ -f "$bdir/$o" ] ||
				{ log "gate build: $o is not in this configuration"; continue; }
			echo "$o"
		done)
	[ -n "$objs" ] || { log "gate build: no object of ours in this configuration"; result build 1; return; }
	(cd "$bdir" && rm -f $objs)
	log "gate build: make W=1 C=2 on $(echo "$objs" | wc -l) objects in $bdir"
	# shellcheck disable=SC2086
	if ! make -C "$SRC" O="$bdir" ARCH=x86_64 CC="ccache gcc" \
		HOSTCC="ccache gcc" -j"$JOBS" W=1 C=2 $objs >"$log" 2>&1; then
		grep -E 'error|Error' "$log" | head -20 >&2
		log "gate build: the build failed, see $log"
		result build 1
		return
	fi
	found=$(only_files "$GW/build.files" <"$log")
	n=$(printf '%s' "$found" | grep -c . || true)
	[ -z "$found" ] || printf '%s\n' "$found" >&2
	log "gate build: $(grep -c ': warning:' "$log" || true) warnings in all, $n in ours (log: $log)"
	result build "$n"
}

gate_kdoc() {
	local n=0 f out
	# Ours: not one warning.
	out=$(cd "$SRC" && ours_kernel_c | xargs scripts/kernel-doc -none -Wall 2>&1) || true
	[ -z "$out" ] || { printf '%s\n' "$out" >&2; n=$((n + $(printf '%s\n' "$out" | wc -l))); }
	# ... and every export documented with Context: and Return:.
	out=$(ours_kernel_c | grep '\.c$' | xargs python3 "$TOP/harness/kdoc-exports.py" "$SRC") ||
		{ printf '%s\n' "$out" >&2; n=$((n + $(printf '%s\n' "$out" | wc -l))); }
	# The base's files our patches change: no new warning.
	for f in $(patched_base | grep -E '\.[ch]$'); do
		(cd "$SRC" && scripts/kernel-doc -none -Wall "$f" 2>&1 | sed 's/: warning: /: /') >"$GW/kdoc.ours" || true
		(cd "$BASE" && scripts/kernel-doc -none -Wall "$f" 2>&1 | sed 's/: warning: /: /') >"$GW/kdoc.base" || true
		out=$(new_only "$GW/kdoc.ours" "$GW/kdoc.base")
		[ -z "$out" ] || { printf '%s (new versus the base)\n' "$out" >&2; n=$((n + $(printf '%s\n' "$out" | wc -l))); }
	done
	result kdoc "$n"
}

# cocci_farm TREE DIR FILE...: hard links to FILEs of TREE at the same
# paths under DIR, with the local headers beside them (spatch reads those
# for type information), so that one coccicheck run covers them all and
# only them: coccicheck M=drivers/iommu takes minutes.
cocci_farm() {
	local tree=$1 dir=$2 f h
	shift 2
	rm -rf "$dir"
	for f in "$@"; do
		# (include/ is on the include path already, and all headers.)
		for h in "$f" $(case "$f" in include/*) ;;
				*) cd "$tree" && echo "$(dirname "$f")"/*.h ;; esac); do
			[ -e "$tree/$h" ] && [ ! -e "$dir/$h" ] || continue
			mkdir -p "$dir/$(dirname "$h")"
			ln "$tree/$h" "$dir/$h" 2>/dev/null || cp "$tree/$h" "$dir/$h"
		done
	done
}

# coccicheck_on TREE DIR OUT: make coccicheck MODE=report on DIR; the
# reports, with paths relative to DIR, in OUT.
coccicheck_on() {
	(cd "$1" && make -s coccicheck MODE=report M="$2" J="$JOBS") >"$3.log" 2>&1 ||
		{ tail -20 "$3.log" >&2; log "gate cocci: coccicheck failed on $2"; return 1; }
	{ grep -E '^[^ :]+\.[ch]:[0-9]+:' "$3.log" || true; } |
		sed "s#^$2/##" | sort -u >"$3"
}

gate_cocci() {
	local n=0 out files base
	# Our kernel C files and the base's that our patches change (user-space
	# selftests are not coccicheck's).
	files=$({ ours_kernel_c; patched_base | grep -E '^(drivers|include)/.*\.[ch]$'; } | sort -u)
	# shellcheck disable=SC2086
	cocci_farm "$SRC" "$GW/cocci-farm" $files
	log "gate cocci: coccicheck on $(echo "$files" | wc -l) files (and their local headers)"
	coccicheck_on "$SRC" "$GW/cocci-farm" "$GW/cocci.ours" || { result cocci 1; return; }
	# Reports on our files count; on the base's, only those its own
	# version lacks (coccicheck on the base's files only then).
	out=$(grep -F -f <(ours_kernel_c | sed 's/$/:/') "$GW/cocci.ours") || true
	[ -z "$out" ] || { printf '%s\n' "$out" >&2; n=$(printf '%s\n' "$out" | wc -l); }
	base=$(patched_base | grep -F -x -f - <(cut -d: -f1 "$GW/cocci.ours" | sort -u)) || true
	if [ -n "$base" ]; then
		# shellcheck disable=SC2086
		cocci_farm "$BASE" "$GW/cocci-farm-base" $base
		coccicheck_on "$BASE" "$GW/cocci-farm-base" "$GW/cocci.base" || { result cocci $((n + 1)); return; }
		out=$(new_only <(grep -F -f <(echo "$base" | sed 's/$/:/') "$GW/cocci.ours") "$GW/cocci.base")
		[ -z "$out" ] || { printf '%s (new versus the base)\n' "$out" >&2; n=$((n + $(printf '%s\n' "$out" | wc -l))); }
	fi
	result cocci "$n"
}

gate_tools() {
	local n=0 hdrs=$WORK/build/hdrs-x86_64 f flags out
	mkdir -p "$hdrs"
	make -s -C "$SRC" O="$hdrs" ARCH=x86_64 headers_install >&2 ||
		{ log "gate tools: headers_install failed"; result tools 1; return; }
	for f in $(ours tools | grep '\.c$'); do
		case "$f" in
		# The selftests' Makefile flags (-Wall -O2 -Wno-unused-function)
		# and -Wextra, less the two warnings that kselftest_harness.h's
		# macros give any test (ASSERT_EQ(0, u32), unused parameters).
		tools/testing/selftests/*)
			flags="-Wextra -Wno-unused-function -Wno-sign-compare -Wno-unused-parameter" ;;
		*)	flags="-Wextra" ;;
		esac
		# shellcheck disable=SC2086
		out=$(cd "$SRC" && gcc -c -o /dev/null -O2 -Wall $flags -D_GNU_SOURCE \
			-I"$SRC/usr/include" -I"$hdrs/usr/include" "$f" 2>&1) ||
			{ printf '%s\n' "$out" >&2; n=$((n + 1)); continue; }
		[ -z "$out" ] || { printf '%s\n' "$out" >&2; n=$((n + $(printf '%s\n' "$out" | grep -c 'warning:'))); }
	done
	result tools "$n"
}

gate_docs() {
	local n=0 d=$GW/docs f rel out
	rm -rf "$d"
	mkdir -p "$d/src" "$d/abi"
	{
		echo "Our pages"
		echo "========="
		echo
		echo ".. toctree::"
		echo
	} >"$d/src/index.rst"
	for f in $(ours Documentation | grep '\.rst$'); do
		rel=${f#Documentation/}
		mkdir -p "$d/src/$(dirname "$rel")"
		ln -s "$SRC/$f" "$d/src/$rel"
		echo "   ${rel%.rst}" >>"$d/src/index.rst"
		# In the full build, a page no toctree lists is a warning.
		grep -qxE "\s+$(basename "$rel" .rst)" "$SRC/$(dirname "$f")/index.rst" 2>/dev/null || {
			log "gate docs: $f is in no toctree of $(dirname "$f")/index.rst"
			n=$((n + 1))
		}
	done
	# Our ABI files, rendered as Documentation/admin-guide/abi-*.rst does.
	# (get_abi.pl wants a directory: a copy of ours.)
	if [ -n "$(ours Documentation/ABI)" ]; then
		ours Documentation/ABI | while read -r f; do cp "$SRC/$f" "$d/abi/"; done
		printf 'ABI\n===\n\n.. kernel-abi:: %s\n' "$d/abi" >"$d/src/abi.rst"
		echo "   abi" >>"$d/src/index.rst"
	fi
	log "gate docs: sphinx-build $(sphinx-build --version 2>&1) of $(grep -c '^   ' "$d/src/index.rst") pages"
	# SPHINX_CONF: no per-directory conf.py (load_config.py).
	if ! (cd "$SRC/Documentation" && srctree=$SRC SPHINX_CONF=/dev/null \
		sphinx-build -b html -q -w "$d/warnings" -c "$SRC/Documentation" \
		-d "$d/doctrees" -D kerneldoc_srctree="$SRC" \
		-D kerneldoc_bin="$SRC/scripts/kernel-doc" "$d/src" "$d/html") \
		>"$d/log" 2>&1; then
		cat "$d/log" >&2
		result docs $((n + 1))
		return
	fi
	# Sphinx's own warnings on the pages, the kernel-doc comments they pull
	# in and the ABI; conf.py's about graphviz (kfigure) are not ours.
	out=$(grep -v 'dot(1) not found' "$d/warnings" | grep -E 'WARNING|ERROR|CRITICAL') || true
	[ -z "$out" ] || { printf '%s\n' "$out" >&2; n=$((n + $(printf '%s\n' "$out" | wc -l))); }
	log "gate docs: html in $d/html"
	result docs "$n"
}

gate_docs_full() {
	local bdir=$WORK/build/htmldocs out
	mkdir -p "$bdir"
	log "gate docs-full: make SPHINXDIRS=\"driver-api userspace-api\" htmldocs in $bdir"
	make -C "$SRC" O="$bdir" SPHINXDIRS="driver-api userspace-api" \
		htmldocs >"$bdir/htmldocs.log" 2>&1 ||
		{ tail -20 "$bdir/htmldocs.log" >&2; result docs-full 1; return; }
	{ ours Documentation; ours_kernel_c; patched_base; } |
		sed 's#^Documentation/##' >"$GW/docs.files"
	out=$(grep -iE 'warning|error' "$bdir/htmldocs.log" | sed -E "s#^$SRC/(Documentation/)?##" |
		grep -F -f "$GW/docs.files") || true
	[ -z "$out" ] || printf '%s\n' "$out" >&2
	log "gate docs-full: $(grep -ciE 'warning' "$bdir/htmldocs.log" || true) warnings in all, $(printf '%s' "$out" | grep -c . || true) naming ours"
	result docs-full "$(printf '%s' "$out" | grep -c . || true)"
}

[ $# -gt 0 ] || set -- build kdoc cocci tools docs
rc=0
for g in "$@"; do
	case "$g" in
	build|kdoc|cocci|tools|docs|docs-full) ;;
	*) die "gates: unknown gate $g" ;;
	esac
	# One gate is a stage of check.sh, which times it.
	if [ $# -eq 1 ]; then
		"gate_${g/-/_}" || rc=1
	else
		stage "gate $g" "gate_${g/-/_}" || rc=1
	fi
done
exit $rc
