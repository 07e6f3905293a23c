// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the edges of the IOMMU core: what happens when a driver
 * refuses an attach half way through a group, replacing one domain by
 * another, devices leaving while attached, group reference counting and
 * bad map/unmap arguments.
 *
 * The public API only: every case runs on any core.  What our core does
 * otherwise than the base's is iommu-core-changes-test.c's.
 */
#include <kunit/test.h>
#include <linux/iommu.h>

#include "../iommu-priv.h"
#include "iommu-mock.h"

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
};

KUNIT_ARRAY_PARAM_DESC(bad_map, bad_map_cases, name);

static void map_rejects_bad_range(struct kunit *test)
{
	const struct bad_map_case *c = test->param_value;
	struct iommu_mock *mock;
	struct iommu_domain *domain;
	struct iommu_mock_domain *md;
	struct device *dev;

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

static struct kunit_case iommu_core_edge_cases[] = {
	KUNIT_CASE_PARAM(attach_rolls_back_on_refusal, rollback_gen_params),
	KUNIT_CASE(replace_goes_straight_to_new_domain),
	KUNIT_CASE(removal_while_attached_keeps_the_rest),
	KUNIT_CASE(group_lives_as_long_as_its_references),
	KUNIT_CASE_PARAM(map_rejects_bad_range, bad_map_gen_params),
	KUNIT_CASE(unmap_says_how_far_it_got),
	KUNIT_CASE(failed_map_unwinds),
	{}
};

static struct kunit_suite iommu_core_edge_suite = {
	.name = "iommu-core-edges",
	.test_cases = iommu_core_edge_cases,
};

kunit_test_suite(iommu_core_edge_suite);

MODULE_IMPORT_NS(IOMMUFD_INTERNAL);
