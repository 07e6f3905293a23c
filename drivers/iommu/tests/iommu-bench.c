// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmarks of the IOMMU core, through its public API only.
 *
 * The same suite is built against our core and against the base's
 * (CORE=stock); harness/bench.sh boots each kernel in turn under QEMU with
 * "-icount shift=0,sleep=off" on one vCPU, where a guest nanosecond is one
 * executed instruction, so a figure is the same on every run and the ratio
 * of the two cores' figures is what the benchmark reports.
 *
 * The IOMMU driver behind the core here is a bench driver of its own, not
 * iommu-mock.c: its map_pages()/unmap_pages() only count, so a map figure
 * is the core's overhead; it gives every device a group of its own, or one
 * per eight devices, with no limit on their number; and it allocates
 * nothing per device, so slab growth during a probe is the core's.
 *
 * Devices are platform devices added without a fwspec, which the core
 * ignores; a timed probe then gives each its fwspec and calls
 * iommu_probe_device(), as the OF and ACPI glue do for a device whose
 * IOMMU was described late.  Removing a device releases it through the
 * core's bus notifier.
 *
 * Each case prints "BENCH <metric> <value>" diagnostic lines, in ns (guest
 * instructions under icount) or in bytes.  Every case is marked very
 * slow: make check builds the suite and filters it out (speed>very_slow),
 * which leaves the other suites' slow cases in.
 */
#include <kunit/test.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/ioasid.h>
#include <linux/ktime.h>
#include <linux/mmzone.h>
#include <linux/percpu.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmstat.h>
#include <linux/xarray.h>

#define BENCH_PGSIZES	(SZ_4K | SZ_2M | SZ_1G)
#define BENCH_MAX_DEVS	10000
#define BENCH_ROUNDS	7
#define BENCH_OPS	512
#define RW		(IOMMU_READ | IOMMU_WRITE)

/* One bench IOMMU instance is registered at a time. */
struct bench_iommu {
	struct iommu_device iommu;
	struct fwnode_handle *fwnode;
	unsigned int devs_per_group;
	int def_domain_type;		/* what def_domain_type() says */
	struct iommu_group **groups;	/* by group index; bench_lock */
};

static struct bench_iommu *bench_iommu_cur;
static DEFINE_MUTEX(bench_lock);

struct bench_domain {
	struct iommu_domain domain;
	unsigned long nr_map_calls;
	unsigned long nr_unmap_calls;
	phys_addr_t last_paddr;		/* of the latest map */
};

static struct bench_domain *to_bench_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct bench_domain, domain);
}

/* The cheapest page table there is: it only counts. */
static int bench_map_pages(struct iommu_domain *domain, unsigned long iova,
			   phys_addr_t paddr, size_t pgsize, size_t pgcount,
			   int prot, gfp_t gfp, size_t *mapped)
{
	struct bench_domain *bd = to_bench_domain(domain);

	bd->nr_map_calls++;
	bd->last_paddr = paddr;
	*mapped = pgsize * pgcount;
	return 0;
}

static size_t bench_unmap_pages(struct iommu_domain *domain,
				unsigned long iova, size_t pgsize,
				size_t pgcount,
				struct iommu_iotlb_gather *gather)
{
	to_bench_domain(domain)->nr_unmap_calls++;
	return pgsize * pgcount;
}

static void bench_iotlb_sync(struct iommu_domain *domain,
			     struct iommu_iotlb_gather *gather)
{
}

static void bench_flush_iotlb_all(struct iommu_domain *domain)
{
}

/*
 * dma-iommu looks up what it unmaps.  The driver keeps no page table: the
 * DMA API case maps one and the same page again and again, so the latest
 * map's address is every IOVA's.
 */
static phys_addr_t bench_iova_to_phys(struct iommu_domain *domain,
				      dma_addr_t iova)
{
	return to_bench_domain(domain)->last_paddr + offset_in_page(iova);
}

static int bench_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	return 0;
}

static void bench_domain_free(struct iommu_domain *domain)
{
	kfree(to_bench_domain(domain));
}

static const struct iommu_domain_ops bench_paging_ops = {
	.attach_dev = bench_attach_dev,
	.map_pages = bench_map_pages,
	.unmap_pages = bench_unmap_pages,
	.iotlb_sync = bench_iotlb_sync,
	.flush_iotlb_all = bench_flush_iotlb_all,
	.iova_to_phys = bench_iova_to_phys,
	.free = bench_domain_free,
};

static const struct iommu_domain_ops bench_static_ops = {
	.attach_dev = bench_attach_dev,
};

static struct iommu_domain bench_identity_domain = {
	.type = IOMMU_DOMAIN_IDENTITY,
	.ops = &bench_static_ops,
};

static struct iommu_domain bench_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &bench_static_ops,
};

static struct iommu_domain *bench_domain_alloc_paging(struct device *dev)
{
	struct bench_domain *bd = kzalloc(sizeof(*bd), GFP_KERNEL);

	if (!bd)
		return ERR_PTR(-ENOMEM);
	bd->domain.pgsize_bitmap = BENCH_PGSIZES;
	bd->domain.geometry.aperture_end = BIT_ULL(48) - 1;
	bd->domain.geometry.force_aperture = true;
	return &bd->domain;
}

