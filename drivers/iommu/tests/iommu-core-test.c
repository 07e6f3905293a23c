// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit characterisation of the IOMMU core's public behaviour.
 *
 * These cases pin down what drivers and bus code can observe through
 * <linux/iommu.h>: probe puts a device in a group on a default domain of
 * the right type, devices share groups as the driver says, paging domains
 * attach and detach, map/unmap/iova_to_phys reach the driver's page table
 * with the page sizes the core chose, and removal drops everything.  They
 * use nothing but the public API, so the same suite passes on the base's
 * core and on ours; any difference is a regression in one of them.
 */
#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/scatterlist.h>

#include "iommu-mock.h"

#define RW	(IOMMU_READ | IOMMU_WRITE)

static bool is_default_type(unsigned int type)
{
	if (iommu_default_passthrough())
		return type == IOMMU_DOMAIN_IDENTITY;
	return type == IOMMU_DOMAIN_DMA || type == IOMMU_DOMAIN_DMA_FQ;
}

static struct iommu_group *group_of(struct kunit *test, struct device *dev)
{
	struct iommu_group *group = iommu_group_get(dev);

	KUNIT_ASSERT_NOT_NULL(test, group);
	/* iommu_group_get() took a reference; the device keeps one too. */
	iommu_group_put(group);
	return group;
}

static void probe_puts_device_on_default_domain(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 0, 0);
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	struct iommu_group *group = group_of(test, dev);

	KUNIT_EXPECT_TRUE(test, device_iommu_mapped(dev));
	KUNIT_EXPECT_GE(test, iommu_group_id(group), 0);
	KUNIT_ASSERT_NOT_NULL(test, domain);
	KUNIT_EXPECT_TRUE(test, is_default_type(domain->type));
	KUNIT_EXPECT_PTR_EQ(test, iommu_group_default_domain(group), domain);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_dma_domain(dev), domain);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(dev)->attached, domain);
	KUNIT_EXPECT_EQ(test, atomic_read(&mock->nr_devices), 1);
}

static void device_without_iommu_has_no_group(struct kunit *test)
{
	struct device *plain = kunit_kzalloc(test, sizeof(*plain), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, plain);
	KUNIT_EXPECT_NULL(test, iommu_group_get(plain));
	KUNIT_EXPECT_NULL(test, iommu_get_domain_for_dev(plain));
	KUNIT_EXPECT_FALSE(test, device_iommu_mapped(plain));
}

struct def_domain_case {
	const char *name;
	int driver_type;	/* what def_domain_type() returns */
	unsigned int want;	/* 0: whatever the global default is */
};

static const struct def_domain_case def_domain_cases[] = {
	{ "no-preference", 0, 0 },
	{ "driver-wants-identity", IOMMU_DOMAIN_IDENTITY, IOMMU_DOMAIN_IDENTITY },
};

KUNIT_ARRAY_PARAM_DESC(def_domain, def_domain_cases, name);

static void default_domain_type_follows_driver(struct kunit *test)
{
	const struct def_domain_case *c = test->param_value;
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 0, c->driver_type);
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	KUNIT_ASSERT_NOT_NULL(test, domain);
	if (c->want)
		KUNIT_EXPECT_EQ(test, domain->type, c->want);
	else
		KUNIT_EXPECT_TRUE(test, is_default_type(domain->type));
}

static int count_dev(struct device *dev, void *data)
{
	(*(int *)data)++;
	return 0;
}

static int stop_at_first(struct device *dev, void *data)
{
	*(struct device **)data = dev;
	return -ECANCELED;
}

static void devices_share_group_as_driver_says(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *a = iommu_mock_add_device(test, mock, 1, 0);
	struct device *b = iommu_mock_add_device(test, mock, 1, 0);
	struct device *c = iommu_mock_add_device(test, mock, 2, 0);
	struct device *first = NULL;
	int n = 0;

	KUNIT_EXPECT_PTR_EQ(test, group_of(test, a), group_of(test, b));
	KUNIT_EXPECT_PTR_NE(test, group_of(test, a), group_of(test, c));
	KUNIT_EXPECT_NE(test, iommu_group_id(group_of(test, a)),
			iommu_group_id(group_of(test, c)));
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(a),
			    iommu_get_domain_for_dev(b));

	KUNIT_EXPECT_EQ(test, 0, iommu_group_for_each_dev(group_of(test, a),
							  &n, count_dev));
	KUNIT_EXPECT_EQ(test, n, 2);
	KUNIT_EXPECT_EQ(test, -ECANCELED,
			iommu_group_for_each_dev(group_of(test, a), &first,
						 stop_at_first));
	KUNIT_EXPECT_TRUE(test, first == a || first == b);
}

