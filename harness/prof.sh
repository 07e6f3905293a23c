#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# prof.sh GLOB [ON_SYMBOL OFF_SYMBOL]: where the guest instructions of
# iommu-bench cases go, per function, our core against the stock one.
#
# Boots each core's bench kernel that harness/bench.sh left in out/bench/
# (run make bench first) with kunit.filter_glob=GLOB under
# "-icount shift=0,sleep=off" and harness/prof/tbprof.c, a TCG plugin
# that counts the instructions executed per translation block, then folds
# the counts into functions with each kernel's symbols (prof/funcs.py)
# and prints the largest differences ours - stock.  The counts cover the
# boot too, which is the same on both cores but for the core's own code;
# ON_SYMBOL and OFF_SYMBOL, two noinline functions a local build of the
# bench calls around the code of interest, restrict the count to it.
# Both guests run at once; each takes a few times its plain run.
. "$(dirname "$0")/lib.sh"

glob=${1:?usage: prof.sh GLOB [ON_SYMBOL OFF_SYMBOL]}
on_sym=${2:-} off_sym=${3:-}
B=$OUT/bench
P=$B/prof
mkdir -p "$P"
for core in stock ours; do
	if [ ! -f "$B/$core/boot.bzImage" ] || [ ! -f "$B/$core/vmlinux" ]; then
		die "no bench kernel for $core in $B: run make bench first"
	fi
done
gcc -O2 -Wall -shared -fPIC -o "$P/tbprof.so" "$TOP/harness/prof/tbprof.c" ||
	die "cannot build the TCG plugin"

# addr CORE SYMBOL: the symbol's address in CORE's kernel, hex
addr() {
	nm "$B/$1/vmlinux" | awk -v s="$2" '$3 == s { print $1; exit }'
}

run() {
	local core=$1 args="out=$P/$1.txt" a

	if [ -n "$on_sym" ]; then
		a=$(addr "$core" "$on_sym") || true
		[ -n "$a" ] || die "$on_sym is not in the $core kernel"
		args+=",on=$a"
		a=$(addr "$core" "$off_sym") || true
		[ -n "$a" ] || die "$off_sym is not in the $core kernel"
		args+=",off=$a"
	fi
	timeout -k 10 "${PROF_TIMEOUT:-3600}" qemu-system-x86_64 -nodefaults \
		-machine pc -accel tcg -m 2048 -bios qboot.rom -smp 1 \
		-icount shift=0,sleep=off -plugin "$P/tbprof.so,$args" \
		-kernel "$B/$core/boot.bzImage" \
		-append "kunit.enable=1 kunit.filter_glob=$glob kunit_shutdown=reboot console=ttyS0" \
		-no-reboot -display none -serial "file:$P/$core.log" </dev/null
}

run stock & stock_pid=$!
run ours || die "the ours guest failed, see $P/ours.log"
wait "$stock_pid" || die "the stock guest failed, see $P/stock.log"
python3 "$TOP/harness/prof/funcs.py" "$B/stock/vmlinux" "$P/stock.txt" \
	"$B/ours/vmlinux" "$P/ours.txt" | tee "$P/diff.txt"
log "prof: per-function counts in $P (stock.txt, ours.txt), the difference in $P/diff.txt"
