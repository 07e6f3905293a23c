/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A mock IOMMU driver for KUnit suites of the IOMMU core.
 *
 * Each test creates its own mock IOMMU instance, identified by a software
 * fwnode, and platform devices whose fwspec points at it; the core then
 * probes them through its normal bus notifier path, exactly as it does for
 * devices behind a firmware-described IOMMU.  Only the public IOMMU API is
 * used, so the suites run unchanged on any core implementation.
 *
 * Everything a test creates is torn down through KUnit actions, in reverse
 * order, also when the test fails half way.
 */
#ifndef _IOMMU_TESTS_IOMMU_MOCK_H
#define _IOMMU_TESTS_IOMMU_MOCK_H

#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/xarray.h>

#define IOMMU_MOCK_MAX_GROUPS	16
#define IOMMU_MOCK_PGSIZES	(SZ_4K | SZ_2M | SZ_1G)
#define IOMMU_MOCK_APERTURE_END	(BIT_ULL(48) - 1)

struct iommu_mock {
	struct iommu_device iommu;
	struct iommu_ops ops;
	struct fwnode_handle *fwnode;
	struct list_head node;		/* on iommu_mocks */
	/* Protects groups[]; the groups themselves are refcounted by the core. */
	struct mutex lock;
	struct iommu_group *groups[IOMMU_MOCK_MAX_GROUPS];
	atomic_t nr_domains;
	atomic_t nr_devices;
};

/* Per-device driver state, reached with dev_iommu_priv_get(). */
struct iommu_mock_dev {
	struct iommu_mock *mock;
	struct iommu_mock *group_mock;		/* whose group it joins */
	unsigned int group_id;
	int def_domain_type;
	/* errno returned by the next attach to this device, then cleared */
	int fail_attach;
	struct iommu_domain *attached;
	struct iommu_domain *prev_attached;	/* the one before, to see paths */
	unsigned int nr_attach;
	unsigned int nr_pasids;			/* PASIDs attached now */
};

/* How a mock device looks to the IOMMU driver. */
struct iommu_mock_dev_cfg {
	unsigned int group_id;	/* devices with the same id share a group */
	int def_domain_type;	/* def_domain_type()'s answer, 0: no say */
	unsigned int pasid_bits;	/* "pasid-num-bits" property, 0: none */
	bool refuse_probe;	/* probe_device() says -ENODEV until allowed */
	/*
	 * Join group @group_id of this other mock, a driver of its own,
	 * as a driver that groups devices wrongly would (NULL: our own).
	 */
	struct iommu_mock *group_of;
};

struct iommu_mock_domain {
	struct iommu_domain domain;
	struct iommu_mock *mock;
	/* iova >> PAGE_SHIFT of a leaf -> xa_mk_value(pfn << 2 | size code) */
	struct xarray pt;
	unsigned long nr_map_calls;
	unsigned long nr_unmap_calls;
	unsigned long nr_iotlb_sync;
	unsigned long nr_leaves[3];	/* live leaves of 4K, 2M, 1G */
};

static inline struct iommu_mock_domain *
to_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct iommu_mock_domain, domain);
}

static inline struct iommu_mock_dev *iommu_mock_dev(struct device *dev)
{
	return dev_iommu_priv_get(dev);
}

struct iommu_mock *iommu_mock_create(struct kunit *test);
struct device *iommu_mock_add_device(struct kunit *test,
				     struct iommu_mock *mock,
				     unsigned int group_id,
				     int def_domain_type);
struct platform_device *iommu_mock_new_device(struct iommu_mock *mock,
					      const struct iommu_mock_dev_cfg *cfg);
struct device *iommu_mock_add_device_cfg(struct kunit *test,
					 struct iommu_mock *mock,
					 const struct iommu_mock_dev_cfg *cfg);
void iommu_mock_remove_device(struct kunit *test, struct device *dev);
int iommu_mock_allow_probe(struct iommu_mock *mock, struct device *dev);
ssize_t iommu_mock_store_group_type(struct device *dev, const char *val);
struct iommu_domain *iommu_mock_paging_domain(struct kunit *test,
					      struct device *dev);

#endif /* _IOMMU_TESTS_IOMMU_MOCK_H */