static void attach_detach_paging_domain(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 0, 0);
	struct iommu_domain *def = iommu_get_domain_for_dev(dev);
	struct iommu_domain *domain = iommu_mock_paging_domain(test, dev);

	KUNIT_EXPECT_EQ(test, domain->type, IOMMU_DOMAIN_UNMANAGED);
	KUNIT_ASSERT_EQ(test, 0, iommu_attach_device(domain, dev));
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(dev), domain);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(dev)->attached, domain);
	/* The DMA API domain stays the default one while attached elsewhere. */
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_dma_domain(dev), def);

	iommu_detach_device(domain, dev);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(dev), def);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(dev)->attached, def);
}

static void attach_group_moves_every_device(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *a = iommu_mock_add_device(test, mock, 3, 0);
	struct device *b = iommu_mock_add_device(test, mock, 3, 0);
	struct iommu_group *group = group_of(test, a);
	struct iommu_domain *def = iommu_get_domain_for_dev(a);
	struct iommu_domain *d1 = iommu_mock_paging_domain(test, a);
	struct iommu_domain *d2 = iommu_mock_paging_domain(test, a);

	/* A device-level attach cannot move a group of two. */
	KUNIT_EXPECT_EQ(test, -EINVAL, iommu_attach_device(d1, a));
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(a), def);

	KUNIT_ASSERT_EQ(test, 0, iommu_attach_group(d1, group));
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(a)->attached, d1);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(b)->attached, d1);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(b), d1);

	/* Only one owner-attached domain at a time. */
	KUNIT_EXPECT_EQ(test, -EBUSY, iommu_attach_group(d2, group));
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(a), d1);

	iommu_detach_group(d1, group);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(a)->attached, def);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(b)->attached, def);
}

static void map_unmap_reach_page_table(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 0, 0);
	struct iommu_domain *domain = iommu_mock_paging_domain(test, dev);
	struct iommu_mock_domain *md = to_mock_domain(domain);
	unsigned long iova = SZ_1M;
	phys_addr_t pa = SZ_1G + SZ_64K;

	KUNIT_ASSERT_EQ(test, 0, iommu_map(domain, iova, pa, SZ_8K, RW,
					   GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, md->nr_leaves[0], 2);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, iova + 0x1234),
			pa + 0x1234);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, iova + SZ_8K), 0);

	/* Mapping over a live mapping is refused by the page table. */
	KUNIT_EXPECT_NE(test, 0, iommu_map(domain, iova + SZ_4K, pa, SZ_4K,
					   RW, GFP_KERNEL));

	KUNIT_EXPECT_EQ(test, SZ_8K, iommu_unmap(domain, iova, SZ_8K));
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, iova), 0);
	KUNIT_EXPECT_EQ(test, md->nr_leaves[0], 0);
	KUNIT_EXPECT_GT(test, md->nr_iotlb_sync, 0);
}

