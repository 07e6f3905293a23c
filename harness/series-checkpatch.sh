#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# series-checkpatch.sh: make the series (series.sh) and run the base's
# scripts/checkpatch.pl --strict on each of its patches.  Fails if any
# patch has an error or a warning; CHECKs are counted and listed, and the
# cover letter says why those left are there.
#
# Writes each patch's report to out/series-check/NNNN.checkpatch and the
# per-patch counts to out/series-checkpatch.txt, which the cover letter
# quotes; adds a line "checkpatch(series) CLEAN FAILED 0" to
# $RESULTS_FILE when make check runs it.
. "$(dirname "$0")/lib.sh"

[ "${SERIES_MADE:-0}" = 1 ] || "$TOP/harness/series.sh"

dir=$OUT/series-check
mkdir -p "$dir"
rm -f "$dir"/*.checkpatch
summary=$OUT/series-checkpatch.txt
clean=0 failed=0 checks=0 excepted=0
: >"$summary.tmp"
# The exceptions as "PATH TYPE" lines (their explanations dropped).
exceptions=$dir/exceptions
used=$dir/exceptions.used
grep -E '^[^#[:space:]]' "$TOP/series/checkpatch-exceptions" >"$exceptions" || true
: >"$used"
for p in "$OUT"/series/[0-9][0-9][0-9][0-9]-*.patch; do
	n=$(basename "$p" | cut -c1-4)
	[ "$n" != 0000 ] || continue
	# From the base tree: checkpatch reads its spelling list and the
	# tree's files from there; --no-signoff is not given, every patch
	# must be signed off.
	(cd "$BASE" && scripts/checkpatch.pl --strict --show-types \
		"$p" >"$dir/$n.checkpatch" 2>&1) || true
	grep -q '^total: ' "$dir/$n.checkpatch" ||
		echo "ERROR:NO_TOTAL: checkpatch did not finish" >>"$dir/$n.checkpatch"
	# Each finding as LEVEL TYPE FILE; errors and warnings that
	# series/checkpatch-exceptions lists are counted apart.
	e=0 w=0 c=0 x=0
	while read -r level type file; do
		if [ "$level" = CHECK ]; then
			c=$((c + 1))
		elif [ "$(grep -cxF -e "$file $type" "$used")" -lt \
		       "$(grep -cxF -e "$file $type" "$exceptions")" ]; then
			# Each line of the exceptions covers one finding.
			x=$((x + 1))
			echo "$file $type" >>"$used"
		elif [ "$level" = ERROR ]; then
			e=$((e + 1))
		else
			w=$((w + 1))
		fi
	done < <(awk '/^(ERROR|WARNING|CHECK):[A-Z_0-9]+:/ {
			split($0, a, ":"); level = a[1]; type = a[2]; file = "-"
			if ((getline l) > 0 && match(l, /FILE: [^:]+/))
				file = substr(l, RSTART + 6, RLENGTH - 6)
			print level, type, file
		}' "$dir/$n.checkpatch")
	excepted=$((excepted + x))
	# The subject, which format-patch folds over several lines.
	subject=$(awk '/^Subject: /{ s = $0; while ((getline l) > 0 && l ~ /^ /) s = s l; print s; exit }' "$p" |
		sed 's/^Subject: \[PATCH [0-9/]*\] //')
	printf '  %s  %d errors, %d warnings, %2d checks%s  %s\n' \
		"$n" "$e" "$w" "$c" "$([ $x -eq 0 ] && echo "            " || echo ", $x excepted")" \
		"$subject" >>"$summary.tmp"
	checks=$((checks + c))
	if [ "$e" -eq 0 ] && [ "$w" -eq 0 ]; then
		clean=$((clean + 1))
	else
		failed=$((failed + 1))
		log "checkpatch: $(basename "$p"): $e errors, $w warnings"
		grep -A1 -E '^(ERROR|WARNING):' "$dir/$n.checkpatch" >&2 || true
	fi
	[ "$c" -eq 0 ] || grep -A1 -E '^CHECK:' "$dir/$n.checkpatch" >&2 || true
done
# An exception that matched nothing is stale: drop it.
while read -r f t; do
	grep -qxF "$f $t" "$used" ||
		{ log "checkpatch: series/checkpatch-exceptions: '$f $t' matches nothing"; failed=$((failed + 1)); }
done <"$exceptions"
mv "$summary.tmp" "$summary"
python3 "$TOP/harness/series.py" cover "$TOP" "$OUT"/series/0000-cover-letter.patch "$OUT"

log "checkpatch --strict: $clean patches clean, $failed with errors or warnings, $checks checks in all, $excepted listed exceptions"
[ -z "${RESULTS_FILE:-}" ] || echo "checkpatch(series) $clean $failed 0" >>"$RESULTS_FILE"
[ "$failed" -eq 0 ]