static struct iommu_device *bench_probe_device(struct device *dev)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	struct bench_iommu *bi = bench_iommu_cur;

	if (!bi || !fwspec || fwspec->iommu_fwnode != bi->fwnode ||
	    fwspec->num_ids != 1 || fwspec->ids[0] >= BENCH_MAX_DEVS)
		return ERR_PTR(-ENODEV);
	return &bi->iommu;
}

/* The core frees a group: forget the slot's pointer to it. */
static void bench_group_release(void *slot)
{
	guard(mutex)(&bench_lock);
	*(struct iommu_group **)slot = NULL;
}

static struct iommu_group *bench_device_group(struct device *dev)
{
	struct bench_iommu *bi = bench_iommu_cur;
	u32 id = dev_iommu_fwspec_get(dev)->ids[0];
	struct iommu_group **slot = &bi->groups[id / bi->devs_per_group];
	struct iommu_group *group;

	guard(mutex)(&bench_lock);
	if (*slot)
		return iommu_group_ref_get(*slot);
	group = iommu_group_alloc();
	if (IS_ERR(group))
		return group;
	iommu_group_set_iommudata(group, slot, bench_group_release);
	*slot = group;
	return group;
}

static int bench_def_domain_type(struct device *dev)
{
	return bench_iommu_cur->def_domain_type;
}

/* Flush queues work here: the IOTLB flush is free. */
static bool bench_capable(struct device *dev, enum iommu_cap cap)
{
	return cap == IOMMU_CAP_DEFERRED_FLUSH;
}

static const struct iommu_ops bench_ops = {
	.identity_domain = &bench_identity_domain,
	.blocked_domain = &bench_blocked_domain,
	.domain_alloc_paging = bench_domain_alloc_paging,
	.probe_device = bench_probe_device,
	.device_group = bench_device_group,
	.def_domain_type = bench_def_domain_type,
	.capable = bench_capable,
	.default_domain_ops = &bench_paging_ops,
	.pgsize_bitmap = BENCH_PGSIZES,
	.owner = THIS_MODULE,
};

static void bench_iommu_forget(void *data)
{
	guard(mutex)(&bench_lock);
	bench_iommu_cur = NULL;
}

static void bench_add_action(struct kunit *test, kunit_action_t *action,
			     void *ctx)
{
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, action, ctx));
}

KUNIT_DEFINE_ACTION_WRAPPER(bench_fwnode_remove, fwnode_remove_software_node,
			    struct fwnode_handle *);
KUNIT_DEFINE_ACTION_WRAPPER(bench_sysfs_remove, iommu_device_sysfs_remove,
			    struct iommu_device *);
KUNIT_DEFINE_ACTION_WRAPPER(bench_iommu_unregister, iommu_device_unregister,
			    struct iommu_device *);

/*
 * Register the bench IOMMU with @ops, grouping @devs_per_group devices
 * together.
 */
static struct bench_iommu *bench_iommu_create_ops(struct kunit *test,
						  unsigned int devs_per_group,
						  const struct iommu_ops *ops)
{
	struct bench_iommu *bi;
	int ret;

	bi = kunit_kzalloc(test, sizeof(*bi), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bi);
	bi->groups = kunit_kcalloc(test, BENCH_MAX_DEVS, sizeof(*bi->groups),
				   GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bi->groups);
	bi->devs_per_group = devs_per_group;
	bi->iommu.max_pasids = 1U << 20;

	bi->fwnode = fwnode_create_software_node(NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, bi->fwnode);
	bench_add_action(test, bench_fwnode_remove, bi->fwnode);
	ret = iommu_device_sysfs_add(&bi->iommu, NULL, NULL, "iommu-bench");
	KUNIT_ASSERT_EQ(test, ret, 0);
	bench_add_action(test, bench_sysfs_remove, &bi->iommu);

	scoped_guard(mutex, &bench_lock) {
		KUNIT_ASSERT_NULL(test, bench_iommu_cur);
		bench_iommu_cur = bi;
	}
	bench_add_action(test, bench_iommu_forget, NULL);
	bi->iommu.fwnode = bi->fwnode;
	ret = iommu_device_register(&bi->iommu, ops, NULL);
	KUNIT_ASSERT_EQ(test, ret, 0);
	bench_add_action(test, bench_iommu_unregister, &bi->iommu);
	return bi;
}

static struct bench_iommu *bench_iommu_create(struct kunit *test,
					      unsigned int devs_per_group)
{
	return bench_iommu_create_ops(test, devs_per_group, &bench_ops);
}

/*
 * The bench driver with static default and blocking domains (identity and
 * blocked), as drivers without paging default domains have them: a DMA
 * ownership cycle then costs the core's bookkeeping and nothing else.
 */
static const struct iommu_ops *bench_ops_static(struct kunit *test)
{
	struct iommu_ops *ops = kunit_kmalloc(test, sizeof(*ops), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ops);
	*ops = bench_ops;
	ops->default_domain = &bench_identity_domain;
	ops->def_domain_type = NULL;
	return ops;
}

