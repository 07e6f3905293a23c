#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check.sh: every test.  First everything on $CORE (default: ours); then,
# unless COMPARE=0 or CORE=stock, the same boots again on CORE=stock, in
# the same run.  Prints each stage's time and ends with the tally
# "N passed, N failed, N skipped".
#
# Two kernels: the x86_64 test kernel for the x86_64 matrix, and the arm64
# kernel, which is also the debug kernel (configs/debug.config: lockdep,
# KASAN, kmemleak, fault injection): every arm64 row runs under the debug
# checks.  A third build, an x86_64 debug kernel, did not fit the time a
# cold run may take on two cores (see README, "How long it takes"); it is
# the "debug" stage, which make check-debug runs and make check does not.
# Kernel builds run one after the other in this script (two cores: each
# build uses both); the debug kernel's long boots run beside the static
# checks and the stock core's builds.  The machine is busy all along (a
# cold run used 1.93 of the 2 cores on average), so the order moves work
# around more than it saves.
# Each boot is a job of a pool that runs BOOT_JOBS guests at once
# (default: one more than the cores), beside the builds: a guest keeps at
# most one core busy (a debug kernel's all the time, a test kernel's under
# half of it: measured 10.5 s of CPU in a 23 s boot), so a pool of them
# fills the cores while a build links or a guest waits.  Spawning a job
# never waits: the job queues for a slot of the pool, in the order jobs
# were spawned, so the next build starts at once.  A job boots a copy of
# the kernel image it was given, so a later build (the other core's, in
# the same build directory) cannot change what it runs.  A job's output
# is printed when it ends.  A failed stage does not stop the ones that do
# not depend on it.
. "$(dirname "$0")/lib.sh"

H=$TOP/harness
COMPARE=${COMPARE:-1}
# STAGES: what to run (a developer's subset; make check runs them all).
# "debug" (the x86_64 debug kernel) is not among make check's.
STAGES=${STAGES:-x86_64 arm64 gates stock series}
BOOT_JOBS=${BOOT_JOBS:-$(($(nproc) + 1))}
mkdir -p "$OUT"
export RESULTS_FILE=$OUT/results PROBLEMS_FILE=$OUT/problems
: >"$RESULTS_FILE"
: >"$PROBLEMS_FILE"
JOBS_DIR=$OUT/jobs
rm -rf "$JOBS_DIR"
mkdir -p "$JOBS_DIR"
failed_stages=()
t0=$(date +%s)
export HARNESS_T0=$t0

wanted() { case " $STAGES " in *" $1 "*) return 0 ;; esac; return 1; }

# must NAME CMD...: a stage whose failure stops the run (set-up).
must() { (stage "$@") || { tally; die "stage $1 failed"; }; }
# try NAME CMD...: a test stage; its failure is recorded and the run goes on.
try() { (stage "$@") || failed_stages+=("$1"); }
# broken NAME: a build the later stages needed failed.
broken() { failed_stages+=("$1"); echo "$1 0 1 0" >>"$RESULTS_FILE"; }

# spawn NAME CMD...: try, as a job of the pool.
job_seq=0
echo 1 >"$JOBS_DIR/next"
spawn() {
	local name=$1 out ticket
	job_seq=$((job_seq + 1))
	ticket=$job_seq
	out=$JOBS_DIR/$job_seq.log
	(
		pool_slot "$ticket"
		stage "$@" >"$out" 2>&1 || echo "$name" >>"$JOBS_DIR/failed"
		cat "$out" >&2
	) &
}

# pool_slot TICKET: wait for this job's turn (tickets in spawn order) and
# a free slot of the pool, and hold the slot (a lock on its file) until
# the job's shell exits.  Only the job whose turn it is looks for a slot,
# so the turn counter has one writer at a time.
pool_slot() {
	local ticket=$1 i fd next
	while :; do
		# $$ is make check's shell: a job queued when it was killed
		# must not run later on its own.
		kill -0 $$ 2>/dev/null || exit 1
		read -r next <"$JOBS_DIR/next" || next=0
		if [ "$next" != "$ticket" ]; then
			# Not yet its turn: look again less often (forty jobs may
			# be queued, each look forks a sleep).
			sleep 2
			continue
		fi
		for ((i = 0; i < BOOT_JOBS; i++)); do
			exec {fd}>"$JOBS_DIR/slot.$i"
			if flock -n "$fd"; then
				echo $((ticket + 1)) >"$JOBS_DIR/next"
				return
			fi
			exec {fd}>&-
		done
		sleep 0.5
	done
}

