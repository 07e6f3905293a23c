// SPDX-License-Identifier: GPL-2.0
/*
 * edu-dma: a user-space driver for QEMU's edu device (1234:11e8) through
 * VFIO, and the cases that prove the IOMMU gives a device exactly the DMA
 * user space mapped: the right pages, nothing after an unmap, no writes
 * through a read-only mapping, nothing at all while the device is owned
 * but detached.
 *
 *   edu-dma [-n MAPPINGS] [-s SEED] WAY CASE BDF
 *
 * WAY is how the device is claimed, as a VMM does it:
 *   container   its group in a VFIO container with the type1 IOMMU
 *   cdev        its cdev bound to iommufd, an IOAS attached to it
 * CASE is one of:
 *   mapped      a pattern copied RAM -> edu -> RAM through two mappings
 *               lands byte-exact, and nowhere else
 *   huge        the same inside one 2 MiB hugetlbfs page mapped whole
 *   unmapped    after an unmap, a device write to the IOVA does not land
 *               in the old page and a device read does not get its data
 *   readonly    a device write through a read-only mapping does not land;
 *               a read through it does
 *   blocked     (cdev) detached, the still-owned device reaches nothing,
 *               not even what was mapped; attached again, it works
 *   replace     (cdev) attaching a second IOAS replaces the first: DMA
 *               goes to the new mapping only
 *   many        MAPPINGS (10,000) 4 KiB mappings at random IOVAs below the
 *               edu's 28-bit DMA mask; device writes to a random sample
 *               land on the right pages; all unmapped in random order
 *   phys        DMA to the physical address of one of our pages that is
 *               not mapped at that IOVA does not land (were the group on
 *               an identity domain, it would)
 *
 * The device and the claim: see edu.h.
 *
 * EDU_DMA_SABOTAGE=skip-unmap (the unmap ioctl is not made) or wrong-page
 * (the destination is mapped to another page than the one checked) breaks
 * the driver on purpose, to show that the cases can fail.
 *
 * Prints what it does; exits 0 if every check held, 1 if one did not, 77
 * if the case cannot run here (and says why), 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "edu.h"
#include "vfio-dev.h"

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB		(21 << MAP_HUGE_SHIFT)
#endif

#define HUGE_PAGE		(2UL << 20)

/* The IOVAs of the small cases, all below the DMA mask. */
#define SRC_IOVA		0x100000UL
#define DST_IOVA		0x200000UL
#define AUX_IOVA		0x300000UL
#define HUGE_IOVA		0x400000UL

#define SAMPLES			16

static size_t nr_mappings = 10000;
static uint64_t rng_state = 0x5eed;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* --- the cases --- */

/*
 * A page the device writes into, mapped at @iova; with the wrong-page
 * sabotage the IOMMU maps another one, so that the check sees nothing.
 */
static void *dst_page(struct edu *e, uint64_t iova)
{
	void *p = pages(PAGE, 0), *q = pages(PAGE, 0);

	must(p && q, "mmap");
	memset(p, 0, PAGE);
	memset(q, 0, PAGE);
	map(e, iova, strcmp(sabotage, "wrong-page") ? p : q, PAGE, 1);
	return p;
}

static void case_mapped(struct edu *e)
{
	void *src = pages(2 * PAGE, 0), *dst;

	must(!!src, "mmap");
	fill(src, 2 * PAGE, 1);
	map(e, SRC_IOVA, src, 2 * PAGE, 1);
	dst = dst_page(e, DST_IOVA);
	to_device(e, SRC_IOVA + PAGE, 0, PAGE);
	to_ram(e, 0, DST_IOVA, PAGE);
	check(!memcmp(dst, (char *)src + PAGE, PAGE),
	      "4 KiB RAM -> edu -> RAM landed byte-exact");
	check(holds(src, 2 * PAGE, 1), "the source pages are unchanged");
	/* A part of a page, at an odd offset of the device's buffer. */
	memset(dst, 0, PAGE);
	to_device(e, SRC_IOVA + 100, 3000, 1000);
	to_ram(e, 3000, DST_IOVA + 2000, 1000);
	check(!memcmp((char *)dst + 2000, (char *)src + 100, 1000),
	      "1000 bytes at odd offsets landed byte-exact");
	check(!((char *)dst)[1999] && !((char *)dst)[3000],
	      "nothing landed around them");
}

