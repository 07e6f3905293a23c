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
		for iommu in intel amd virtio; do
			boot_matrix "" "$kernel" "$initrd" "$iommu"
		done
		# The fuzzer's mock devices need our core's private bus IOMMU
		# next to the real one (the base's core would hand them to it).
		if [ "$core" = ours ]; then
			for iommu in intel amd virtio; do
				fuzz_boot "" "$kernel" "$initrd" "$iommu"
			done
		fi
	fi
	# Ours gives a private bus (the selftest's mock) its own IOMMU, so
	# the selftests run with the VT-d driver up, as on a host.  The base's
	# core probes a device without a fwspec with the first IOMMU
	# registered without a fwnode, so with DMAR up every mock device would
	# go to the VT-d driver: VT-d off for it.
	# shellcheck disable=SC2046
	try "iommufd selftests ($core)" "$H/boot.sh" iommufd-selftests \
		"$kernel" "$initrd" intel iommufd hugepages=128 \
		$([ "$core" = stock ] && echo intel_iommu=off)
	[ "$what" != full ] || try "arm64 smmuv3 ($core)" "$H/arm64.sh"
	[ "$what" != full ] || [ "$core" != ours ] || run_debug "$initrd"
}

# boot_matrix TAG KERNEL INITRD IOMMU [ARG...]: the default domain in
# strict, lazy and passthrough mode with the disk read through it, and
# VFIO; TAG (empty or "debug") goes into the run names, ARGs onto every
# kernel command line.
boot_matrix() {
	local tag=${1:+$1-} label=${1:+$1 } kernel=$2 initrd=$3 iommu=$4
	local lazy_iommu=$4 lazy=DMA-FQ vfio_args=
	shift 4

	case "$iommu" in
	# Caching mode makes the VT-d driver force strict invalidation.
	intel) lazy_iommu=intel-nocm ;;
	# QEMU's AMD-Vi always reports NpCache, for which the driver forces
	# strict ("Using strict mode due to virtualization"): lazy gives DMA.
	amd) lazy=DMA ;;
	# QEMU's virtio-iommu does not isolate MSIs; VFIO must be told.
	virtio) vfio_args="vfio_iommu_type1.allow_unsafe_interrupts=1 iommufd.allow_unsafe_interrupts=1" ;;
	esac
	try "${label}boot $iommu strict ($CORE)" "$H/boot.sh" "$tag$iommu-strict" \
		"$kernel" "$initrd" "$iommu" boot iommu.strict=1 \
		iommutest.domain=DMA "$@"
	try "${label}boot $iommu lazy ($CORE)" "$H/boot.sh" "$tag$iommu-lazy" \
		"$kernel" "$initrd" "$lazy_iommu" boot iommu.strict=0 \
		iommutest.domain=$lazy "$@"
	try "${label}boot $iommu passthrough ($CORE)" "$H/boot.sh" \
		"$tag$iommu-pt" "$kernel" "$initrd" "$iommu" boot \
		iommu.passthrough=1 iommutest.domain=identity "$@"
	# shellcheck disable=SC2086
	try "${label}vfio $iommu ($CORE)" "$H/boot.sh" "$tag$iommu-vfio" \
		"$kernel" "$initrd" "$iommu" vfio $vfio_args "$@"
}

# The debug kernel (configs/debug.config: lockdep, KASAN, kmemleak, debug
# objects and lists, fault injection) runs our KUnit suites, built in, at
# boot, then the boot matrix and the iommufd selftests with KUnit off; a
# lockdep, KASAN or WARN report on the console or a kmemleak find at the
# end of a run fails it.  Ours only: it proves our code, and the base's
# core is the reference, not the subject.
run_debug() {
	local kernel initrd=$1 iommu

	kernel=$(stage "build x86_64 debug ($CORE)" "$H/kernel.sh" x86_64 \
		boot debug) || { broken "build-x86_64-debug($CORE)"; return; }
	KTAP_CONSOLE=1 try "debug kunit at boot ($CORE)" "$H/boot.sh" \
		debug-kunit "$kernel" "$initrd" intel boot iommu.strict=1 \
		iommutest.domain=DMA
	for iommu in intel amd virtio; do
		boot_matrix debug "$kernel" "$initrd" "$iommu" kunit.enable=0
	done
	try "debug iommufd selftests ($CORE)" "$H/boot.sh" \
		debug-iommufd-selftests "$kernel" "$initrd" intel iommufd \
		hugepages=128 kunit.enable=0
	fuzz_boot debug "$kernel" "$initrd" intel kunit.enable=0
}

# fuzz_boot TAG KERNEL INITRD IOMMU [ARG...]: iommu-fuzz (guest/fuzz.sh)
# on the vIOMMU ioctls and on VFIO with the disk, a fixed seed, iterations
# and time cap (iommutest.seed= and friends override them), then the
# disk's checksum.  TAG and ARGs as for boot_matrix.
fuzz_boot() {
	local tag=${1:+$1-} label=${1:+$1 } kernel=$2 initrd=$3 iommu=$4 args=
	shift 4
	# As boot_matrix: QEMU's virtio-iommu does not isolate MSIs.
	[ "$iommu" != virtio ] ||
		args="vfio_iommu_type1.allow_unsafe_interrupts=1 iommufd.allow_unsafe_interrupts=1"
	# The fuzzer stops at its own time cap (30 s); the boot at this one.
	# shellcheck disable=SC2086
	BOOT_TIMEOUT=${FUZZ_TIMEOUT:-240} try "${label}fuzz $iommu ($CORE)" \
		"$H/boot.sh" "$tag$iommu-fuzz" "$kernel" "$initrd" "$iommu" fuzz \
		$args ${FUZZ_ARGS:-} "$@"
}

must deps "$H/deps.sh"
must base "$H/base.sh"
log "base: $BASE_PKG $(cat "$WORK/base/.version")"

run_core "$CORE" full
# The static checks read our core, so they run on CORE=ours, before the
# stock comparison puts the base's core into the tree.
if [ "$CORE" = ours ]; then
	for gate in build kdoc cocci tools docs; do
		try "gate $gate" "$H/gates.sh" "$gate"
	done
fi
[ "$COMPARE" = 0 ] || [ "$CORE" = stock ] || run_core stock compare

# The kernel series (series/): made from the base and the tree just
# tested, and checkpatch --strict on every patch.  Last, so that its cover
# letter quotes this run's results.  The build of every patch is make
# series-check's, not make check's.
try "checkpatch (series)" "$H/series-checkpatch.sh"

printf '[time] %-32s %4ds\n' total $(($(date +%s) - t0)) >&2
[ ${#failed_stages[@]} -eq 0 ] || log "failed stages: ${failed_stages[*]}"
tally
[ ${#failed_stages[@]} -eq 0 ]
