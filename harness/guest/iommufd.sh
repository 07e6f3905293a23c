# SPDX-License-Identifier: GPL-2.0
# iommufd suite: the base kernel's own iommufd selftests
# (tools/testing/selftests/iommu/) and ours (iommufd_viommu), built as
# static binaries into /usr/bin.
#
# Each binary prints kselftest TAP; it goes to the KTAP port indented by
# four spaces, as the subtests of this suite's result for the binary, so
# every selftest case counts as a leaf (SKIPs as skipped).  The result is
# the binary's exit status.  The cases run on iommufd's mock IOMMU
# (CONFIG_IOMMUFD_TEST), which 6.12's core probes only when no other IOMMU
# driver is up (check.sh boots with intel_iommu=off), and the huge page
# cases want hugetlb pages reserved on the command line (hugepages=N).
. /tests/common.sh

TESTS="iommufd iommufd_fail_nth iommufd_viommu"

# timed: copy kselftest TAP through, and keep how long each case took
# (from its "#  RUN" line to its result) in /tmp/case-times, slowest first:
# the kselftest harness gives each case 30 s of wall time unless the test
# says otherwise, and these are the figures its limits are measured by.
timed() {
	awk '
	function t(  u) { getline u <"/proc/uptime"; close("/proc/uptime"); split(u, a, " "); return a[1] }
	/^#  RUN / { name = $3; start = t() }
	/^(not )?ok [0-9]/ && name != "" { printf "%.2f %s\n", t() - start, name >"/tmp/case-times.raw"; name = "" }
	{ print; fflush() }'
	sort -rn /tmp/case-times.raw >/tmp/case-times 2>/dev/null
	rm -f /tmp/case-times.raw
}

# selftest NAME: run /usr/bin/NAME, its TAP nested on fd 3.
selftest() {
	[ -x "/usr/bin/$1" ] || fail "/usr/bin/$1 missing" || return 1
	[ -c /dev/iommu ] || { echo "SKIP: no /dev/iommu (CONFIG_IOMMUFD)"; return 77; }
	grep -i '^hugepages_\(total\|free\)' /proc/meminfo
	read -r start _ </proc/uptime
	{ "/usr/bin/$1"; echo $? >"/tmp/$1.rc"; } 2>&1 | timed | sed 's/^/    /' >&3
	echo "slowest cases (s):"
	head -5 /tmp/case-times
	rc=$(cat "/tmp/$1.rc" 2>/dev/null) || rc=1
	read -r end _ </proc/uptime
	echo "$1: exit status $rc after $(echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }') s"
	case $rc in
	0) return 0 ;;
	4) echo "SKIP: every case skipped"; return 77 ;;	# KSFT_SKIP
	*) return "$rc" ;;
	esac
}

test_iommufd() { selftest iommufd; }
test_iommufd_fail_nth() { selftest iommufd_fail_nth; }
test_iommufd_viommu() { selftest iommufd_viommu; }