/* Unregister @bi before the test ends, so that another one can come. */
static void bench_iommu_destroy(struct kunit *test, struct bench_iommu *bi)
{
	kunit_release_action(test, bench_iommu_unregister, &bi->iommu);
	kunit_release_action(test, bench_iommu_forget, NULL);
	kunit_release_action(test, bench_sysfs_remove, &bi->iommu);
	kunit_release_action(test, bench_fwnode_remove, bi->fwnode);
}

/* Platform devices with no IOMMU yet, removed together. */
struct bench_devs {
	struct platform_device **pdev;
	unsigned int nr;
};

static void bench_devs_remove(void *data)
{
	struct bench_devs *devs = data;

	while (devs->nr)
		platform_device_unregister(devs->pdev[--devs->nr]);
}

static struct bench_devs *bench_devs_add(struct kunit *test, unsigned int nr,
					 u32 pasid_bits)
{
	struct property_entry props[] = {
		PROPERTY_ENTRY_U32("pasid-num-bits", pasid_bits),
		{}
	};
	struct platform_device *pdev;
	struct bench_devs *devs;
	int ret;

	devs = kunit_kzalloc(test, sizeof(*devs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, devs);
	devs->pdev = kunit_kcalloc(test, nr, sizeof(*devs->pdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, devs->pdev);
	bench_add_action(test, bench_devs_remove, devs);

	while (devs->nr < nr) {
		pdev = platform_device_alloc("iommu-bench", PLATFORM_DEVID_AUTO);
		KUNIT_ASSERT_NOT_NULL(test, pdev);
		ret = 0;
		if (pasid_bits)
			ret = device_create_managed_software_node(&pdev->dev,
								  props, NULL);
		if (!ret)
			ret = platform_device_add(pdev);
		if (ret)
			platform_device_put(pdev);
		KUNIT_ASSERT_EQ(test, ret, 0);
		devs->pdev[devs->nr++] = pdev;
	}
	return devs;
}

/*
 * Describe each device as behind @bi and probe it; returns how many
 * failed.  This is the timed part of a probe benchmark.
 */
static unsigned int bench_probe(struct bench_iommu *bi, struct bench_devs *devs)
{
	unsigned int i, failed = 0;
	struct device *dev;
	u32 id;
	int ret;

	for (i = 0; i < devs->nr; i++) {
		dev = &devs->pdev[i]->dev;
		id = i;
		mutex_lock(&iommu_probe_device_lock);
		ret = iommu_fwspec_init(dev, bi->fwnode);
		if (!ret)
			ret = iommu_fwspec_add_ids(dev, &id, 1);
		mutex_unlock(&iommu_probe_device_lock);
		if (!ret)
			ret = iommu_probe_device(dev);
		if (ret || !device_iommu_mapped(dev))
			failed++;
	}
	return failed;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v, int n)
{
	sort(v, n, sizeof(*v), cmp_u64, NULL);
	return v[n / 2];
}

/* map/unmap through the core */

struct map_case {
	const char *name;
	unsigned long first_iova;	/* of range i: first_iova + i * stride */
	unsigned long stride;
	size_t size;
	unsigned int pages;		/* leaves the core should make */
};

static const struct map_case map_cases[] = {
	{ "4k", 0, SZ_4K, SZ_4K, 1 },
	{ "2m", 0, SZ_2M, SZ_2M, 1 },
	/* 16 x 4K up to a 2M boundary, 2 x 2M, 16 x 4K */
	{ "mixed", SZ_2M - SZ_64K, SZ_8M, SZ_4M + SZ_128K, 34 },
};

KUNIT_ARRAY_PARAM_DESC(map, map_cases, name);

static void map_unmap(struct kunit *test)
{
	const struct map_case *c = test->param_value;
	u64 t_map[BENCH_ROUNDS], t_unmap[BENCH_ROUNDS];
	u64 f_map[BENCH_ROUNDS], f_unmap[BENCH_ROUNDS];
	struct iommu_iotlb_gather gather;
	struct iommu_domain *domain;
	struct bench_domain *bd;
	unsigned long iova, map_calls, unmap_calls;
	u64 t0, t1, t2, map_ns, unmap_ns, floor_map, floor_unmap;
	unsigned int errors = 0;
	struct bench_iommu *bi;
	struct bench_devs *devs;
	size_t mapped;
	int r, i;

	bi = bench_iommu_create(test, 1);
	devs = bench_devs_add(test, 1, 0);
	KUNIT_ASSERT_EQ(test, 0, bench_probe(bi, devs));
	domain = iommu_paging_domain_alloc(&devs->pdev[0]->dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, domain);
	bd = to_bench_domain(domain);

	for (r = 0; r < BENCH_ROUNDS; r++) {
		t0 = ktime_get_ns();
		for (i = 0; i < BENCH_OPS; i++) {
			iova = c->first_iova + i * c->stride;
			errors += !!iommu_map(domain, iova, iova, c->size, RW,
					      GFP_KERNEL);
		}
		t1 = ktime_get_ns();
		for (i = 0; i < BENCH_OPS; i++) {
			iova = c->first_iova + i * c->stride;
			errors += iommu_unmap(domain, iova, c->size) != c->size;
		}
		t2 = ktime_get_ns();
		t_map[r] = t1 - t0;
		t_unmap[r] = t2 - t1;
	}
	map_calls = bd->nr_map_calls;
	unmap_calls = bd->nr_unmap_calls;

	/* The driver's own share: its ops called directly, one page each. */
	for (r = 0; r < BENCH_ROUNDS; r++) {
		t0 = ktime_get_ns();
		for (i = 0; i < BENCH_OPS; i++) {
			iova = c->first_iova + i * c->stride;
			domain->ops->map_pages(domain, iova, iova, SZ_4K, 1, RW,
					       GFP_KERNEL, &mapped);
		}
		t1 = ktime_get_ns();
		iommu_iotlb_gather_init(&gather);
		for (i = 0; i < BENCH_OPS; i++) {
			iova = c->first_iova + i * c->stride;
			domain->ops->unmap_pages(domain, iova, SZ_4K, 1,
						 &gather);
		}
		t2 = ktime_get_ns();
		f_map[r] = t1 - t0;
		f_unmap[r] = t2 - t1;
	}
	iommu_domain_free(domain);

	KUNIT_EXPECT_EQ(test, errors, 0);
	KUNIT_EXPECT_EQ(test, map_calls, unmap_calls);
	map_ns = div_u64(median(t_map, BENCH_ROUNDS), BENCH_OPS);
	unmap_ns = div_u64(median(t_unmap, BENCH_ROUNDS), BENCH_OPS);
	floor_map = div_u64(median(f_map, BENCH_ROUNDS), BENCH_OPS);
	floor_unmap = div_u64(median(f_unmap, BENCH_ROUNDS), BENCH_OPS);
	/* driver calls per iommu_map()/iommu_unmap(), times the floor */
	floor_map = div_u64(floor_map * map_calls, BENCH_ROUNDS * BENCH_OPS);
	floor_unmap = div_u64(floor_unmap * unmap_calls,
			      BENCH_ROUNDS * BENCH_OPS);

	kunit_info(test, "BENCH map.%s.call %llu\n", c->name, map_ns);
	kunit_info(test, "BENCH map.%s.page100 %llu\n", c->name,
		   div_u64(map_ns * 100, c->pages));
	kunit_info(test, "BENCH map.%s.overhead %llu\n", c->name,
		   map_ns > floor_map ? map_ns - floor_map : 0);
	kunit_info(test, "BENCH unmap.%s.call %llu\n", c->name, unmap_ns);
	kunit_info(test, "BENCH unmap.%s.page100 %llu\n", c->name,
		   div_u64(unmap_ns * 100, c->pages));
	kunit_info(test, "BENCH unmap.%s.overhead %llu\n", c->name,
		   unmap_ns > floor_unmap ? unmap_ns - floor_unmap : 0);
	kunit_info(test, "BENCH map.%s.driver_calls %lu\n", c->name,
		   map_calls / (BENCH_ROUNDS * BENCH_OPS));
}

/*
 * The DMA API as drivers use it: dma_map_page() and dma_unmap_page() of
 * 4 KiB through dma-iommu on the device's default domain, strict (DMA:
 * the IOTLB is flushed in each unmap) or lazy (DMA-FQ: the IOVA waits in
 * a flush queue).  The core's share is iommu_map(), iommu_unmap_fast()
 * and the lookups dma-iommu makes (domain, IOVA to physical); the rest
 * is dma-iommu's IOVA allocator and flush queue, the same on both cores.
 */
struct dma_case {
	const char *name;
	int type;
};

static const struct dma_case dma_cases[] = {
	{ "strict", IOMMU_DOMAIN_DMA },
	{ "lazy", IOMMU_DOMAIN_DMA_FQ },
};

KUNIT_ARRAY_PARAM_DESC(dma, dma_cases, name);

KUNIT_DEFINE_ACTION_WRAPPER(bench_free_page, __free_page, struct page *);

static void dma_map_unmap(struct kunit *test)
{
	const struct dma_case *c = test->param_value;
	u64 t_map[BENCH_ROUNDS], t_unmap[BENCH_ROUNDS], t0, t1, t2;
	struct iommu_domain *domain;
	struct bench_iommu *bi;
	struct bench_devs *devs;
	unsigned int errors = 0;
	dma_addr_t *addr;
	struct device *dev;
	struct page *page;
	int r, i;

	addr = kunit_kcalloc(test, BENCH_OPS, sizeof(*addr), GFP_KERNEL);
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, addr);
	KUNIT_ASSERT_NOT_NULL(test, page);
	bench_add_action(test, bench_free_page, page);
	bi = bench_iommu_create(test, 1);
	bi->def_domain_type = c->type;
	devs = bench_devs_add(test, 1, 0);
	KUNIT_ASSERT_EQ(test, 0, bench_probe(bi, devs));
	dev = &devs->pdev[0]->dev;
	domain = iommu_get_domain_for_dev(dev);
	/* dma-iommu set the domain up, flush queue included. */
	KUNIT_ASSERT_NOT_NULL(test, domain);
	KUNIT_ASSERT_EQ(test, domain->type, c->type);

	for (r = 0; r < BENCH_ROUNDS; r++) {
		t0 = ktime_get_ns();
		for (i = 0; i < BENCH_OPS; i++)
			addr[i] = dma_map_page(dev, page, 0, SZ_4K,
					       DMA_BIDIRECTIONAL);
		t1 = ktime_get_ns();
		for (i = 0; i < BENCH_OPS; i++)
			errors += dma_mapping_error(dev, addr[i]);
		t2 = ktime_get_ns();
		for (i = 0; i < BENCH_OPS; i++)
			dma_unmap_page(dev, addr[i], SZ_4K, DMA_BIDIRECTIONAL);
		t_map[r] = t1 - t0;
		t_unmap[r] = ktime_get_ns() - t2;
	}
	KUNIT_EXPECT_EQ(test, errors, 0);
	KUNIT_EXPECT_EQ(test, to_bench_domain(domain)->nr_map_calls,
			BENCH_ROUNDS * BENCH_OPS);
	KUNIT_EXPECT_EQ(test, to_bench_domain(domain)->nr_unmap_calls,
			BENCH_ROUNDS * BENCH_OPS);

	kunit_info(test, "BENCH dma.%s.map %llu\n", c->name,
		   div_u64(median(t_map, BENCH_ROUNDS), BENCH_OPS));
	kunit_info(test, "BENCH dma.%s.unmap %llu\n", c->name,
		   div_u64(median(t_unmap, BENCH_ROUNDS), BENCH_OPS));
}

/* DMA ownership: a claim and release cycle by user space */

struct owner_case {
	const char *name;
	const char *metric;
	unsigned int n;
	bool static_domains;
};

static const struct owner_case owner_cases[] = {
	{ "group-of-1", "owner", 1, false },
	{ "group-of-8", "owner", 8, false },
	{ "group-of-1-static", "owner.static", 1, true },
	{ "group-of-8-static", "owner.static", 8, true },
};

KUNIT_ARRAY_PARAM_DESC(owner, owner_cases, name);

static void claim_release(struct kunit *test)
{
	const struct owner_case *c = test->param_value;
	unsigned int n = c->n;
	u64 t[BENCH_ROUNDS], t0;
	unsigned int errors = 0;
	struct bench_iommu *bi;
	struct bench_devs *devs;
	struct device *dev;
	int r, i;

	bi = bench_iommu_create_ops(test, n, c->static_domains ?
					bench_ops_static(test) : &bench_ops);
	devs = bench_devs_add(test, n, 0);
	KUNIT_ASSERT_EQ(test, 0, bench_probe(bi, devs));
	dev = &devs->pdev[0]->dev;

	/* The first claim may allocate the group's blocking domain. */
	KUNIT_ASSERT_EQ(test, 0, iommu_device_claim_dma_owner(dev, test));
	iommu_device_release_dma_owner(dev);

	for (r = 0; r < BENCH_ROUNDS; r++) {
		t0 = ktime_get_ns();
		for (i = 0; i < BENCH_OPS; i++) {
			errors += !!iommu_device_claim_dma_owner(dev, test);
			iommu_device_release_dma_owner(dev);
		}
		t[r] = ktime_get_ns() - t0;
	}
	KUNIT_EXPECT_EQ(test, errors, 0);
	kunit_info(test, "BENCH %s.%u.cycle %llu\n", c->metric, n,
		   div_u64(median(t, BENCH_ROUNDS), BENCH_OPS));
}

/*
 * Probe of many devices, each in a group of its own: on the default domain
 * the configuration gives (with IOMMU_DMA, a DMA domain: this driver has
 * no deferred flush for DMA-FQ; dma-iommu.c sets up its IOVA allocator at
 * probe), and on identity domains, which leave
 * dma-iommu.c out and so show the core's own cost.
 */

struct probe_case {
	const char *name;
	const char *metric;
	unsigned int n;
	int def_domain_type;
};

static const struct probe_case probe_cases[] = {
	{ "10-devices", "probe", 10, 0 },
	{ "100-devices", "probe", 100, 0 },
	{ "1000-devices", "probe", 1000, 0 },
	{ "10000-devices", "probe", BENCH_MAX_DEVS, 0 },
	{ "10-devices-identity", "probe_id", 10, IOMMU_DOMAIN_IDENTITY },
	{ "100-devices-identity", "probe_id", 100, IOMMU_DOMAIN_IDENTITY },
	{ "1000-devices-identity", "probe_id", 1000, IOMMU_DOMAIN_IDENTITY },
	{ "10000-devices-identity", "probe_id", BENCH_MAX_DEVS,
	  IOMMU_DOMAIN_IDENTITY },
};

KUNIT_ARRAY_PARAM_DESC(probe, probe_cases, name);

static void probe_many(struct kunit *test)
{
	const struct probe_case *c = test->param_value;
	unsigned int n = c->n;
	int rounds = n <= 100 ? BENCH_ROUNDS : n <= 1000 ? 3 : 1;
	u64 t[BENCH_ROUNDS], t0, total;
	struct bench_iommu *bi;
	struct bench_devs *devs;
	int r;

	bi = bench_iommu_create(test, 1);
	bi->def_domain_type = c->def_domain_type;
	for (r = 0; r < rounds; r++) {
		devs = bench_devs_add(test, n, 0);
		t0 = ktime_get_ns();
		KUNIT_ASSERT_EQ(test, 0, bench_probe(bi, devs));
		t[r] = ktime_get_ns() - t0;
		kunit_release_action(test, bench_devs_remove, devs);
		/*
		 * What the removal queued for after a grace period (kernfs
		 * nodes among others) must not run inside the next round.
		 */
		rcu_barrier();
	}
	total = median(t, rounds);
	kunit_info(test, "BENCH %s.%u.total %llu\n", c->metric, n, total);
	kunit_info(test, "BENCH %s.%u.per_dev %llu\n", c->metric, n,
		   div_u64(total, n));
}

/*
 * Not the core: the per-CPU allocations that dma-iommu.c's IOVA set-up
 * (iova_domain_init_rcaches()) makes for each DMA domain, one per IOVA
 * range cache (IOVA_RANGE_CACHE_MAX_SIZE, 6, private to iova.c) of a
 * spinlock and two magazine pointers, cache-line aligned.  Timed at the
 * same counts as a probe, it shows how much of a DMA probe's growth with
 * the number of devices is the per-CPU allocator's.
 */
#define BENCH_IOVA_RCACHES	6

struct bench_cpu_rcache {
	spinlock_t lock;	/* the size of iova.c's, never taken here */
	void *loaded, *prev;
};

static const unsigned int percpu_counts[] = { 10, 100, 1000, BENCH_MAX_DEVS };

static void percpu_gen_desc(const unsigned int *n, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u-domains", *n);
}

KUNIT_ARRAY_PARAM(percpu, percpu_counts, percpu_gen_desc);
KUNIT_DEFINE_ACTION_WRAPPER(bench_kvfree, kvfree, const void *);

static void iova_percpu_baseline(struct kunit *test)
{
	unsigned int n = *(const unsigned int *)test->param_value;
	unsigned int nr = n * BENCH_IOVA_RCACHES, i;
	int rounds = n <= 100 ? BENCH_ROUNDS : n <= 1000 ? 3 : 1;
	void __percpu **areas;
	u64 t[BENCH_ROUNDS], t0;
	unsigned int errors = 0;
	int r;

	areas = kvcalloc(nr, sizeof(*areas), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, areas);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, bench_kvfree, areas));
	for (r = 0; r < rounds; r++) {
		t0 = ktime_get_ns();
		for (i = 0; i < nr; i++)
			areas[i] = __alloc_percpu(sizeof(struct bench_cpu_rcache),
						  cache_line_size());
		t[r] = ktime_get_ns() - t0;
		for (i = 0; i < nr; i++) {
			errors += !areas[i];
			free_percpu(areas[i]);
		}
	}
	KUNIT_EXPECT_EQ(test, errors, 0);
	kunit_info(test, "BENCH iova_percpu.%u.per_dev %llu\n", n,
		   div_u64(median(t, rounds), n));
}

