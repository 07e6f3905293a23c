// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the deprecated iommu_domain_alloc(bus): it allocates
 * through the driver of the bus's probed devices, and refuses a bus whose
 * devices belong to two IOMMU drivers (each mock instance has ops of its
 * own, as two drivers do).
 *
 * The harness runs this suite on our core only: the base core warns with
 * a backtrace on the refused case, which the harness counts as a kernel
 * splat, and allocates through ops with no device, which the mock driver
 * does not expect.
 */
#include <kunit/test.h>
#include <linux/iommu.h>

#include "iommu-mock.h"

static void bus_alloc_uses_the_bus_driver(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 1, 0);
	struct iommu_domain *domain = iommu_domain_alloc(dev->bus);

	KUNIT_ASSERT_NOT_NULL(test, domain);
	KUNIT_EXPECT_EQ(test, domain->type, IOMMU_DOMAIN_UNMANAGED);
	KUNIT_EXPECT_PTR_EQ(test, to_mock_domain(domain)->mock, mock);
	iommu_domain_free(domain);
}

static void bus_alloc_refuses_two_drivers(struct kunit *test)
{
	struct iommu_mock *a = iommu_mock_create(test);
	struct iommu_mock *b = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, a, 1, 0);
	int domains_a, domains_b;

	iommu_mock_add_device(test, b, 1, 0);
	domains_a = atomic_read(&a->nr_domains);
	domains_b = atomic_read(&b->nr_domains);
	KUNIT_EXPECT_NULL(test, iommu_domain_alloc(dev->bus));
	KUNIT_EXPECT_EQ(test, atomic_read(&a->nr_domains), domains_a);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->nr_domains), domains_b);
}

static void bus_alloc_without_iommu_devices(struct kunit *test)
{
	/* The mock's devices are on the platform bus; this bus has none. */
	static const struct bus_type empty_bus = { .name = "iommu-kunit-empty" };

	KUNIT_EXPECT_NULL(test, iommu_domain_alloc(&empty_bus));
}

static struct kunit_case iommu_bus_alloc_cases[] = {
	KUNIT_CASE(bus_alloc_uses_the_bus_driver),
	KUNIT_CASE(bus_alloc_refuses_two_drivers),
	KUNIT_CASE(bus_alloc_without_iommu_devices),
	{}
};

static struct kunit_suite iommu_bus_alloc_suite = {
	.name = "iommu-bus-alloc",
	.test_cases = iommu_bus_alloc_cases,
};

kunit_test_suite(iommu_bus_alloc_suite);
