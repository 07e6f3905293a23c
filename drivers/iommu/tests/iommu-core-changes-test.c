// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for what our IOMMU core does otherwise than the base's (the
 * cover letter lists each change): a replace with another driver's domain
 * is refused before any driver sees it, an empty or wrapping range is
 * refused before anything is mapped, and the sysfs "type" of a group is
 * written through the core's test seam (iommu-group-state.h).
 *
 * The base's core fails these by design, so the harness does not run this
 * module there (harness/check.sh, kunit_filter); nothing here asks which
 * core it runs on.
 */
#include <kunit/test.h>
#include <linux/iommu.h>

#include "../iommu-group-state.h"
#include "../iommu-priv.h"
#include "iommu-mock.h"

#define RW	(IOMMU_READ | IOMMU_WRITE)

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

struct bad_range_case {
	const char *name;
	unsigned long iova;
	size_t size;
};

static const struct bad_range_case bad_range_cases[] = {
	{ "zero-size", SZ_1M, 0 },
	{ "wraps-around", ULONG_MAX - SZ_4K + 1, SZ_8K },
};

KUNIT_ARRAY_PARAM_DESC(bad_range, bad_range_cases, name);

/* The base's core maps nothing for 0 and BUG()s on a wrapping range. */
static void map_refuses_empty_and_wrapping(struct kunit *test)
{
	const struct bad_range_case *c = test->param_value;
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 0, 0);
	struct iommu_domain *domain = iommu_mock_paging_domain(test, dev);
	struct iommu_mock_domain *md = to_mock_domain(domain);

	KUNIT_EXPECT_EQ(test, -EINVAL, iommu_map(domain, c->iova, SZ_1G, c->size,
						 RW, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, md->nr_map_calls, 0);
	KUNIT_EXPECT_EQ(test, 0, iommu_unmap(domain, c->iova, c->size));
	KUNIT_EXPECT_EQ(test, md->nr_unmap_calls, 0);
}

struct type_case {
	const char *name;
	const char *write;	/* written to sysfs "type" */
	bool dma_api_user;	/* a driver uses the DMA API meanwhile */
	int want_ret;		/* 0: the write returns its length */
	unsigned int want_type;	/* 0: what a new group gets */
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
	const struct type_case *c = test->param_value;
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 8, 0);
	struct device *fresh = iommu_mock_add_device(test, mock, 9, 0);
	struct iommu_group *group = dev->iommu_group;
	unsigned int type, want;
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
	/* "auto": the policy's type, as a group probed now gets it. */
	want = c->want_type ?: iommu_get_domain_for_dev(fresh)->type;
	KUNIT_EXPECT_EQ(test, type, want);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(dev),
			    iommu_group_default_domain(group));
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(dev)->attached,
			    iommu_group_default_domain(group));
}

static struct kunit_case iommu_core_changes_cases[] = {
	KUNIT_CASE(replace_refuses_other_drivers_domain),
	KUNIT_CASE_PARAM(map_refuses_empty_and_wrapping, bad_range_gen_params),
	KUNIT_CASE_PARAM(sysfs_type_change, type_gen_params),
	{}
};

static struct kunit_suite iommu_core_changes_suite = {
	.name = "iommu-core-changes",
	.test_cases = iommu_core_changes_cases,
};

kunit_test_suite(iommu_core_changes_suite);

MODULE_DESCRIPTION("KUnit cases for what the IOMMU core changes from the base's");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