/* Slab memory per device and per group */

/* Slab bytes in use, the per-CPU deltas not yet folded included. */
static long bench_slab_bytes(void)
{
	static const enum node_stat_item items[] = {
		NR_SLAB_RECLAIMABLE_B, NR_SLAB_UNRECLAIMABLE_B,
	};
	struct pglist_data *pgdat;
	long pages = 0;
	int i, cpu;

	for (i = 0; i < ARRAY_SIZE(items); i++) {
		pages += global_node_page_state_pages(items[i]);
		for_each_online_pgdat(pgdat)
			for_each_online_cpu(cpu)
				pages += per_cpu_ptr(pgdat->per_cpu_nodestats,
						     cpu)->vm_node_stat_diff[items[i]];
	}
	return pages << PAGE_SHIFT;
}

#define BENCH_MEM_DEVS	2048

/* Slab growth while probing BENCH_MEM_DEVS devices, @per_group a group. */
static long probe_slab_growth(struct kunit *test, unsigned int per_group)
{
	struct bench_iommu *bi = bench_iommu_create(test, per_group);
	struct bench_devs *devs = bench_devs_add(test, BENCH_MEM_DEVS, 0);
	long before, after;

	/* Frees queued by earlier cases would be counted against us. */
	rcu_barrier();
	before = bench_slab_bytes();
	KUNIT_EXPECT_EQ(test, 0, bench_probe(bi, devs));
	after = bench_slab_bytes();
	kunit_release_action(test, bench_devs_remove, devs);
	bench_iommu_destroy(test, bi);
	return after - before;
}

