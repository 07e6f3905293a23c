#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# boot.sh NAME KERNEL INITRD IOMMU SUITE [KEY=VALUE...]: boot a guest under
# QEMU (TCG) with the emulated IOMMU, run one guest suite and judge it.
#
# The console goes to out/$CORE/NAME.console, the suite's KTAP (second
# serial port) to out/$CORE/NAME.ktap.  Extra KEY=VALUE words are appended
# to the kernel command line.  The run fails on a timeout, a missing or
# failed result or a kernel splat, and then shows the console's tail.
#
# IOMMU smmuv3 boots an arm64 kernel on QEMU's virt machine (GICv3 with an
# ITS, the SMMUv3 in front of the PCI host bridge).  virt has one PL011
# UART, the console, so the suite's KTAP goes to a virtio console instead
# (iommutest.ktap=hvc0 tells the guest's /init).  With KTAP_CONSOLE=1 the
# KTAP that built-in KUnit suites print on the console is judged too, and
# must be there.  BOOT_SMP (default 2) sets the number of vCPUs and
# BOOT_QEMU_ARGS adds QEMU arguments (harness/bench.sh: one vCPU and
# "-icount shift=0,sleep=off").
. "$(dirname "$0")/lib.sh"

name=$1 kernel=$2 initrd=$3 iommu=$4 suite=$5
shift 5
dir=$OUT/$CORE
mkdir -p "$dir"
console=$dir/$name.console ktap=$dir/$name.ktap
timeout_s=${BOOT_TIMEOUT:-600}
rm -f "$console" "$ktap"

# A disk of random data, made once per out/ directory; the guest reads it
# through the IOMMU and compares its checksum with ours.
disk=$OUT/disk.img
if [ ! -f "$disk.sha256" ]; then
	head -c $((32 << 20)) /dev/urandom >"$disk"
	sha256sum "$disk" | cut -d' ' -f1 >"$disk.sha256"
fi

test_args="iommutest.suite=$suite iommutest.iommu=$iommu iommutest.core=$CORE iommutest.sha256=$(cat "$disk.sha256")"
case "$iommu" in
smmuv3)
	# pauth-impdef: TCG's architected pointer authentication (QARMA)
	# costs more than the rest of the boot; the guest cannot tell.
	cmdline="console=ttyAMA0 panic=-1 oops=panic iommutest.ktap=hvc0 $test_args $*"
	qemu=(qemu-system-aarch64 -machine virt,gic-version=3,iommu=smmuv3
		-accel tcg -cpu max,pauth-impdef=on -smp "${BOOT_SMP:-2}" -m 2G -nodefaults
		-no-reboot -display none -net none
		-serial "file:$console"
		-device virtio-serial-pci -chardev "file,id=ktap,path=$ktap"
		-device virtconsole,chardev=ktap
		# Two functions of one slot without ACS, one group, as q35's
		# 00:1f.*: a claim of 00:1f.0 (no driver) is refused while
		# 00:1f.3 has a kernel driver (guest vfio suite).
		-device pci-testdev,addr=1f.0,multifunction=on
		-device virtio-rng-pci,addr=1f.3) ;;
*)
	# no_timer_check: on a loaded host, TCG may not advance jiffies
	# within the kernel's IO-APIC timer test, which then panics with
	# interrupt remapping on ("timer doesn't work through
	# Interrupt-remapped IO-APIC").
	cmdline="console=ttyS0 panic=-1 oops=panic no_timer_check $test_args $*"
	qemu=(qemu-system-x86_64 -machine q35,kernel-irqchip=split -accel tcg
		-cpu max -smp "${BOOT_SMP:-2}" -m 2G -nodefaults -no-reboot -display none
		-net none -serial "file:$console" -serial "file:$ktap") ;;
esac
case "$iommu" in
smmuv3) ;;
intel) qemu+=(-device intel-iommu,intremap=on,caching-mode=on) ;;
# Caching mode makes the VT-d driver force strict invalidation ("batching
# disallowed due to virtualization"), so lazy mode is tested without it.
intel-nocm) qemu+=(-device intel-iommu,intremap=on,caching-mode=off) ;;
amd) qemu+=(-device amd-iommu,intremap=on) ;;
virtio) qemu+=(-device virtio-iommu-pci) ;;
*) die "unknown IOMMU '$iommu'" ;;
esac
# shellcheck disable=SC2206
qemu+=(${BOOT_QEMU_ARGS:-})
qemu+=(-kernel "$kernel" -initrd "$initrd" -append "$cmdline"
	-drive "file=$disk,if=none,id=disk0,format=raw,readonly=on"
	-device virtio-blk-pci,drive=disk0)

log "boot $name: $iommu, suite $suite, ${*:-no extra args}"
rc=0
timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null || rc=$?
touch "$console" "$ktap"
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	log "boot $name: timed out after ${timeout_s}s"
	echo "$name: guest timed out after ${timeout_s}s" >>"$ktap"
fi

ok=0
ktap_args=(--label "$name($CORE)" --console "$console")
[ "${KTAP_CONSOLE:-0}" = 0 ] || ktap_args+=(--console-ktap)
python3 "$TOP/harness/ktap.py" "${ktap_args[@]}" "$ktap" || ok=1
if [ $ok -ne 0 ] || [ $rc -ne 0 ]; then
	log "boot $name: FAILED (qemu rc=$rc); console tail:"
	tail -40 "$console" >&2
	exit 1
fi
