#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check.sh: every test, for $CORE.  Stages run in order; a failed stage
# does not stop the ones that do not depend on it.  Prints each stage's
# time and ends with the tally "N passed, N failed, N skipped".
. "$(dirname "$0")/lib.sh"

H=$TOP/harness
mkdir -p "$OUT/$CORE"
export RESULTS_FILE=$OUT/$CORE/results
: >"$RESULTS_FILE"
failed_stages=()
t0=$(date +%s)

# must NAME CMD...: a stage whose failure stops the run (set-up, builds).
must() { stage "$@" || { tally; die "stage $1 failed"; }; }
# try NAME CMD...: a test stage; its failure is recorded and the run goes on.
try() { stage "$@" || failed_stages+=("$1"); }

tally() {
	awk -v stages="${#failed_stages[@]}" '
		{ p += $2; f += $3; s += $4 }
		END {
			# A stage that failed without a result line still fails the run.
			if (f == 0 && stages > 0) f = stages
			printf "%d passed, %d failed, %d skipped\n", p, f, s
		}' "$RESULTS_FILE"
}

must deps "$H/deps.sh"
must base "$H/base.sh"
must "tree ($CORE)" "$H/tree.sh"
log "base: $BASE_PKG $(cat "$WORK/base/.version"), CORE=$CORE"

try "kunit ($CORE)" "$H/kunit.sh"

kernel=$(stage "build x86_64 ($CORE)" "$H/kernel.sh" x86_64 boot) ||
	{ failed_stages+=(build); echo "build-x86_64 0 1 0" >>"$RESULTS_FILE"; tally; exit 1; }
initrd=$(stage "initramfs ($CORE)" "$H/initramfs.sh" x86_64) ||
	{ failed_stages+=(initramfs); echo "initramfs 0 1 0" >>"$RESULTS_FILE"; tally; exit 1; }

try "boot intel strict" "$H/boot.sh" intel-strict "$kernel" "$initrd" intel boot \
	iommu.strict=1 iommutest.domain=DMA
try "boot intel lazy" "$H/boot.sh" intel-lazy "$kernel" "$initrd" intel-nocm boot \
	iommu.strict=0 iommutest.domain=DMA-FQ
try "boot intel passthrough" "$H/boot.sh" intel-pt "$kernel" "$initrd" intel boot \
	iommu.passthrough=1 iommutest.domain=identity
# The base's iommufd selftests, on its mock IOMMU; hugetlb pages for their
# MAP_HUGETLB cases.  VT-d stays off: 6.12's core probes a device without a
# fwspec with the first IOMMU registered without a fwnode, so with DMAR up
# every mock device is handed to the VT-d driver and fails to probe.
try "iommufd selftests" "$H/boot.sh" iommufd-selftests "$kernel" "$initrd" intel iommufd \
	hugepages=128 intel_iommu=off

printf '[time] %-32s %4ds\n' total $(($(date +%s) - t0)) >&2
[ ${#failed_stages[@]} -eq 0 ] || log "failed stages: ${failed_stages[*]}"
tally
[ ${#failed_stages[@]} -eq 0 ]