static void case_huge(struct edu *e)
{
	char *huge = pages(HUGE_PAGE, MAP_HUGETLB | MAP_HUGE_2MB);
	char *want = pages(HUGE_PAGE, 0);

	if (!huge)
		skip("no 2 MiB huge page to map (hugepages= on the command line)");
	must(!!want, "mmap");
	fill(huge, HUGE_PAGE, 2);
	memcpy(want, huge, HUGE_PAGE);
	memcpy(want + 0x1000, huge + 0x1ff000, PAGE);
	map(e, HUGE_IOVA, huge, HUGE_PAGE, 1);
	printf("a 2 MiB hugetlbfs page mapped whole at %#lx\n", HUGE_IOVA);
	to_device(e, HUGE_IOVA + 0x1ff000, 0, PAGE);
	to_ram(e, 0, HUGE_IOVA + 0x1000, PAGE);
	check(!memcmp(huge + 0x1000, want + 0x1000, PAGE),
	      "4 KiB copied from the last page to the second, byte-exact");
	check(!memcmp(huge, want, HUGE_PAGE), "nothing else changed");
}

static void case_unmapped(struct edu *e)
{
	void *src = pages(PAGE, 0), *dst, *gone = pages(PAGE, 0), *out;

	must(src && gone, "mmap");
	fill(src, PAGE, 3);
	fill(gone, PAGE, 4);
	map(e, SRC_IOVA, src, PAGE, 1);
	dst = dst_page(e, DST_IOVA);
	out = dst_page(e, AUX_IOVA);
	/* The device holds tag 3; its write to a page no longer mapped. */
	to_device(e, SRC_IOVA, 0, PAGE);
	fill(dst, PAGE, 5);
	unmap(e, DST_IOVA, PAGE);
	to_ram(e, 0, DST_IOVA, PROBE_LEN);
	check(holds(dst, PAGE, 5),
	      "a device write to an unmapped IOVA did not land in the old page");
	/* A read of a page no longer mapped. */
	map(e, SRC_IOVA + PAGE, gone, PAGE, 1);
	unmap(e, SRC_IOVA + PAGE, PAGE);
	to_device(e, SRC_IOVA + PAGE, 0, PROBE_LEN);
	to_ram(e, 0, AUX_IOVA, PAGE);
	check(!holds(out, PROBE_LEN, 4),
	      "a device read of an unmapped IOVA did not get the old page's data (%s)",
	      holds(out, PROBE_LEN, 3) ? "the device kept what it had" :
					 "the device got other bytes");
}

static void case_readonly(struct edu *e)
{
	void *ro = pages(PAGE, 0), *src = pages(PAGE, 0), *out;

	must(ro && src, "mmap");
	fill(ro, PAGE, 6);
	fill(src, PAGE, 7);
	map(e, SRC_IOVA, src, PAGE, 1);
	map(e, DST_IOVA, ro, PAGE, 0);
	out = dst_page(e, AUX_IOVA);
	to_device(e, DST_IOVA, 0, PAGE);
	to_ram(e, 0, AUX_IOVA, PAGE);
	check(holds(out, PAGE, 6), "a device read through the read-only mapping works");
	to_device(e, SRC_IOVA, 0, PAGE);
	to_ram(e, 0, DST_IOVA, PROBE_LEN);
	check(holds(ro, PAGE, 6), "a device write through the read-only mapping did not land");
}

static void check_owner(struct edu *e, const char *want)
{
	char buf[128];

	if (getenv("EDU_DMA_NO_OWNER")) {
		printf("skip: dma_owner check (the base's core has no such attribute)\n");
		return;
	}
	group_dma_owner(e->bdf, buf, sizeof(buf));
	check(!strncmp(buf, want, strlen(want)), "dma_owner \"%s\", want \"%s\"",
	      buf, want);
}

/*
 * The physical address of a page of ours below the DMA mask and not
 * mapped at that IOVA, from /proc/self/pagemap; 0 if none of the pages
 * tried is low enough, and then @lowest is the lowest address seen.
 */
static uint64_t low_phys_page(struct edu *e, void **page, uint64_t *lowest)
{
	size_t n = 8192, i;	/* 32 MiB */
	char *area = pages(n * PAGE, MAP_POPULATE);
	uint64_t entry, phys;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	must(area && fd >= 0, "mmap and open /proc/self/pagemap");
	*lowest = UINT64_MAX;
	for (i = 0; i < n; i++) {
		if (pread(fd, &entry, 8, ((uintptr_t)area / PAGE + i) * 8) != 8)
			break;
		phys = (entry & ((1ULL << 55) - 1)) * PAGE;
		if (!(entry >> 63) || !phys)
			continue;
		if (phys < *lowest)
			*lowest = phys;
		if (phys > EDU_DMA_MASK - PAGE || !iova_allowed(e, phys, PAGE) ||
		    (phys >= SRC_IOVA && phys < HUGE_IOVA + HUGE_PAGE))
			continue;
		*page = area + i * PAGE;
		close(fd);
		return phys;
	}
	close(fd);
	return 0;
}

