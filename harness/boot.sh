#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# boot.sh NAME KERNEL INITRD IOMMU SUITES [KEY=VALUE...]: boot a guest under
# QEMU (TCG) with the emulated IOMMU, run the guest suites named in SUITES
# (comma-separated, in order, in one boot) and judge them.
#
# The console goes to out/$CORE/NAME.console, the suites' KTAP to
# out/$CORE/NAME.ktap, what QEMU says (traces, guest errors) to
# out/$CORE/NAME.qemu.log.  Extra KEY=VALUE words are appended to the kernel
# command line.  The run fails on a timeout, a missing or failed result or
# a kernel splat, and then shows the console's tail.
#
# Every x86_64 guest has the same devices, whatever the IOMMU: a virtio
# disk on the root bus, QEMU's edu device (a DMA engine for the edu suite),
# and a PCIe-to-PCI bridge with two more virtio disks behind it, whose
# requester IDs the bridge aliases to its own (bridge suite).  Each disk
# holds random data the host made; the guest gets their checksums by the
# disks' serial numbers (iommutest.disks=SERIAL:SHA256,...).
#
# IOMMU is one of:
#   intel, intel-sl, intel-fl    VT-d in legacy mode, in scalable mode with
#                                second-stage tables, in scalable mode with
#                                first-stage tables; with caching mode, with
#                                which the driver forces strict invalidation
#   intel-nocm, intel-sl-nocm, intel-fl-nocm   the same without caching mode
#   amd                          AMD-Vi with interrupt remapping
#   virtio                       virtio-iommu
#   smmuv3                       an arm64 kernel on QEMU's virt machine with
#                                its SMMUv3 (both stages and nesting on QEMU 10)
#   smmuv3-s1                    the same on virt-9.1, whose SMMUv3 offers
#                                stage 1 only, as QEMU 7.2's did
#
# The suites write their KTAP to a virtio console (iommutest.ktap=hvc0
# tells the guest's /init), never to a 16550: under load, output to
# q35's second 16550 once stopped half-way through a run (its transmit
# interrupt lost, the writers blocked on a full tty, the guest idle until
# the timeout), arm64's virt has a single UART, and QEMU 10's AMD-Vi
# delivers no IO-APIC interrupt (below).  The kernel's console stays on
# the first UART, which printk writes by polling.  With KTAP_CONSOLE=1 the
# KTAP that built-in KUnit suites print on the console is judged too, and
# must be there.  BOOT_SMP (default 1) sets the number of vCPUs: two
# where KUnit's stress suites run at boot, for their threads, one
# elsewhere, where nothing in the guest runs concurrently (six rows of the
# test kernel, three at a time on two cores: 96 s of CPU and 69 s with two
# vCPUs each, 70 s and 60 s with one; the debug selftests' boot, two at
# once: 236 s of CPU with two, 206 s with one).  BOOT_QEMU_ARGS adds
# QEMU arguments (harness/bench.sh: "-icount shift=0,sleep=off").
. "$(dirname "$0")/lib.sh"

name=$1 kernel=$2 initrd=$3 iommu=$4 suites=$5
shift 5
dir=$OUT/$CORE
mkdir -p "$dir"
console=$dir/$name.console ktap=$dir/$name.ktap qlog=$dir/$name.qemu.log
# The hang guard is the guest's silence, not its run time: a boot is
# stopped once neither its console nor its KTAP has grown for idle_s
# (BOOT_IDLE_TIMEOUT), or after timeout_s in all (BOOT_TIMEOUT).  A total
# of 1200 s stopped the arm64 debug selftests (513 s on an idle machine)
# at case 50 of 206 beside other builds and guests (cold14), still
# printing.  The quietest stretch of a boot that works is one kselftest
# case (46 s, arm64 debug).
idle_s=${BOOT_IDLE_TIMEOUT:-600}
timeout_s=${BOOT_TIMEOUT:-7200}
rm -f "$console" "$ktap" "$dir/$name".first.*

# disk NAME MIB: a disk of random data, made once per out/ directory, and
# its checksum, which the guest compares with what it reads through the
# IOMMU.  Boots run in parallel: the first one makes it under a lock, and
# the checksum file appears only once it is complete.
disk() {
	# The size in the name: a disk of another size is another disk.
	local img=$OUT/$1-${2}m.img
	(
		flock 9
		if [ ! -s "$img.sha256" ]; then
			head -c $(($2 << 20)) /dev/urandom >"$img.new"
			sha256sum "$img.new" | cut -d' ' -f1 >"$img.sha256.new"
			mv "$img.new" "$img"
			mv "$img.sha256.new" "$img.sha256"
		fi
	) 9>"$OUT/.disks.lock"
	disks+=("$1:$(cat "$img.sha256")")
	qemu+=(-drive "file=$img,if=none,id=$1,format=raw,readonly=on")
}