# settle: wait for every job and collect the failed ones.
settle() {
	wait
	[ ! -s "$JOBS_DIR/failed" ] || mapfile -t -O "${#failed_stages[@]}" \
		failed_stages <"$JOBS_DIR/failed"
	rm -f "$JOBS_DIR/failed"
}

tally() {
	awk -v stages="${#failed_stages[@]}" '
		{ p += $2; f += $3; s += $4 }
		END {
			# A stage that failed without a result line still fails the run.
			if (f == 0 && stages > 0) f = stages
			printf "%d passed, %d failed, %d skipped\n", p, f, s
		}' "$RESULTS_FILE"
}

# build_kernel NAME ARCH FRAGMENT...: build, and keep a copy of the image and
# its .config as out/$CORE/NAME.img and NAME.config; prints the image's
# path.
build_kernel() {
	local name=$1 img
	shift
	img=$("$H/kernel.sh" "$@") || return 1
	cp "$img" "$OUT/$CORE/$name.img"
	cp "$(dirname "$img")/../../../.config" "$OUT/$CORE/$name.config"
	echo "$OUT/$CORE/$name.img"
}

# The x86_64 rows: NAME IOMMU ARGS.  Each row is one boot that runs the
# suites edu, boot, bridge and vfio (edu first: the disks must still read
# through the IOMMU after it gave the edu device back).  Lazy mode: caching mode makes the
# VT-d driver force strict invalidation, so those rows go without it;
# QEMU's AMD-Vi always reports NpCache, for which the driver forces strict
# ("Using strict mode due to virtualization"): lazy gives DMA there.
X86_ROWS=(
	"intel-strict intel iommu.strict=1 iommutest.domain=DMA"
	"intel-lazy intel-nocm iommu.strict=0 iommutest.domain=DMA-FQ"
	"intel-pt intel iommu.passthrough=1 iommutest.domain=identity"
	"intel-sl-strict intel-sl iommu.strict=1 iommutest.domain=DMA"
	"intel-sl-lazy intel-sl-nocm iommu.strict=0 iommutest.domain=DMA-FQ"
	"intel-fl-strict intel-fl iommu.strict=1 iommutest.domain=DMA"
	"intel-fl-lazy intel-fl-nocm iommu.strict=0 iommutest.domain=DMA-FQ"
	"amd-strict amd iommu.strict=1 iommutest.domain=DMA"
	"amd-lazy amd iommu.strict=0 iommutest.domain=DMA"
	"amd-pt amd iommu.passthrough=1 iommutest.domain=identity"
	"virtio-strict virtio iommu.strict=1 iommutest.domain=DMA"
	"virtio-lazy virtio iommu.strict=0 iommutest.domain=DMA-FQ"
	"virtio-pt virtio iommu.passthrough=1 iommutest.domain=identity"
)
# The arm64 rows (QEMU's virt with its SMMUv3), on the debug kernel.  The
# SMMUv3 driver does not force strict under QEMU: lazy gives DMA-FQ.
ARM64_ROWS=(
	"smmuv3-strict smmuv3 iommu.strict=1 iommutest.domain=DMA"
	"smmuv3-lazy smmuv3 iommu.strict=0 iommutest.domain=DMA-FQ"
	"smmuv3-pt smmuv3 iommu.passthrough=1 iommutest.domain=identity"
	"smmuv3-s1-strict smmuv3-s1 iommu.strict=1 iommutest.domain=DMA"
)
# Rows of the x86_64 debug kernel (make check-debug): VT-d on DMA-FQ with
# the KUnit suites and the fuzzer, and virtio-iommu on identity (which it
# allocates through the older domain_alloc(type) op); the iommufd
# selftests boot on their own.  A debug boot takes five to ten minutes, a
# test kernel's half a minute: in a cold make check, three debug rows and
# the selftests' boot took 302, 427, 568 and 624 s.
DEBUG_ROWS=(intel-lazy virtio-pt)
# Rows of the base's core: each IOMMU and VT-d table format once, VT-d
# also lazy.  The base's core is the reference, not the subject.
STOCK_ROWS=(intel-strict intel-lazy intel-sl-strict intel-fl-strict
	amd-strict virtio-strict smmuv3-strict)