/*
 * Probe: the device writes its buffer (tag 3 in it) to the physical
 * address of one of our pages; the page must not change.
 */
static void probe_phys(struct edu *e, uint64_t phys, void *page, const char *when)
{
	if (!phys)
		return;
	fill(page, PAGE, 8);
	to_ram(e, 0, phys, PROBE_LEN);
	check(holds(page, PAGE, 8),
	      "a device write to the physical address %#lx of our page did not land %s",
	      (unsigned long)phys, when);
}

static void case_phys(struct edu *e)
{
	void *src = pages(PAGE, 0), *page = NULL;
	uint64_t lowest, phys = low_phys_page(e, &page, &lowest);
	char why[128];

	if (!phys) {
		snprintf(why, sizeof(why),
			 "no page of ours below the 28-bit DMA mask (lowest of 32 MiB: %#lx)",
			 (unsigned long)lowest);
		skip(why);
	}
	must(!!src, "mmap");
	fill(src, PAGE, 3);
	map(e, SRC_IOVA, src, PAGE, 1);
	to_device(e, SRC_IOVA, 0, PAGE);
	probe_phys(e, phys, page, "while attached");
}

static void case_blocked(struct edu *e)
{
	void *src = pages(PAGE, 0), *dst, *page = NULL;
	uint64_t lowest, phys = low_phys_page(e, &page, &lowest);

	if (e->way != CDEV)
		skip("a container cannot detach a device it holds");
	must(!!src, "mmap");
	fill(src, PAGE, 3);
	map(e, SRC_IOVA, src, PAGE, 1);
	dst = dst_page(e, DST_IOVA);
	to_device(e, SRC_IOVA, 0, PAGE);
	to_ram(e, 0, DST_IOVA, PAGE);
	check(holds(dst, PAGE, 3), "attached: DMA lands");

	must(!cdev_detach(e), "VFIO_DEVICE_DETACH_IOMMUFD_PT");
	check_owner(e, "user");
	fill(dst, PAGE, 9);
	to_ram(e, 0, DST_IOVA, PROBE_LEN);
	check(holds(dst, PAGE, 9), "detached: a device write to a mapped IOVA did not land");
	fill(src, PAGE, 10);
	to_device(e, SRC_IOVA, 0, PROBE_LEN);
	probe_phys(e, phys, page, "while detached");

	/* Attached again, the buffer shows what the detached read got. */
	must(!cdev_attach(e, e->ioas), "VFIO_DEVICE_ATTACH_IOMMUFD_PT again");
	fill(dst, PAGE, 9);
	to_ram(e, 0, DST_IOVA, PAGE);
	check(!holds(dst, PROBE_LEN, 10),
	      "detached: a device read of a mapped IOVA did not get its data");
	check(!holds(dst, PAGE, 9), "attached again: DMA lands");
}

static void case_replace(struct edu *e)
{
	void *src = pages(PAGE, 0), *first, *second = pages(PAGE, 0);
	uint32_t other = ioas_alloc(e);

	if (e->way != CDEV)
		skip("a container has one IOMMU context");
	must(src && second, "mmap");
	fill(src, PAGE, 11);
	map(e, SRC_IOVA, src, PAGE, 1);
	first = dst_page(e, DST_IOVA);
	must(!map_in(e, other, SRC_IOVA, src, PAGE, 1) &&
	     !map_in(e, other, DST_IOVA, second, PAGE, 1), "map in a second IOAS");
	memset(second, 0, PAGE);
	to_device(e, SRC_IOVA, 0, PAGE);
	to_ram(e, 0, DST_IOVA, PAGE);
	check(holds(first, PAGE, 11) && !holds(second, PAGE, 11),
	      "on the first IOAS, DMA lands in its page only");

	must(!cdev_attach(e, other), "VFIO_DEVICE_ATTACH_IOMMUFD_PT replaces it");
	check_owner(e, "user");
	memset(first, 0, PAGE);
	to_ram(e, 0, DST_IOVA, PAGE);
	check(holds(second, PAGE, 11) && !holds(first, PAGE, 11),
	      "on the second IOAS, DMA lands in its page only");
}