static void map_splits_into_largest_pages(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 0, 0);
	struct iommu_domain *domain = iommu_mock_paging_domain(test, dev);
	struct iommu_mock_domain *md = to_mock_domain(domain);
	/* 4K below a 2M boundary, a whole 2M page, then 4K more. */
	unsigned long iova = SZ_4M - SZ_4K;
	phys_addr_t pa = SZ_1G + SZ_4M - SZ_4K;
	size_t size = SZ_4K + SZ_2M + SZ_4K;

	KUNIT_ASSERT_EQ(test, 0, iommu_map(domain, iova, pa, size, RW,
					   GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, md->nr_leaves[0], 2);
	KUNIT_EXPECT_EQ(test, md->nr_leaves[1], 1);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, SZ_4M + SZ_1M),
			pa + SZ_4K + SZ_1M);
	KUNIT_EXPECT_EQ(test, size, iommu_unmap(domain, iova, size));
	KUNIT_EXPECT_EQ(test, md->nr_leaves[0] + md->nr_leaves[1], 0);

	/* Physical and virtual offsets that differ rule out the 2M page. */
	KUNIT_ASSERT_EQ(test, 0, iommu_map(domain, SZ_4M, SZ_1G + SZ_4K, SZ_2M,
					   RW, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, md->nr_leaves[0], SZ_2M / SZ_4K);
	KUNIT_EXPECT_EQ(test, md->nr_leaves[1], 0);
	KUNIT_EXPECT_EQ(test, SZ_2M, iommu_unmap(domain, SZ_4M, SZ_2M));
}

/*
 * How ranges are cut: the leaves of each size and the driver calls one
 * iommu_map() makes (a call covers a run of equal pages).
 */
struct split_case {
	const char *name;
	unsigned long iova;
	phys_addr_t pa;
	size_t size;
	unsigned long leaves[3];	/* 4K, 2M, 1G */
	unsigned long calls;
};

static const struct split_case split_cases[] = {
	{ "one-4k", SZ_4K, SZ_1G, SZ_4K, { 1, 0, 0 }, 1 },
	{ "one-2m", SZ_2M, SZ_1G, SZ_2M, { 0, 1, 0 }, 1 },
	{ "one-1g", SZ_1G, SZ_1G, SZ_1G, { 0, 0, 1 }, 1 },
	{ "4k-run", SZ_4K, SZ_1G + SZ_4K, 5 * SZ_4K, { 5, 0, 0 }, 1 },
	{ "head-2m-tail", SZ_2M - SZ_64K, SZ_1G + SZ_2M - SZ_64K,
	  SZ_4M + SZ_128K, { 32, 2, 0 }, 3 },
	{ "2m-aligned-iova-only", SZ_2M, SZ_1G + SZ_4K, SZ_4M,
	  { SZ_4M / SZ_4K, 0, 0 }, 1 },
	{ "short-of-a-2m-page", SZ_2M - SZ_4K, SZ_1G + SZ_2M - SZ_4K,
	  SZ_2M, { SZ_2M / SZ_4K, 0, 0 }, 1 },
	{ "2m-pages-up-to-1g", SZ_1G - SZ_4M, SZ_1G - SZ_4M,
	  SZ_4M + SZ_1G + SZ_2M, { 0, 3, 1 }, 3 },
	{ "address-zero", 0, 0, SZ_2M + SZ_4K, { 1, 1, 0 }, 2 },
};

KUNIT_ARRAY_PARAM_DESC(split, split_cases, name);

static void map_cuts_ranges_into_runs(struct kunit *test)
{
	const struct split_case *c = test->param_value;
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 0, 0);
	struct iommu_domain *domain = iommu_mock_paging_domain(test, dev);
	struct iommu_mock_domain *md = to_mock_domain(domain);
	int i;

	KUNIT_ASSERT_EQ(test, 0, iommu_map(domain, c->iova, c->pa, c->size,
					   RW, GFP_KERNEL));
	for (i = 0; i < ARRAY_SIZE(c->leaves); i++)
		KUNIT_EXPECT_EQ_MSG(test, md->nr_leaves[i], c->leaves[i],
				    "level %d", i);
	KUNIT_EXPECT_EQ(test, md->nr_map_calls, c->calls);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain,
						 c->iova + c->size - SZ_4K),
			c->pa + c->size - SZ_4K);
	KUNIT_EXPECT_EQ(test, c->size, iommu_unmap(domain, c->iova, c->size));
	KUNIT_EXPECT_EQ(test, md->nr_unmap_calls, c->calls);
	for (i = 0; i < ARRAY_SIZE(c->leaves); i++)
		KUNIT_EXPECT_EQ(test, md->nr_leaves[i], 0);
}

