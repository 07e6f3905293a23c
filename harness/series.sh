#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# series.sh: the kernel series.  From the base to the overlaid tree, a git
# format-patch series in out/series/: a cover letter and one patch per
# step of series/ (series/README says how a step is described).
#
# The base is committed once per package version to a git repository of
# its own, work/series/repo.git (branch "base"); each run then makes
# branch "series" there with git plumbing (no checkout) and formats it.
# The commits have fixed dates and author, so an unchanged repository
# gives the same series, commit IDs included.
#
# series.sh --base only commits the base (make check does that early, in
# its pool of jobs, while kernels build).  series.sh --cover refills only
# the cover letter of the series already in out/series/ (make check, once
# its results are in), or makes the whole series if there is none.
#
# Fails if a file of ours or a patch of patches/series is in no step or in
# two, if a patch does not apply, if the last patch does not give exactly
# the tree that tree.sh overlays (CORE=ours), if MAINTAINERS leaves a
# file of ours uncovered, or if a commit message names an issue of our
# tracker ("issue 7").
. "$(dirname "$0")/lib.sh"

REPO=$WORK/series/repo.git
SERIES_OUT=${SERIES_OUT:-$OUT/series}

[ -d "$BASE" ] || die "no base in $BASE: run harness/deps.sh and harness/base.sh"
version=$(cat "$WORK/base/.version")
mkdir -p "$WORK/series" "$OUT"
# One run at a time on this work directory (the repository, the stage).
exec 8>"$WORK/series/lock"
flock 8

# The base, committed once per version.
if [ "$(git --git-dir="$REPO" config --get series.base 2>/dev/null)" != "$version" ]; then
	log "series: committing the base ($BASE_PKG $version) to $REPO"
	rm -rf "$REPO"
	git init -q --bare "$REPO"
	# Every file of the base, also those the kernel's .gitignore names.
	GIT_INDEX_FILE=$WORK/series/base.index \
		git --git-dir="$REPO" --work-tree="$BASE" add -A -f
	tree=$(GIT_INDEX_FILE=$WORK/series/base.index git --git-dir="$REPO" write-tree)
	rm -f "$WORK/series/base.index"
	commit=$(echo "Linux 6.12: $BASE_PKG $version" |
		GIT_AUTHOR_NAME=base GIT_AUTHOR_EMAIL=base@localhost \
		GIT_COMMITTER_NAME=base GIT_COMMITTER_EMAIL=base@localhost \
		GIT_AUTHOR_DATE="@1767225600 +0000" GIT_COMMITTER_DATE="@1767225600 +0000" \
		git --git-dir="$REPO" commit-tree "$tree")
	git --git-dir="$REPO" update-ref refs/heads/base "$commit"
	git --git-dir="$REPO" config series.base "$version"
fi
[ "${1:-}" != --base ] || exit 0
cover=$SERIES_OUT/0000-cover-letter.patch
if [ "${1:-}" = --cover ] && [ -f "$cover" ]; then
	python3 "$TOP/harness/series.py" cover "$TOP" "$cover" "$OUT"
	log "series: cover letter refilled in $cover"
	exit 0
fi

# What the overlay changes, to check the series ends with the same tree.
overlay_stage "$WORK/series/stage" ours
python3 "$TOP/harness/series.py" build "$TOP" "$REPO" "$BASE" "$WORK/series/stage" >/dev/null
rm -rf "$WORK/series/stage"

# A commit message speaks to the list: the reason, not our tracker.
tracker=$(git --git-dir="$REPO" log --format='%h %s%n%b' base..series |
	grep -nE '\b([Ii]ssue|[Tt]ask) #?[0-9]+' || true)
[ -z "$tracker" ] || die "series: commit messages name our tracker: $tracker"

rm -rf "$SERIES_OUT"
git --git-dir="$REPO" format-patch -q --cover-letter --no-signature \
	-o "$SERIES_OUT" base..series
python3 "$TOP/harness/series.py" cover "$TOP" "$cover" "$OUT"

log "series: $(git --git-dir="$REPO" rev-list --count base..series) patches and a cover letter in $SERIES_OUT"
git --git-dir="$REPO" log --reverse --format='  %s' base..series >&2
