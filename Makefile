# SPDX-License-Identifier: GPL-2.0
# The IOMMU core series: build Linux 6.12 with our tree overlaid and test it.
#
#   make run     build our kernel and boot it under QEMU with an emulated
#                IOMMU (IOMMU=intel), showing the IOMMU group topology
#   make check   every test; ends with "N passed, N failed, N skipped"
#   make check-debug  the x86_64 debug kernel's rows (VT-d and virtio-iommu
#                under lockdep, KASAN, kmemleak), which make check leaves
#                out for time: its debug kernel is the arm64 one
#   make series  the kernel series: git format-patch output in out/series/
#                (series/ describes it, one file per patch)
#   make series-check  git am the series on the base, build after every
#                patch, checkpatch --strict each one
#   make bench   our core against the stock one in one run (BENCH_RUNS=3
#                alternating boots of each); the table in out/bench/
#
# CORE=stock builds the same configuration with the base's own core.

CORE ?= ours
IOMMU ?= intel
export CORE IOMMU

.PHONY: run check check-debug series series-check bench deps tree clean distclean

run:
	@harness/run.sh

check:
	@harness/check.sh

check-debug:
	@STAGES=debug COMPARE=0 harness/check.sh

series: deps
	@harness/series.sh

series-check: deps
	@harness/series-check.sh

bench:
	@harness/bench.sh

deps:
	@harness/deps.sh && harness/base.sh

tree: deps
	@harness/tree.sh

clean:
	rm -rf out work/build work/stage-* work/initramfs-* work/series/build work/series/check

distclean:
	rm -rf out work