static void map_rejects_unaligned_arguments(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 0, 0);
	struct iommu_domain *domain = iommu_mock_paging_domain(test, dev);
	struct iommu_mock_domain *md = to_mock_domain(domain);

	KUNIT_EXPECT_EQ(test, -EINVAL, iommu_map(domain, SZ_1M + 1, SZ_1G,
						 SZ_4K, RW, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, -EINVAL, iommu_map(domain, SZ_1M, SZ_1G + 8,
						 SZ_4K, RW, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, -EINVAL, iommu_map(domain, SZ_1M, SZ_1G,
						 SZ_4K + 1, RW, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, md->nr_map_calls, 0);
}

static void map_sg_maps_every_segment(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 0, 0);
	struct iommu_domain *domain = iommu_mock_paging_domain(test, dev);
	struct page *pages[2];
	struct scatterlist sg[2];
	int i;

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
	}
	sg_init_table(sg, 2);
	sg_set_page(&sg[0], pages[0], PAGE_SIZE, 0);
	sg_set_page(&sg[1], pages[1], PAGE_SIZE, 0);

	KUNIT_EXPECT_EQ(test, 2 * PAGE_SIZE,
			iommu_map_sg(domain, SZ_2M, sg, 2, RW, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, SZ_2M),
			page_to_phys(pages[0]));
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, SZ_2M + PAGE_SIZE),
			page_to_phys(pages[1]));
	KUNIT_EXPECT_EQ(test, 2 * PAGE_SIZE,
			iommu_unmap(domain, SZ_2M, 2 * PAGE_SIZE));
	for (i = 0; i < ARRAY_SIZE(pages); i++)
		__free_page(pages[i]);
}

static void remove_device_releases_everything(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *a = iommu_mock_add_device(test, mock, 4, 0);
	struct device *b = iommu_mock_add_device(test, mock, 4, 0);
	struct iommu_group *group = iommu_group_get(a);
	int n = 0;

	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_EXPECT_EQ(test, atomic_read(&mock->nr_devices), 2);

	iommu_mock_remove_device(test, a);
	KUNIT_EXPECT_EQ(test, atomic_read(&mock->nr_devices), 1);
	KUNIT_EXPECT_EQ(test, 0, iommu_group_for_each_dev(group, &n, count_dev));
	KUNIT_EXPECT_EQ(test, n, 1);
	KUNIT_EXPECT_NOT_NULL(test, iommu_get_domain_for_dev(b));

	iommu_mock_remove_device(test, b);
	n = 0;
	KUNIT_EXPECT_EQ(test, 0, iommu_group_for_each_dev(group, &n, count_dev));
	KUNIT_EXPECT_EQ(test, n, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&mock->nr_devices), 0);
	/* The last device took the group's default domain with it. */
	KUNIT_EXPECT_EQ(test, atomic_read(&mock->nr_domains), 0);
	KUNIT_EXPECT_NULL(test, iommu_group_default_domain(group));

	/* Our reference kept the group; dropping it frees the group. */
	KUNIT_EXPECT_PTR_EQ(test, mock->groups[4], group);
	iommu_group_put(group);
	KUNIT_EXPECT_NULL(test, mock->groups[4]);
}

static struct kunit_case iommu_core_cases[] = {
	KUNIT_CASE(probe_puts_device_on_default_domain),
	KUNIT_CASE(device_without_iommu_has_no_group),
	KUNIT_CASE_PARAM(default_domain_type_follows_driver, def_domain_gen_params),
	KUNIT_CASE(devices_share_group_as_driver_says),
	KUNIT_CASE(attach_detach_paging_domain),
	KUNIT_CASE(attach_group_moves_every_device),
	KUNIT_CASE(map_unmap_reach_page_table),
	KUNIT_CASE(map_splits_into_largest_pages),
	KUNIT_CASE_PARAM(map_cuts_ranges_into_runs, split_gen_params),
	KUNIT_CASE(map_rejects_unaligned_arguments),
	KUNIT_CASE(map_sg_maps_every_segment),
	KUNIT_CASE(remove_device_releases_everything),
	{}
};

static struct kunit_suite iommu_core_suite = {
	.name = "iommu-core",
	.test_cases = iommu_core_cases,
};

kunit_test_suite(iommu_core_suite);

MODULE_DESCRIPTION("KUnit characterisation of the IOMMU core");
MODULE_LICENSE("GPL");