/* A random page-aligned IOVA below the mask, allowed and not yet taken. */
static uint64_t random_iova(struct edu *e, uint8_t *taken)
{
	uint64_t pfn;

	for (;;) {
		pfn = rnd() % ((EDU_DMA_MASK + 1) / PAGE);
		if (pfn && !taken[pfn] && iova_allowed(e, pfn * PAGE, PAGE)) {
			taken[pfn] = 1;
			return pfn * PAGE;
		}
	}
}

static void case_many(struct edu *e)
{
	size_t n = nr_mappings;
	uint8_t *taken = calloc((EDU_DMA_MASK + 1) / PAGE, 1);
	uint64_t *iova = calloc(n, sizeof(*iova));
	char *area = pages(n * PAGE, 0), *want = pages(n * PAGE, 0);
	char *chunks = pages(PAGE, 0);
	size_t i, j, k, sample[SAMPLES];
	uint64_t t;

	must(taken && iova && area && want && chunks && n >= SAMPLES, "allocate");
	memset(area, 0, n * PAGE);
	memset(want, 0, n * PAGE);
	fill(chunks, PAGE, 12);
	taken[SRC_IOVA / PAGE] = 1;
	for (i = 0; i < n; i++) {
		iova[i] = random_iova(e, taken);
		must(!map_in(e, e->ioas, iova[i], area + i * PAGE, PAGE, 1),
		     "map page %zu at %#lx", i, (unsigned long)iova[i]);
	}
	printf("%zu 4 KiB mappings at random IOVAs below %#lx\n", n, EDU_DMA_MASK + 1);
	map(e, SRC_IOVA, chunks, PAGE, 1);
	to_device(e, SRC_IOVA, 0, PAGE);
	/* SAMPLES distinct pages, each gets its own 256-byte chunk. */
	for (k = 0; k < SAMPLES; k++) {
again:
		sample[k] = rnd() % n;
		for (j = 0; j < k; j++)
			if (sample[j] == sample[k])
				goto again;
		to_ram(e, k * 256, iova[sample[k]], 256);
		memcpy(want + sample[k] * PAGE, chunks + k * 256, 256);
	}
	check(!memcmp(area, want, n * PAGE),
	      "%d device writes to sampled IOVAs landed on their pages and nowhere else",
	      SAMPLES);
	/* Unmapped in random order. */
	for (i = n - 1; i > 0; i--) {
		j = rnd() % (i + 1);
		t = iova[i];
		iova[i] = iova[j];
		iova[j] = t;
	}
	for (i = 0; i < n; i++)
		if (unmap_in(e, e->ioas, iova[i], PAGE) != PAGE)
			break;
	check(i == n, "%zu of %zu mappings unmapped one by one in random order", i, n);
	to_ram(e, 0, iova[0], PROBE_LEN);
	check(!memcmp(area, want, n * PAGE), "after the unmaps a device write lands nowhere");
	free(taken);
	free(iova);
}

static const struct edu_case {
	const char *name;
	void (*run)(struct edu *e);
} edu_cases[] = {
	{ "mapped", case_mapped },
	{ "huge", case_huge },
	{ "unmapped", case_unmapped },
	{ "readonly", case_readonly },
	{ "blocked", case_blocked },
	{ "replace", case_replace },
	{ "many", case_many },
	{ "phys", case_phys },
};

static const struct edu_case *find_case(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(edu_cases); i++)
		if (!strcmp(edu_cases[i].name, name))
			return &edu_cases[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct edu_case *c;
	const char *bdf;
	struct edu e;
	enum way way;
	int opt;

	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		if (opt == 'n')
			nr_mappings = strtoul(optarg, NULL, 0);
		else if (opt == 's')
			rng_state = strtoull(optarg, NULL, 0) | 1;
		else
			return 2;
	}
	c = argc - optind == 3 ? find_case(argv[optind + 1]) : NULL;
	if (!c || (strcmp(argv[optind], "container") && strcmp(argv[optind], "cdev"))) {
		fprintf(stderr, "usage: %s [-n MAPPINGS] [-s SEED] container|cdev CASE BDF\n",
			argv[0]);
		return 2;
	}
	way = strcmp(argv[optind], "cdev") ? CONTAINER : CDEV;
	bdf = argv[optind + 2];
	if (getenv("EDU_DMA_SABOTAGE"))
		sabotage = getenv("EDU_DMA_SABOTAGE");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pci_iommu_group_id(bdf) < 0)
		skip("the device is in no IOMMU group");

	edu_open(&e, way, bdf);
	c->run(&e);
	edu_close(&e);
	printf("%s %s %s: %d failure(s)\n", argv[optind], c->name, bdf, failures);
	return failures ? 1 : 0;
}