static void memory_per_device(struct kunit *test)
{
	long m1, m8, per_group, per_dev;

	/* Once unmeasured, so that the slab caches have warmed up. */
	probe_slab_growth(test, 1);
	m1 = probe_slab_growth(test, 1);
	m8 = probe_slab_growth(test, 8);

	/*
	 * m1 = N * (dev + group), m8 = N * dev + N / 8 * group: a group of
	 * its own costs each device the group's share in full.
	 */
	per_group = (m1 - m8) * 8 / (7 * BENCH_MEM_DEVS);
	per_dev = m1 / BENCH_MEM_DEVS - per_group;
	kunit_info(test, "BENCH mem.groups1.per_dev %ld\n", m1 / BENCH_MEM_DEVS);
	kunit_info(test, "BENCH mem.groups8.per_dev %ld\n", m8 / BENCH_MEM_DEVS);
	kunit_info(test, "BENCH mem.per_dev %ld\n", per_dev);
	kunit_info(test, "BENCH mem.per_group %ld\n", per_group);
}

/*
 * Global PASIDs: allocation, lookup of their data, free, with @live IDs
 * already allocated (not timed), used either way they are: with data
 * (the ID stands for the device, looked up by ID) or bare (allocated and
 * freed only, as SVA's global PASIDs are).
 *
 * The data: our core's global PASIDs are ioasids of the system set, which
 * carry it; the base's come from an IDA, which does not, so its users keep
 * an xarray of their own.  Attaching it is not timed on either side.
 */
