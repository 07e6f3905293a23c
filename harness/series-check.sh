#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# series-check.sh: is the series bisectable and clean?  Makes the series
# (series.sh), runs checkpatch --strict on every patch
# (series-checkpatch.sh), then applies it with git am, patch by patch, to
# a clean git repository of the base and builds the x86_64 test
# configuration ("x86_64 boot", the KUnit suites included; before the
# patch that adds them their options are only logged as missing) before the first patch and after every patch, and the
# user-space programs of harness/guest-programs.list (the iommufd
# selftests, tools/iommu) after every patch that touches their sources
# or the UAPI.  Last,
# scripts/get_maintainer.pl must name a maintainer of ours for every file
# of ours.
#
# The repository (work/series/check, a clone of work/series/repo.git) is
# reset to the base and cleaned on every run (FRESH=1 clones it again),
# and the build directory (work/series/build) is kept across patches and
# runs, so each build is incremental: only what a patch touches is
# rebuilt, with ccache behind it.  The run takes the machine-wide build
# lock once, for all its builds.
#
# Per patch: out/series-check/NNNN.checkpatch, NNNN.build (kernel.sh's
# log; build.log of a failed build); the table in out/series-check.txt.
. "$(dirname "$0")/lib.sh"

H=$TOP/harness
REPO=$WORK/series/repo.git
CHK=$WORK/series/check
BUILD=$WORK/series/build
dir=$OUT/series-check
t0=$(date +%s)

"$H/series.sh"
rc=0
SERIES_MADE=1 "$H/series-checkpatch.sh" || rc=1
version=$(cat "$WORK/base/.version")
mapfile -t patches < <(ls "$OUT"/series/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-')

# A clean repository of the base.
if [ "${FRESH:-0}" = 1 ] || [ ! -d "$CHK/.git" ] ||
   [ "$(git -C "$CHK" config --get series.base 2>/dev/null)" != "$version" ]; then
	log "series-check: cloning the base into $CHK"
	rm -rf "$CHK" "$BUILD"
	git clone -q --shared --no-checkout "$REPO" "$CHK"
	git -C "$CHK" config series.base "$version"
	git -C "$CHK" config user.name series-check
	git -C "$CHK" config user.email series-check@localhost
else
	git -C "$CHK" am --abort >/dev/null 2>&1 || true
	git -C "$CHK" fetch -q origin
fi
git -C "$CHK" checkout -q -f -B check origin/base
git -C "$CHK" clean -q -f -d -x

# build LABEL LAST: build the repository as it is; LAST=1 for the last
# patch, where every option of the fragments must be in .config.
build() {
	local label=$1 last=$2 start
	start=$(date +%s)
	rm -f "$BUILD/.config-hash"	# a patch may add Kconfig symbols
	if KERNEL_SRC=$CHK KERNEL_BUILD=$BUILD \
	   KERNEL_CONFIG_CHECK=$([ "$last" = 1 ] && echo fail || echo warn) \
	   "$H/kernel.sh" x86_64 boot >/dev/null 2>"$dir/$label.build"; then
		sed -n 's/.*built in \([0-9]*s\) (\([0-9]*\)s waiting.*/\1/p' "$dir/$label.build"
	else
		cp "$BUILD/build.log" "$dir/$label.build.log" 2>/dev/null || true
		echo "FAILED after $(($(date +%s) - start))s"
		return 1
	fi
}

# programs LABEL: build the user-space programs of
# harness/guest-programs.list whose sources the repository has by now
# (the iommufd selftests, iommufd_viommu, tools/iommu) against its UAPI
# headers, as initramfs.sh does for the guest.
programs() {
	local label=$1 hdrs=$WORK/series/hdrs bin=$WORK/series/programs name srcs s ok=0 bad=0
	mkdir -p "$hdrs" "$bin"
	make -s -C "$CHK" O="$hdrs" ARCH=x86_64 headers_install >"$dir/$label.programs" 2>&1 ||
		{ echo "headers_install FAILED"; return 1; }
	while read -r name srcs; do
		case "$name" in ''|'#'*) continue ;; esac
		for s in $srcs; do
			case "$s" in -*) ;; *) [ -f "$CHK/$s" ] || continue 2 ;; esac
		done
		# shellcheck disable=SC2086
		if (cd "$CHK" && gcc -O2 -Wall -Werror -D_GNU_SOURCE \
			-I"$CHK/usr/include" -I"$hdrs/usr/include" \
			-o "$bin/$name" $srcs) >>"$dir/$label.programs" 2>&1; then
			ok=$((ok + 1))
		else
			echo "$name does not build" >>"$dir/$label.programs"
			bad=$((bad + 1))
		fi
	done <"$H/guest-programs.list"
	if [ $bad -eq 0 ]; then echo "$ok built"; else echo "$bad FAILED"; return 1; fi
}