case "$iommu" in
smmuv3 | smmuv3-s1)
	# pauth-impdef: TCG's architected pointer authentication (QARMA)
	# costs more than the rest of the boot; the guest cannot tell.
	# QEMU 10's virt machine (virt-9.2 and later) gives its SMMUv3
	# both stages and nesting; the virt-9.1 machine type keeps the
	# SMMUv3 of earlier QEMUs, stage 1 only (measured: features
	# 0x00088705 against 0x00008305; -global arm-smmuv3.stage=1 changes
	# nothing, as virt sets the property itself).
	machine=virt
	[ "$iommu" != smmuv3-s1 ] || machine=virt-9.1
	cmdline="console=ttyAMA0"
	qemu=(qemu-system-aarch64 -machine "$machine,gic-version=3,iommu=smmuv3"
		-cpu max,pauth-impdef=on)
	# Two functions of one slot without ACS, one group, as q35's
	# 00:1f.*: a claim of 00:1f.0 (no driver) is refused while 00:1f.3
	# has a kernel driver (guest vfio suite).
	devices=(-device pci-testdev,addr=1f.0,multifunction=on
		-device virtio-rng-pci,addr=1f.3)
	bridge=0 ;;
*)
	# no_timer_check: on a loaded host, TCG may not advance jiffies
	# within the kernel's IO-APIC timer test, which then panics with
	# interrupt remapping on ("timer doesn't work through
	# Interrupt-remapped IO-APIC").
	cmdline="console=ttyS0 no_timer_check"
	# tsc_early_khz: the guest's TSC is the host's, at the rate the host
	# measures (harness/host/tsc-khz.c).  Left to itself the kernel
	# calibrates it against the PIT and believes the PIT over the HPET:
	# a vCPU that lost the host's CPU in that loop once got 57 MHz for a
	# 2.1 GHz TSC, and the guest's clock ran 36 times fast (a fuzz run of
	# 17 host seconds took "613 s").  The kernel still refines the rate
	# against the HPET.  clocksource=hpet would mend the clock too, but
	# makes every clock read an access to an emulated device.  Under
	# -icount (harness/bench.sh) the TSC counts instructions, not the
	# host's cycles.
	[[ "${BOOT_QEMU_ARGS:-}" == *icount* ]] || cmdline+=" $(tsc_args)"
	qemu=(qemu-system-x86_64 -machine q35,kernel-irqchip=split -cpu max)
	devices=(-device pcie-pci-bridge,id=bridge,bus=pcie.0,addr=5
		-device virtio-blk-pci,drive=br0,serial=br0,bus=bridge,addr=1
		-device virtio-blk-pci,drive=br1,serial=br1,bus=bridge,addr=2)
	bridge=1 ;;
esac
qemu+=(-accel tcg -smp "${BOOT_SMP:-1}" -m 2G -nodefaults -no-reboot
	-display none -net none -serial "file:$console")

vtd=intel-iommu,intremap=on
case "$iommu" in
smmuv3 | smmuv3-s1) ;;
intel) qemu+=(-device "$vtd,caching-mode=on") ;;
intel-sl) qemu+=(-device "$vtd,caching-mode=on,x-scalable-mode=on") ;;
intel-fl) qemu+=(-device "$vtd,caching-mode=on,x-scalable-mode=on,x-flts=on") ;;
# Caching mode makes the VT-d driver force strict invalidation ("batching
# disallowed due to virtualization"), so lazy mode is tested without it.
intel-nocm) qemu+=(-device "$vtd,caching-mode=off") ;;
intel-sl-nocm) qemu+=(-device "$vtd,caching-mode=off,x-scalable-mode=on") ;;
intel-fl-nocm) qemu+=(-device "$vtd,caching-mode=off,x-scalable-mode=on,x-flts=on") ;;
# QEMU 10.0's AMD-Vi, measured with our kernel and the base's alike:
# - it never delivers an IO-APIC interrupt with interrupt remapping on
#   (its amdvi_mem_ir_write trace never fires for the IO-APIC while
#   ioapic_set_irq does thousands of times; MSIs are remapped and
#   arrive).  The same kernel works on QEMU 7.2.  Nothing here needs an
#   IO-APIC interrupt once the KTAP is on a virtio console (above), and
#   no_timer_check keeps the kernel from testing the timer through it;
# - with its pt property on (the default), the edu device's DMA on a
#   domain VFIO attached went untranslated: its writes landed at the guest
#   physical address equal to the IOVA (once crashing the kernel in
#   vfio_remove_dma), while the disk read fine through its DMA domain.
#   With pt=off every edu case passes.  pt changes nothing the guest sees
#   or does (same log, same commands): QEMU's model, not the driver;
# - it reports no IO page fault for a DMA it refuses (its
#   amdvi_page_fault trace never fires): the edu suite cannot find the
#   driver's IO_PAGE_FAULT line there.
amd) qemu+=(-device amd-iommu,intremap=on,pt=off) ;;
virtio) qemu+=(-device virtio-iommu-pci) ;;
*) die "unknown IOMMU '$iommu'" ;;
esac

qemu+=(-device virtio-serial-pci -chardev "file,id=ktap,path=$ktap"
	-device virtconsole,chardev=ktap)
cmdline+=" iommutest.ktap=hvc0"

