/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fail-nth for KUnit: fail the 1st, 2nd, ... slab allocation a call makes,
 * until the call gets through without an injected failure, the way
 * tools/testing/selftests/iommu/iommufd_fail_nth.c does from user space.
 *
 * The count is the task's own (current->fail_nth), so only allocations
 * made by the test's thread fail; failslab is told to fail allocations
 * that may sleep too, and to stay quiet, for the duration of the test.
 */
#ifndef _IOMMU_TESTS_FAIL_NTH_H
#define _IOMMU_TESTS_FAIL_NTH_H

#include <kunit/test.h>
#include <linux/sched.h>

/* More allocations than any call under test makes. */
#define FAIL_NTH_LIMIT	256

void fail_nth_arm_failslab(struct kunit *test);
void fail_nth_quiet(struct kunit *test, const char *dir);

/* Make the calling task's @nth slab allocation from now fail; 0 disarms. */
static inline void fail_nth_set(unsigned int nth)
{
#ifdef CONFIG_FAULT_INJECTION
	current->fail_nth = nth;
#endif
}

/* How many allocations the armed failure is still away; 0 once it fired. */
static inline unsigned int fail_nth_left(void)
{
#ifdef CONFIG_FAULT_INJECTION
	return current->fail_nth;
#else
	return 1;
#endif
}

#endif /* _IOMMU_TESTS_FAIL_NTH_H */
