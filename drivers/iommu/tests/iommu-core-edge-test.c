// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the edges of the IOMMU core: what happens when a driver
 * refuses an attach half way through a group, replacing one domain by
 * another, devices leaving while attached, group reference counting, bad
 * map/unmap arguments, and changing the default domain type through sysfs.
 *
 * Most cases use the public API only and run on any core.  The ones that
 * need our core's private header (to reach a group's sysfs attribute from
 * KUnit) or its stricter argument checks skip, saying so, when built
 * against another core.
 */
#include <kunit/test.h>
#include <linux/iommu.h>

#include "../iommu-priv.h"
#include "iommu-mock.h"

#ifdef CONFIG_IOMMU_GROUP_CORE
#include "../core/core.h"
#define HAVE_OUR_CORE 1
#else
#define HAVE_OUR_CORE 0
#endif

#define RW	(IOMMU_READ | IOMMU_WRITE)

struct rollback_case {
	const char *name;
	unsigned int failing;	/* index of the device whose attach fails */
};

static const struct rollback_case rollback_cases[] = {
	{ "first-device-fails", 0 },
	{ "second-device-fails", 1 },
};

KUNIT_ARRAY_PARAM_DESC(rollback, rollback_cases, name);

/* A refused attach leaves every member, and the group, where they were. */
static void attach_rolls_back_on_refusal(struct kunit *test)
{
	const struct rollback_case *c = test->param_value;
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *devs[2];
	struct iommu_domain *def, *domain;
	struct iommu_group *group;
	int i;

	for (i = 0; i < ARRAY_SIZE(devs); i++)
		devs[i] = iommu_mock_add_device(test, mock, 5, 0);
	group = devs[0]->iommu_group;
	def = iommu_get_domain_for_dev(devs[0]);
	domain = iommu_mock_paging_domain(test, devs[0]);

	iommu_mock_dev(devs[c->failing])->fail_attach = -EIO;
	KUNIT_EXPECT_EQ(test, -EIO, iommu_attach_group(domain, group));
	for (i = 0; i < ARRAY_SIZE(devs); i++) {
		KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(devs[i])->attached, def);
		KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(devs[i]), def);
	}
	/* The failure left nothing behind: the next attempt works. */
	KUNIT_EXPECT_EQ(test, 0, iommu_attach_group(domain, group));
	iommu_detach_group(domain, group);
}

static void replace_goes_straight_to_new_domain(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *a = iommu_mock_add_device(test, mock, 6, 0);
	struct device *b = iommu_mock_add_device(test, mock, 6, 0);
	struct iommu_group *group = a->iommu_group;
	struct iommu_domain *d1 = iommu_mock_paging_domain(test, a);
	struct iommu_domain *d2 = iommu_mock_paging_domain(test, a);

	KUNIT_ASSERT_EQ(test, 0, iommu_attach_group(d1, group));
	KUNIT_ASSERT_EQ(test, 0, iommu_group_replace_domain(group, d2));
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(a), d2);
	/* No stop on a core domain on the way. */
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(a)->prev_attached, d1);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(b)->prev_attached, d1);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(b)->attached, d2);

	/* A refused replace keeps the group on d2, a back on it too. */
	iommu_mock_dev(b)->fail_attach = -ENOSPC;
	KUNIT_EXPECT_EQ(test, -ENOSPC, iommu_group_replace_domain(group, d1));
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(a), d2);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(a)->attached, d2);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(b)->attached, d2);
	KUNIT_EXPECT_EQ(test, -EINVAL, iommu_group_replace_domain(group, NULL));

	iommu_detach_group(d2, group);
}

/*
 * A caller holding domains of several IOMMU drivers (iommufd) may ask to
 * replace with the wrong one: refused before any driver sees it.
 */
static void replace_refuses_other_drivers_domain(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct iommu_mock *other = iommu_mock_create(test);
	struct device *a = iommu_mock_add_device(test, mock, 10, 0);
	struct device *o = iommu_mock_add_device(test, other, 11, 0);
	struct iommu_group *group = a->iommu_group;
	struct iommu_domain *d1 = iommu_mock_paging_domain(test, a);
	struct iommu_domain *foreign = iommu_mock_paging_domain(test, o);
	struct iommu_domain *def = iommu_get_domain_for_dev(a);

	if (!HAVE_OUR_CORE)
		kunit_skip(test, "the base's core hands replace's domain to any driver");
	KUNIT_ASSERT_EQ(test, 0, iommu_attach_group(d1, group));
	KUNIT_EXPECT_EQ(test, -EINVAL, iommu_group_replace_domain(group, foreign));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			iommu_replace_group_handle(group, foreign, NULL));
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(a), d1);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(a)->attached, d1);
	/* Its driver was not asked: the last attach it saw is d1's. */
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(a)->prev_attached, def);
	iommu_detach_group(d1, group);
}

