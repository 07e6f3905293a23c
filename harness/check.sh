#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check.sh: every test.  First everything on $CORE (default: ours); then,
# unless COMPARE=0 or CORE=stock, the suites that must give the same result
# on the base's core (the KUnit suites and the iommufd selftests) again on
# CORE=stock, in the same run.  Stages run in order; a failed stage does
# not stop the ones that do not depend on it.  Prints each stage's time and
# ends with the tally "N passed, N failed, N skipped".
. "$(dirname "$0")/lib.sh"

H=$TOP/harness
COMPARE=${COMPARE:-1}
mkdir -p "$OUT"
export RESULTS_FILE=$OUT/results
: >"$RESULTS_FILE"
failed_stages=()
t0=$(date +%s)

# must NAME CMD...: a stage whose failure stops the run (set-up).
must() { stage "$@" || { tally; die "stage $1 failed"; }; }
# try NAME CMD...: a test stage; its failure is recorded and the run goes on.
try() { stage "$@" || failed_stages+=("$1"); }
# broken NAME: a build the later stages needed failed.
broken() { failed_stages+=("$1"); echo "$1 0 1 0" >>"$RESULTS_FILE"; }

tally() {
	awk -v stages="${#failed_stages[@]}" '
		{ p += $2; f += $3; s += $4 }
		END {
			# A stage that failed without a result line still fails the run.
			if (f == 0 && stages > 0) f = stages
			printf "%d passed, %d failed, %d skipped\n", p, f, s
		}' "$RESULTS_FILE"
}

# The IOMMU suites on one core: KUnit, the boots, the iommufd selftests.
# With "compare", only what must match the other core.
run_core() {
	local core=$1 what=$2 kernel initrd
	export CORE=$core

	must "tree ($core)" "$H/tree.sh"
	try "kunit ($core)" "$H/kunit.sh"

	kernel=$(stage "build x86_64 ($core)" "$H/kernel.sh" x86_64 boot) ||
		{ broken "build-x86_64($core)"; return; }
	initrd=$(stage "initramfs ($core)" "$H/initramfs.sh" x86_64) ||
		{ broken "initramfs($core)"; return; }

	if [ "$what" = full ]; then
		try "boot intel strict ($core)" "$H/boot.sh" intel-strict "$kernel" \
			"$initrd" intel boot iommu.strict=1 iommutest.domain=DMA
		try "boot intel lazy ($core)" "$H/boot.sh" intel-lazy "$kernel" \
			"$initrd" intel-nocm boot iommu.strict=0 iommutest.domain=DMA-FQ
		try "boot intel passthrough ($core)" "$H/boot.sh" intel-pt "$kernel" \
			"$initrd" intel boot iommu.passthrough=1 iommutest.domain=identity
		try "vfio ($core)" "$H/boot.sh" vfio "$kernel" "$initrd" intel vfio
	fi
	# The base's iommufd selftests, on its mock IOMMU; hugetlb pages for
	# their MAP_HUGETLB cases.  VT-d stays off: a device without a fwspec
	# is probed with the first IOMMU registered without a fwnode, so with
	# DMAR up every mock device would be handed to the VT-d driver.
	try "iommufd selftests ($core)" "$H/boot.sh" iommufd-selftests "$kernel" \
		"$initrd" intel iommufd hugepages=128 intel_iommu=off
}

must deps "$H/deps.sh"
must base "$H/base.sh"
log "base: $BASE_PKG $(cat "$WORK/base/.version")"

run_core "$CORE" full
[ "$COMPARE" = 0 ] || [ "$CORE" = stock ] || run_core stock compare

printf '[time] %-32s %4ds\n' total $(($(date +%s) - t0)) >&2
[ ${#failed_stages[@]} -eq 0 ] || log "failed stages: ${failed_stages[*]}"
tally
[ ${#failed_stages[@]} -eq 0 ]