struct pasid_case {
	const char *name;
	unsigned int live;
	bool data;
};

static const struct pasid_case pasid_cases[] = {
	{ "1000-live-data", 1000, true },
	{ "100000-live-data", 100000, true },
	{ "1000-live-bare", 1000, false },
	{ "100000-live-bare", 100000, false },
};

KUNIT_ARRAY_PARAM_DESC(pasid, pasid_cases, name);

struct pasid_bench {
	struct device *dev;
	struct xarray xa;	/* stock: the caller's PASID -> data */
	unsigned int errors;
};

static ioasid_t pasid_alloc(struct pasid_bench *pb)
{
	ioasid_t id = iommu_alloc_global_pasid(pb->dev);

	pb->errors += id == IOMMU_PASID_INVALID;
	return id;
}

static void pasid_attach(struct pasid_bench *pb, ioasid_t id)
{
	if (IS_ENABLED(CONFIG_IOMMU_GROUP_CORE))
		pb->errors += !!ioasid_attach_data(&ioasid_system_set, id,
						   pb->dev);
	else
		pb->errors += xa_err(xa_store(&pb->xa, id, pb->dev,
					      GFP_KERNEL)) != 0;
}

static void *pasid_lookup(struct pasid_bench *pb, ioasid_t id)
{
	if (IS_ENABLED(CONFIG_IOMMU_GROUP_CORE))
		return ioasid_find(&ioasid_system_set, id, NULL);
	return xa_load(&pb->xa, id);
}