# row_args IOMMU: what every boot on IOMMU needs on its command line: a
# few 2 MiB pages for the edu suite's hugetlbfs case; QEMU's virtio-iommu
# does not isolate MSIs, VFIO must be told.
row_args() {
	echo hugepages=8
	[ "$1" != virtio ] ||
		echo "vfio_iommu_type1.allow_unsafe_interrupts=1 iommufd.allow_unsafe_interrupts=1"
}

# boot_row TAG KERNEL INITRD ROW SUITES [ARG...]: one row of a matrix as a
# job.  TAG (empty or "debug") goes into the run's name; ARGs go onto the
# command line after the row's.
boot_row() {
	local tag=${1:+$1-} label=${1:+$1 } kernel=$2 initrd=$3 suites=$5
	local -a row
	read -ra row <<<"$4"
	shift 5
	# shellcheck disable=SC2046
	spawn "${label}${row[0]} ($CORE)" "$H/boot.sh" "$tag${row[0]}" \
		"$kernel" "$initrd" "${row[1]}" "$suites" "${row[@]:2}" \
		$(row_args "${row[1]}") "$@"
}

# row_wanted NAME: whether row NAME runs on $CORE.
row_wanted() {
	[ "$CORE" = ours ] && return 0
	case " ${STOCK_ROWS[*]} " in *" $1 "*) return 0 ;; esac
	return 1
}

# row NAME ROWS...: the row called NAME.
row() {
	local want=$1 r
	shift
	for r in "$@"; do [ "${r%% *}" != "$want" ] || { echo "$r"; return; }; done
	die "no row $want"
}

# kunit_filter [debug]: which KUnit cases run on $CORE (kunit.filter
# syntax).  Not the benchmark (harness/bench.sh runs it); on a debug
# kernel not the slow cases either (the one there is, ioasid's 2^20
# allocations, takes 2 s on the test kernel and 159 s on the x86_64 debug
# kernel, against the 300 s KUnit gives a case, which a busy machine
# could exceed).  On the base's core, not the modules whose cases it
# fails by design or cannot answer:
# - iommu_core_changes_test: what our core changes (the cover letter's
#   list), and the sysfs type written through our core's test seam;
# - iommu_stress_test: its invariants read groups through that seam;
# - iommu_fail_nth_test: with IOMMU_DMA, the base's probe returns -EINVAL
#   where an allocation failed (measured: 3 of its 44 injection points),
#   which the suite refuses;
# - iommu_bus_alloc_test: the base warns with a backtrace on a bus of two
#   drivers and allocates with no device, which the mock driver does not
#   expect.
# (iommu-dma-owner is not even built there: it calls the design's names,
# which only our core has.)  Cases are not asked which core they run on.
kunit_filter() {
	local speed=very_slow
	[ "${1:-}" != debug ] || speed=slow
	if [ "$CORE" = stock ]; then
		echo "speed>$speed, module!=iommu_core_changes_test," \
			"module!=iommu_stress_test, module!=iommu_fail_nth_test," \
			"module!=iommu_bus_alloc_test"
	else
		echo "speed>$speed"
	fi
}

# debug_kunit_args: the kernel arguments of the one row of a debug kernel
# that runs the KUnit suites at boot (skipped cases listed as skipped)
# and, on our core, the fuzzer with a sixth of its iterations (20,000
# took 116 s on the x86_64 debug kernel).
debug_kunit_args() {
	echo kunit.enable=1 "kunit.filter=$(kunit_filter debug | tr -d ' ')" \
		kunit.filter_action=skip iommutest.fuzz_iterations=10000
}

# x86_suites ROW: the suites of a row; on our core the strict row of each
# IOMMU driver runs the fuzzer too (its mock devices need our core's
# private bus IOMMU next to the real one).
x86_suites() {
	case "$CORE:$1" in
	ours:intel-strict | ours:amd-strict | ours:virtio-strict)
		echo edu,boot,bridge,vfio,fuzz ;;
	*) echo edu,boot,bridge,vfio ;;
	esac
}