disks=()
# 8 MiB: every suite that reads a disk reads all of it through the IOMMU
# (2,048 pages; the root disk is read two or three times a boot), and
# the checksum is computed by the emulated CPU.
disk root 8
qemu+=(-device virtio-blk-pci,drive=root,serial=root,addr=3)
# The edu device: vendor 0x1234, device 0x11e8, a DMA engine with a 4 KiB
# buffer and a 28-bit DMA mask (guest edu suite, tools/iommu/edu-dma.c).
qemu+=(-device edu,addr=4)
if [ $bridge = 1 ]; then
	disk br0 4
	disk br1 4
fi
qemu+=("${devices[@]}")

# A vCPU is a host thread: beside builds and other guests it can go
# without the host's CPU for longer than RCU's 21 s stall warning, which
# then measures the host's load, not the kernel.  300 s, the kernel's
# longest, keeps the warning as a guard against a CPU that hangs.
cmdline+=" rcupdate.rcu_cpu_stall_timeout=300"
# The boot suite reads the IOMMU driver's probe lines from dmesg once /init
# runs.  KUnit at boot on the debug kernel logs some 150 KB before that
# (1,926 lines, arm64 strict row, cold13), more than the default 128 KB
# ring buffer: the SMMUv3's features line was gone.  4 MB keeps a boot.
cmdline+=" log_buf_len=4M"
cmdline+=" panic=-1 oops=panic iommutest.suite=$suites iommutest.iommu=$iommu"
cmdline+=" iommutest.core=$CORE iommutest.disks=$(IFS=,; echo "${disks[*]}") $*"
# shellcheck disable=SC2206
qemu+=(${BOOT_QEMU_ARGS:-})
qemu+=(-kernel "$kernel" -initrd "$initrd" -append "$cmdline")

log "boot $name: $iommu, suites $suites, ${*:-no extra args}"
# A guest that hangs boots once more, and only once.  Seen once in a cold
# make check, on a test kernel's row: vCPU 1 idle (HLT) while its timer
# wakeup never came ("rcu_sched kthread timer wakeup didn't happen for
# 75001 jiffies ... Possible timer handling issue on cpu=1"): QEMU's TCG
# lost a halted vCPU's wakeup, with the host's two cores loaded.  So does
# a boot whose QEMU ended before the guest's /init began its KTAP, with no
# kernel splat: seen once in CI, on the base's core (intel-fl-strict),
# whose files CI did not keep; a boot of ours then had no way to say why.
# The first boot's files are kept beside the second's (NAME.first.*), and
# the log says why it booted again; a kernel that fails so fails again.

# printed: the bytes the guest has printed so far.
printed() {
	echo $(($(stat -c %s "$console" 2>/dev/null || echo 0) +
		$(stat -c %s "$ktap" 2>/dev/null || echo 0)))
}

# run_qemu: QEMU until it ends (its status), or 124 once the guest has
# been silent for idle_s or has run for timeout_s.
run_qemu() {
	local pid last=-1 now heard=$SECONDS start=$SECONDS

	"${qemu[@]}" </dev/null 2>"$qlog" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 5
		now=$(printed)
		[ "$now" = "$last" ] || { last=$now; heard=$SECONDS; }
		if [ $((SECONDS - heard)) -ge "$idle_s" ] ||
			[ $((SECONDS - start)) -ge "$timeout_s" ]; then
			kill "$pid" 2>/dev/null
			sleep 10
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			return 124
		fi
	done
	wait "$pid"
}

for attempt in 1 2; do
	rc=0
	run_qemu || rc=$?
	touch "$console" "$ktap"
	if [ $rc -eq 124 ]; then
		why="silent for ${idle_s}s or running for ${timeout_s}s"
	elif ! grep -q '^KTAP version' "$ktap" &&
		python3 "$TOP/harness/ktap.py" --splats-only "$console"; then
		why="QEMU ended (rc=$rc) before the guest's KTAP began: $(tail -1 "$qlog")"
	else
		break
	fi
	log "boot $name: $why (attempt $attempt)"
	if [ $attempt -eq 1 ]; then
		mv "$console" "$dir/$name.first.console"
		mv "$ktap" "$dir/$name.first.ktap"
		mv "$qlog" "$dir/$name.first.qemu.log"
		log "boot $name: booting once more; the first boot's files are $dir/$name.first.*"
		continue
	fi
	echo "$name: $why, twice" >>"$ktap"
	[ -z "${PROBLEMS_FILE:-}" ] || echo "$name($CORE): $why, twice" >>"$PROBLEMS_FILE"
done

ok=0
ktap_args=(--label "$name($CORE)" --console "$console")
[ "${KTAP_CONSOLE:-0}" = 0 ] || ktap_args+=(--console-ktap)
python3 "$TOP/harness/ktap.py" "${ktap_args[@]}" "$ktap" || ok=1
if [ $ok -ne 0 ] || [ $rc -ne 0 ]; then
	log "boot $name: FAILED (qemu rc=$rc); QEMU said:"
	tail -5 "$qlog" >&2
	log "boot $name: console tail:"
	tail -40 "$console" >&2
	exit 1
fi