/* The PASID goes, and so does what it stood for. */
static void pasid_free(struct pasid_bench *pb, ioasid_t id, bool data)
{
	if (data && !IS_ENABLED(CONFIG_IOMMU_GROUP_CORE))
		xa_erase(&pb->xa, id);
	iommu_free_global_pasid(id);
}

static void global_pasid(struct kunit *test)
{
	const struct pasid_case *c = test->param_value;
	u64 t_alloc[BENCH_ROUNDS], t_find[BENCH_ROUNDS], t_free[BENCH_ROUNDS];
	struct pasid_bench pb = {};
	ioasid_t *fill, *ids;
	struct bench_iommu *bi;
	struct bench_devs *devs;
	u64 t0;
	int r, i;

	fill = kunit_kcalloc(test, c->live, sizeof(*fill), GFP_KERNEL);
	ids = kunit_kcalloc(test, BENCH_OPS, sizeof(*ids), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fill);
	KUNIT_ASSERT_NOT_NULL(test, ids);
	bi = bench_iommu_create(test, 1);
	devs = bench_devs_add(test, 1, 20);
	KUNIT_ASSERT_EQ(test, 0, bench_probe(bi, devs));
	pb.dev = &devs->pdev[0]->dev;
	xa_init(&pb.xa);

	for (i = 0; i < c->live; i++) {
		fill[i] = pasid_alloc(&pb);
		if (c->data)
			pasid_attach(&pb, fill[i]);
	}
	for (r = 0; r < BENCH_ROUNDS; r++) {
		t0 = ktime_get_ns();
		for (i = 0; i < BENCH_OPS; i++)
			ids[i] = pasid_alloc(&pb);
		t_alloc[r] = ktime_get_ns() - t0;

		if (c->data) {
			for (i = 0; i < BENCH_OPS; i++)
				pasid_attach(&pb, ids[i]);
			t0 = ktime_get_ns();
			for (i = 0; i < BENCH_OPS; i++)
				pb.errors += pasid_lookup(&pb, ids[i]) != pb.dev;
			t_find[r] = ktime_get_ns() - t0;
		}

		t0 = ktime_get_ns();
		for (i = 0; i < BENCH_OPS; i++)
			pasid_free(&pb, ids[i], c->data);
		t_free[r] = ktime_get_ns() - t0;
	}
	for (i = 0; i < c->live; i++)
		pasid_free(&pb, fill[i], c->data);
	KUNIT_EXPECT_TRUE(test, xa_empty(&pb.xa));
	KUNIT_EXPECT_EQ(test, pb.errors, 0);

	kunit_info(test, "BENCH pasid.%s.%u.alloc %llu\n",
		   c->data ? "data" : "bare", c->live,
		   div_u64(median(t_alloc, BENCH_ROUNDS), BENCH_OPS));
	if (c->data)
		kunit_info(test, "BENCH pasid.data.%u.lookup %llu\n", c->live,
			   div_u64(median(t_find, BENCH_ROUNDS), BENCH_OPS));
	kunit_info(test, "BENCH pasid.%s.%u.free %llu\n",
		   c->data ? "data" : "bare", c->live,
		   div_u64(median(t_free, BENCH_ROUNDS), BENCH_OPS));
}