# initramfs_start ARCH: make the initramfs in the background: it needs the
# tree, not the kernel, so its compiler runs fill the cores while the
# kernel build beside it links.
initramfs_start() {
	stage "initramfs $1 ($CORE)" "$H/initramfs.sh" "$1" \
		>"$JOBS_DIR/initramfs-$CORE-$1" 2>"$JOBS_DIR/initramfs-$CORE-$1.log" &
	initramfs_pid=$!
}

# initramfs_wait ARCH: wait for it; sets initrd to its path.
initramfs_wait() {
	local rc=0
	wait "$initramfs_pid" || rc=$?
	cat "$JOBS_DIR/initramfs-$CORE-$1.log" >&2
	initrd=$(cat "$JOBS_DIR/initramfs-$CORE-$1")
	return $rc
}

# x86_64 CORE: the test kernel, kunit.py on it, the boot matrix, the
# iommufd selftests.  Sets x86_initrd for the debug kernel's boots.
x86_initrd=
x86_64() {
	local kernel initrd r
	initramfs_start x86_64
	kernel=$(stage "build x86_64 ($CORE)" build_kernel x86_64 x86_64 boot) ||
		{ wait "$initramfs_pid" || true; broken "build-x86_64($CORE)"; return; }
	initramfs_wait x86_64 || { broken "initramfs-x86_64($CORE)"; return; }
	x86_initrd=$initrd
	KUNIT_FILTER=$(kunit_filter) spawn "kunit ($CORE)" "$H/kunit.sh" \
		"$kernel" "$OUT/$CORE/x86_64.config"
	for r in "${X86_ROWS[@]}"; do
		row_wanted "${r%% *}" || continue
		boot_row "" "$kernel" "$initrd" "$r" "$(x86_suites "${r%% *}")"
	done
	# Ours gives a private bus (the selftest's mock) its own IOMMU, so
	# the selftests run with the VT-d driver up, as on a host.  The base's
	# core probes a device without a fwspec with the first IOMMU
	# registered without a fwnode, so with DMAR up every mock device would
	# go to the VT-d driver: VT-d off for it.
	# shellcheck disable=SC2046
	spawn "iommufd selftests ($CORE)" "$H/boot.sh" iommufd-selftests \
		"$kernel" "$initrd" intel iommufd hugepages=128 \
		$([ "$CORE" = stock ] && echo intel_iommu=off)
}

# x86_64_debug: the x86_64 debug kernel (our core only) and its boots,
# with the test kernel's initramfs (made here if the x86_64 stage did not
# run).
x86_64_debug() {
	local kernel initrd=$x86_initrd
	if [ -z "$initrd" ]; then
		initramfs_start x86_64
		initramfs_wait x86_64 || { broken "initramfs-x86_64($CORE)"; return; }
	fi
	kernel=$(stage "build x86_64 debug ($CORE)" build_kernel x86_64-debug x86_64 \
		boot debug) || { broken "build-x86_64-debug($CORE)"; return; }
	# The KUnit suites at boot (their KTAP on the console), then the
	# guest suites; of this kernel's rows only this one runs the fuzzer.
	# Two vCPUs here, for the KUnit stress suites' threads.
	# shellcheck disable=SC2046
	BOOT_SMP=2 KTAP_CONSOLE=1 boot_row debug "$kernel" "$initrd" \
		"$(row "${DEBUG_ROWS[0]}" "${X86_ROWS[@]}")" \
		edu,boot,bridge,vfio,fuzz $(debug_kunit_args)
	# 1,000 of edu's mappings here: each is a request to QEMU's
	# virtio-iommu (10,000 took 138 s of this row's 416 s); the first
	# row maps 10,000 under kmemleak.  One vCPU, as every boot that runs
	# nothing concurrent (harness/boot.sh).
	boot_row debug "$kernel" "$initrd" \
		"$(row "${DEBUG_ROWS[1]}" "${X86_ROWS[@]}")" \
		edu,boot,bridge,vfio iommutest.edu_mappings=1000
	spawn "debug iommufd selftests ($CORE)" "$H/boot.sh" \
		debug-iommufd-selftests "$kernel" "$initrd" intel iommufd \
		hugepages=128
}