mkdir -p "$dir"
table=$OUT/series-check.txt
: >"$table.tmp"
row() { printf '  %-4s  %-14s  %-10s  %-13s  %s\n' "$@" | tee -a "$table.tmp" >&2; }
row patch "kernel build" programs checkpatch subject

# The base's own iommufd selftests do not build against its UAPI
# (patches/0002 and the first patch say why): no programs before it.
# The build lock for all the builds in a row: they are incremental and
# short, and waiting for the lock before each would make the run as long
# as every other build on the machine.
log "series-check: waiting for the build lock"
build_lock
export BUILD_LOCK_HELD=1
b=$(build 0000 0) || rc=1
row base "$b" "-" "-" "$BASE_PKG $version"

n=0
for p in "${patches[@]}"; do
	n=$((n + 1))
	num=$(basename "$p" | cut -c1-4)
	subject=$(git -C "$CHK" mailinfo /dev/null /dev/null <"$p" | sed -n 's/^Subject: //p')
	cp=$(grep "^  $num " "$OUT/series-checkpatch.txt" |
		awk '{ print $2 "E " $4 "W " $6 "C" ($9 == "excepted" ? " " $8 "X" : "") }')
	if ! git -C "$CHK" am -q "$p" >"$dir/$num.am" 2>&1; then
		row "$num" "git am FAILED" - "$cp" "$subject"
		cat "$dir/$num.am" >&2
		rc=1
		break
	fi
	b=$(build "$num" "$([ $n -eq ${#patches[@]} ] && echo 1 || echo 0)") || rc=1
	# The programs again when the patch touches what they build from.
	pr=-
	if [ $n -eq 1 ] || git -C "$CHK" diff --name-only HEAD^ HEAD |
		grep -qE '^(tools/|include/uapi/|drivers/iommu/iommufd/iommufd_test\.h)'; then
		pr=$(programs "$num") || rc=1
	fi
	row "$num" "$b" "$pr" "$cp" "$subject"
done

# Every file of ours has one of our maintainers, by get_maintainer.pl.
if [ $n -eq ${#patches[@]} ]; then
	missing=0
	ours=$(cd "$TOP" && find drivers include Documentation tools -type f | sort)
	for f in $ours; do
		(cd "$CHK" && scripts/get_maintainer.pl --no-git --no-git-fallback \
			--no-rolestats --no-l --no-r -f "$f" 2>/dev/null) |
			grep -q 'iommu-core@localhost' ||
			{ log "MAINTAINERS: get_maintainer.pl names none of ours for $f"; missing=$((missing + 1)); }
	done
	log "MAINTAINERS: $(($(wc -w <<<"$ours") - missing)) of $(wc -w <<<"$ours") files of ours have one of our maintainers"
	[ $missing -eq 0 ] || rc=1
fi

mv "$table.tmp" "$table"
log "series-check: $n of ${#patches[@]} patches applied, took $(($(date +%s) - t0))s; $([ $rc -eq 0 ] && echo passed || echo FAILED)"
exit $rc