/*
 * Removal: platform_device_del() of probed devices, newest first, which
 * releases each from its group through the core's bus notifier, less the
 * same deletion of as many devices that were never probed.  Identity
 * default domains, so that a group's last device frees no IOVA caches
 * (dma-iommu's, the same on both cores; see iova_percpu_baseline).
 */
struct remove_case {
	const char *name;
	const char *metric;
	unsigned int n;
	unsigned int devs_per_group;
};

static const struct remove_case remove_cases[] = {
	{ "100-devices", "remove", 100, 1 },
	{ "1000-devices", "remove", 1000, 1 },
	{ "10000-devices", "remove", BENCH_MAX_DEVS, 1 },
	{ "100-devices-one-group", "remove_shared", 100, BENCH_MAX_DEVS },
	{ "1000-devices-one-group", "remove_shared", 1000, BENCH_MAX_DEVS },
	{ "10000-devices-one-group", "remove_shared", BENCH_MAX_DEVS,
	  BENCH_MAX_DEVS },
};

KUNIT_ARRAY_PARAM_DESC(remove, remove_cases, name);

/* Delete the devices newest first, timed; put them after, not timed. */
static u64 bench_devs_del(struct kunit *test, struct bench_devs *devs)
{
	unsigned int i = devs->nr;
	u64 t0 = ktime_get_ns(), t;

	while (i)
		platform_device_del(devs->pdev[--i]);
	t = ktime_get_ns() - t0;
	while (devs->nr)
		platform_device_put(devs->pdev[--devs->nr]);
	kunit_release_action(test, bench_devs_remove, devs);
	rcu_barrier();
	return t;
}

static void remove_many(struct kunit *test)
{
	const struct remove_case *c = test->param_value;
	unsigned int n = c->n;
	int rounds = n <= 100 ? BENCH_ROUNDS : n <= 1000 ? 3 : 1;
	u64 t[BENCH_ROUNDS], plain[BENCH_ROUNDS], t_med, plain_med, total;
	struct bench_iommu *bi;
	struct bench_devs *devs;
	int r;

	bi = bench_iommu_create(test, c->devs_per_group);
	bi->def_domain_type = IOMMU_DOMAIN_IDENTITY;
	for (r = 0; r < rounds; r++) {
		devs = bench_devs_add(test, n, 0);
		plain[r] = bench_devs_del(test, devs);
		devs = bench_devs_add(test, n, 0);
		KUNIT_ASSERT_EQ(test, 0, bench_probe(bi, devs));
		t[r] = bench_devs_del(test, devs);
	}
	t_med = median(t, rounds);
	plain_med = median(plain, rounds);
	total = t_med > plain_med ? t_med - plain_med : 0;
	kunit_info(test, "BENCH %s.%u.total %llu\n", c->metric, n, total);
	kunit_info(test, "BENCH %s.%u.per_dev %llu\n", c->metric, n,
		   div_u64(total, n));
}

#define VERY_SLOW { .speed = KUNIT_SPEED_VERY_SLOW }

static struct kunit_case iommu_bench_cases[] = {
	KUNIT_CASE_PARAM_ATTR(map_unmap, map_gen_params, VERY_SLOW),
	KUNIT_CASE_PARAM_ATTR(dma_map_unmap, dma_gen_params, VERY_SLOW),
	KUNIT_CASE_PARAM_ATTR(claim_release, owner_gen_params, VERY_SLOW),
	KUNIT_CASE_PARAM_ATTR(probe_many, probe_gen_params, VERY_SLOW),
	KUNIT_CASE_PARAM_ATTR(iova_percpu_baseline, percpu_gen_params,
			      VERY_SLOW),
	KUNIT_CASE_ATTR(memory_per_device, VERY_SLOW),
	KUNIT_CASE_PARAM_ATTR(global_pasid, pasid_gen_params, VERY_SLOW),
	KUNIT_CASE_PARAM_ATTR(remove_many, remove_gen_params, VERY_SLOW),
	{}
};

static struct kunit_suite iommu_bench_suite = {
	.name = "iommu-bench",
	.test_cases = iommu_bench_cases,
	.attr = VERY_SLOW,
};

kunit_test_suite(iommu_bench_suite);

MODULE_DESCRIPTION("Benchmarks of the IOMMU core for ours/stock ratios");
MODULE_LICENSE("GPL");