static void removal_while_attached_keeps_the_rest(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *a = iommu_mock_add_device(test, mock, 7, 0);
	struct device *b = iommu_mock_add_device(test, mock, 7, 0);
	struct iommu_group *group = iommu_group_get(a);
	struct iommu_domain *def = iommu_get_domain_for_dev(a);
	struct iommu_domain *domain = iommu_mock_paging_domain(test, a);

	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_ASSERT_EQ(test, 0, iommu_attach_group(domain, group));
	iommu_mock_remove_device(test, a);
	KUNIT_EXPECT_EQ(test, atomic_read(&mock->nr_devices), 1);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(b), domain);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(b)->attached, domain);

	iommu_detach_group(domain, group);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(b)->attached, def);
	iommu_group_put(group);
}

static void note_release(void *data)
{
	*(bool *)data = true;
}

static void group_lives_as_long_as_its_references(struct kunit *test)
{
	struct iommu_group *group = iommu_group_alloc();
	bool released = false;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	iommu_group_set_iommudata(group, &released, note_release);
	KUNIT_EXPECT_PTR_EQ(test, iommu_group_get_iommudata(group),
			    (void *)&released);
	KUNIT_EXPECT_PTR_EQ(test, iommu_group_ref_get(group), group);
	iommu_group_put(group);
	KUNIT_EXPECT_FALSE(test, released);
	iommu_group_put(group);
	KUNIT_EXPECT_TRUE(test, released);
	/* NULL is a valid no-op, as for kfree(). */
	iommu_group_put(NULL);
}

struct bad_map_case {
	const char *name;
	unsigned long iova;
	phys_addr_t pa;
	size_t size;
};

static const struct bad_map_case bad_map_cases[] = {
	{ "unaligned-iova", SZ_1M + 0x200, SZ_1G, SZ_4K },
	{ "unaligned-pa", SZ_1M, SZ_1G + 0x200, SZ_4K },
	{ "unaligned-size", SZ_1M, SZ_1G, SZ_4K + 0x200 },
	{ "zero-size", SZ_1M, SZ_1G, 0 },
	{ "wraps-around", ULONG_MAX - SZ_4K + 1, SZ_1G, SZ_8K },
};

KUNIT_ARRAY_PARAM_DESC(bad_map, bad_map_cases, name);

static void map_rejects_bad_range(struct kunit *test)
{
	const struct bad_map_case *c = test->param_value;
	struct iommu_mock *mock;
	struct iommu_domain *domain;
	struct iommu_mock_domain *md;
	struct device *dev;

	/* The base core maps nothing for 0 and BUG()s on a wrapping range. */
	if (!HAVE_OUR_CORE && (!c->size || c->iova + c->size < c->iova))
		kunit_skip(test, "only our core checks empty and wrapping ranges");

	mock = iommu_mock_create(test);
	dev = iommu_mock_add_device(test, mock, 0, 0);
	domain = iommu_mock_paging_domain(test, dev);
	md = to_mock_domain(domain);
	KUNIT_EXPECT_EQ(test, -EINVAL, iommu_map(domain, c->iova, c->pa, c->size,
						 RW, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, md->nr_map_calls, 0);
	KUNIT_EXPECT_EQ(test, 0, iommu_unmap(domain, c->iova, c->size));
}

static void unmap_says_how_far_it_got(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 0, 0);
	struct iommu_domain *domain = iommu_mock_paging_domain(test, dev);
	struct iommu_mock_domain *md = to_mock_domain(domain);

	/* A hole ends the unmap. */
	KUNIT_ASSERT_EQ(test, 0, iommu_map(domain, SZ_1M, SZ_1G, 3 * SZ_4K, RW,
					   GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, 3 * SZ_4K, iommu_unmap(domain, SZ_1M, 5 * SZ_4K));
	KUNIT_EXPECT_EQ(test, md->nr_leaves[0], 0);

	/* A large page is unmapped whole, even if only its start was asked. */
	KUNIT_ASSERT_EQ(test, 0, iommu_map(domain, SZ_4M, SZ_1G, SZ_2M, RW,
					   GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, md->nr_leaves[1], 1);
	KUNIT_EXPECT_EQ(test, SZ_2M, iommu_unmap(domain, SZ_4M, SZ_4K));
	KUNIT_EXPECT_EQ(test, md->nr_leaves[1], 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, SZ_4M), 0);
}

/* A map that fails half way leaves nothing of the range mapped. */
static void failed_map_unwinds(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 0, 0);
	struct iommu_domain *domain = iommu_mock_paging_domain(test, dev);
	struct iommu_mock_domain *md = to_mock_domain(domain);

	/* The third page is taken: the first two must be undone. */
	KUNIT_ASSERT_EQ(test, 0, iommu_map(domain, SZ_1M + 2 * SZ_4K, SZ_1G,
					   SZ_4K, RW, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, -EEXIST, iommu_map(domain, SZ_1M, SZ_2G,
						 4 * SZ_4K, RW, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, md->nr_leaves[0], 1);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, SZ_1M), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, SZ_1M + 2 * SZ_4K),
			SZ_1G);
}