# arm64: Debian's arm64 busybox, the arm64 debug kernel, its initramfs,
# the rows and the iommufd selftests with the SMMUv3 driver up.  The
# base's SMMUv3 KUnit suite and ours are built in; the strict row runs
# them (debug_kunit_args) and judges their KTAP on the console, so each
# result counts once.  On our core that row runs the fuzzer too.  The
# debug checks make a boot five to ten times dearer, so the four rows and
# the selftests are all the arm64 boots there are, and only the strict
# row maps edu's 10,000 pages (the two many cases took 135 s of the lazy
# row's 313 s); the others map 1,000, enough for the case's point: every
# sampled page lands, all go in random order.
arm64() {
	local kernel initrd r suites=edu,boot,vfio
	stage "busybox arm64" "$H/busybox-arm64.sh" || { broken busybox-arm64; return; }
	initramfs_start arm64
	kernel=$(stage "build arm64 debug ($CORE)" build_kernel arm64-debug arm64 \
		boot debug) ||
		{ wait "$initramfs_pid" || true; broken "build-arm64-debug($CORE)"; return; }
	initramfs_wait arm64 || { broken "initramfs-arm64($CORE)"; return; }
	[ "$CORE" != ours ] || suites+=,fuzz
	# shellcheck disable=SC2046
	BOOT_SMP=2 KTAP_CONSOLE=1 boot_row debug "$kernel" "$initrd" \
		"${ARM64_ROWS[0]}" "$suites" $(debug_kunit_args)
	for r in "${ARM64_ROWS[@]:1}"; do
		row_wanted "${r%% *}" || continue
		boot_row debug "$kernel" "$initrd" "$r" edu,boot,vfio \
			iommutest.edu_mappings=1000
	done
	# Our core gives the selftest's mock bus its own IOMMU, next to the
	# SMMUv3.
	[ "$CORE" = ours ] || return 0
	spawn "debug arm64 selftests ($CORE)" "$H/boot.sh" \
		debug-smmuv3-iommufd "$kernel" "$initrd" smmuv3 iommufd hugepages=128
}

must deps "$H/deps.sh"
must base "$H/base.sh"
log "base: $BASE_PKG $(cat "$WORK/base/.version"), $(qemu-system-x86_64 --version | head -1)"

export CORE
mkdir -p "$OUT/$CORE"
must "tree ($CORE)" "$H/tree.sh"
# The series' base repository takes a while to make, once per base
# version, and needs no CPU that a build would miss much.
! wanted series || spawn "series base" "$H/series.sh" --base
# The kernel series (series/), made from our files and patches (not from
# the tree), and checkpatch --strict on every patch: early, one core's
# work beside the first build, not at the end.  The build of every patch
# is make series-check's, not make check's.
! wanted series || spawn "checkpatch (series)" "$H/series-checkpatch.sh"
! wanted x86_64 || x86_64
! wanted arm64 || arm64
! wanted debug || x86_64_debug
# The static checks read our core, so they run on CORE=ours, before the
# stock comparison puts the base's core into the tree.
if [ "$CORE" = ours ] && wanted gates; then
	for gate in build kdoc cocci tools docs; do
		try "gate $gate" "$H/gates.sh" "$gate"
	done
fi
if [ "$COMPARE" != 0 ] && [ "$CORE" = ours ] && wanted stock; then
	CORE=stock
	mkdir -p "$OUT/$CORE"
	must "tree ($CORE)" "$H/tree.sh"
	! wanted x86_64 || x86_64
	! wanted arm64 || arm64
	CORE=ours
fi

settle
# Once more, so that the series' cover letter quotes this run's results.
! wanted series || try "series cover letter" "$H/series.sh" --cover

printf '[time] %-32s %4ds\n' total $(($(date +%s) - t0)) >&2
if [ ${#failed_stages[@]} -ne 0 ]; then
	# Each job printed its own failures when it ended; here they are
	# again, where the end of the log shows them.
	[ ! -s "$PROBLEMS_FILE" ] || { log "problems:"; sed 's/^/  /' "$PROBLEMS_FILE" >&2; }
	log "failed stages: ${failed_stages[*]}"
fi
tally
[ ${#failed_stages[@]} -eq 0 ]
