// SPDX-License-Identifier: GPL-2.0
/*
 * tsc-khz: print the host's TSC rate in kHz.
 *
 * A TCG guest's TSC is the host's (QEMU reads it for the guest's RDTSC),
 * so the harness hands this rate to x86_64 guests as tsc_early_khz=
 * (tsc_args in harness/lib.sh, for harness/boot.sh and harness/kunit.sh).
 * Without it the guest kernel calibrates its TSC in a loop against the
 * PIT, which a host that takes the vCPU's thread away disturbs; when the
 * PIT and the HPET then disagree the kernel believes the PIT, and its
 * later refinement against the HPET gives up beyond 1 %.  Here each end
 * of the interval is the TSC read between two clock reads that lie
 * closest together of a few tries, so a host busy enough to preempt this
 * program moves the result by microseconds in 200 ms.
 */
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A TSC value and the time it was read at, from the tightest of 20 tries. */
static void sample(unsigned long long *tsc, double *at)
{
	double before, after, gap = 1;
	unsigned long long t;
	int i;

	for (i = 0; i < 20; i++) {
		before = monotonic();
		t = __rdtsc();
		after = monotonic();
		if (after - before < gap) {
			gap = after - before;
			*tsc = t;
			*at = (before + after) / 2;
		}
	}
}

int main(void)
{
	const struct timespec interval = { .tv_nsec = 200000000 };
	unsigned long long tsc0, tsc1;
	double t0, t1;

	sample(&tsc0, &t0);
	nanosleep(&interval, NULL);
	sample(&tsc1, &t1);
	printf("%.0f\n", (tsc1 - tsc0) / (t1 - t0) / 1000);
	return 0;
}