struct type_case {
	const char *name;
	const char *write;	/* written to sysfs "type" */
	bool dma_api_user;	/* a driver uses the DMA API meanwhile */
	int want_ret;		/* 0: the write returns its length */
	unsigned int want_type;
};

static const struct type_case type_cases[] = {
	{ "identity-unbound", "identity", false, 0, IOMMU_DOMAIN_IDENTITY },
	{ "DMA-unbound", "DMA", false, 0, IOMMU_DOMAIN_DMA },
	{ "identity-while-bound", "identity", true, -EPERM, IOMMU_DOMAIN_DMA },
	{ "DMA-FQ-while-bound", "DMA-FQ", true, 0, IOMMU_DOMAIN_DMA_FQ },
	{ "auto-unbound", "auto", false, 0, 0 },
	{ "nonsense", "paging", false, -EINVAL, IOMMU_DOMAIN_DMA },
};

KUNIT_ARRAY_PARAM_DESC(type, type_cases, name);

static void sysfs_type_change(struct kunit *test)
{
#if HAVE_OUR_CORE
	const struct type_case *c = test->param_value;
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 8, 0);
	struct iommu_group *group = dev->iommu_group;
	unsigned int type;
	ssize_t ret;

	/* Start from a known DMA default domain. */
	KUNIT_ASSERT_EQ(test, 3, iommu_mock_store_group_type(dev, "DMA"));
	KUNIT_ASSERT_EQ(test, IOMMU_DOMAIN_DMA,
			iommu_group_default_domain(group)->type);

	if (c->dma_api_user)
		KUNIT_ASSERT_EQ(test, 0, iommu_device_use_default_domain(dev));
	ret = iommu_mock_store_group_type(dev, c->write);
	if (c->dma_api_user)
		iommu_device_unuse_default_domain(dev);

	KUNIT_EXPECT_EQ(test, ret, c->want_ret ?: (ssize_t)strlen(c->write));
	type = iommu_group_default_domain(group)->type;
	if (c->want_type)
		KUNIT_EXPECT_EQ(test, type, c->want_type);
	else
		KUNIT_EXPECT_TRUE(test, type == iommu_default_domain_type());
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(dev),
			    iommu_group_default_domain(group));
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(dev)->attached,
			    iommu_group_default_domain(group));
#else
	kunit_skip(test, "reaching a group's sysfs attribute needs our core's private header");
#endif
}

static struct kunit_case iommu_core_edge_cases[] = {
	KUNIT_CASE_PARAM(attach_rolls_back_on_refusal, rollback_gen_params),
	KUNIT_CASE(replace_goes_straight_to_new_domain),
	KUNIT_CASE(replace_refuses_other_drivers_domain),
	KUNIT_CASE(removal_while_attached_keeps_the_rest),
	KUNIT_CASE(group_lives_as_long_as_its_references),
	KUNIT_CASE_PARAM(map_rejects_bad_range, bad_map_gen_params),
	KUNIT_CASE(unmap_says_how_far_it_got),
	KUNIT_CASE(failed_map_unwinds),
	KUNIT_CASE_PARAM(sysfs_type_change, type_gen_params),
	{}
};

static struct kunit_suite iommu_core_edge_suite = {
	.name = "iommu-core-edges",
	.test_cases = iommu_core_edge_cases,
};

kunit_test_suite(iommu_core_edge_suite);

MODULE_IMPORT_NS(IOMMUFD_INTERNAL);
