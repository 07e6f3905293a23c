// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mock IOMMU driver for the KUnit suites of the IOMMU core.
 *
 * The driver is as small as a real one can be while still letting a test
 * see what the core asked of it: which domain each device is attached to,
 * which leaves each map call installed, how often the IOTLB was synced.
 * Its page table is an xarray indexed by IOVA page number whose entries
 * hold the physical frame and the leaf size (4K, 2M or 1G), so a test can
 * check how the core split a mapping into page sizes.
 *
 * Devices are platform devices whose fwspec names the mock's fwnode; their
 * platform data says which mock group they belong to and which default
 * domain type the driver asks for.
 */
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <kunit/resource.h>

#include "../iommu-group-state.h"
#include "iommu-mock.h"

/* All live mocks, so probe_device() can find its instance by fwnode. */
static LIST_HEAD(iommu_mocks);
static DEFINE_MUTEX(iommu_mocks_lock);
static DEFINE_IDA(iommu_mock_ida);

static const unsigned long mock_leaf_sizes[] = { SZ_4K, SZ_2M, SZ_1G };

static void *mock_leaf_entry(phys_addr_t paddr, unsigned int code)
{
	return xa_mk_value((paddr >> PAGE_SHIFT) << 2 | code);
}

/*
 * Find the leaf covering @iova: it starts at @iova aligned down to one of
 * the leaf sizes.  Returns the size code or -ENOENT.
 */
static int mock_pt_lookup(struct iommu_mock_domain *md, unsigned long iova,
			  unsigned long *leaf_iova, phys_addr_t *leaf_paddr)
{
	int code;

	for (code = ARRAY_SIZE(mock_leaf_sizes) - 1; code >= 0; code--) {
		unsigned long base = ALIGN_DOWN(iova, mock_leaf_sizes[code]);
		void *entry = xa_load(&md->pt, base >> PAGE_SHIFT);

		if (!entry || (xa_to_value(entry) & 3) != code)
			continue;
		*leaf_iova = base;
		*leaf_paddr = (phys_addr_t)(xa_to_value(entry) >> 2) << PAGE_SHIFT;
		return code;
	}
	return -ENOENT;
}

static int mock_size_code(size_t pgsize)
{
	int code;

	for (code = 0; code < ARRAY_SIZE(mock_leaf_sizes); code++)
		if (mock_leaf_sizes[code] == pgsize)
			return code;
	return -EINVAL;
}

static bool mock_range_free(struct iommu_mock_domain *md, unsigned long iova,
			    size_t size)
{
	unsigned long index = iova >> PAGE_SHIFT, leaf_iova;
	phys_addr_t leaf_paddr;

	if (mock_pt_lookup(md, iova, &leaf_iova, &leaf_paddr) >= 0)
		return false;
	return !xa_find(&md->pt, &index, (iova + size - 1) >> PAGE_SHIFT,
			XA_PRESENT);
}

static int mock_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	struct iommu_mock_domain *md = to_mock_domain(domain);
	int code = mock_size_code(pgsize);
	int ret;

	if (code < 0)
		return code;
	md->nr_map_calls++;
	for (; pgcount; pgcount--, iova += pgsize, paddr += pgsize) {
		if (!mock_range_free(md, iova, pgsize))
			return -EEXIST;
		ret = xa_err(xa_store(&md->pt, iova >> PAGE_SHIFT,
				      mock_leaf_entry(paddr, code), gfp));
		if (ret)
			return ret;
		md->nr_leaves[code]++;
		*mapped += pgsize;
	}
	return 0;
}

static size_t mock_unmap_pages(struct iommu_domain *domain, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *gather)
{
	struct iommu_mock_domain *md = to_mock_domain(domain);
	size_t unmapped = 0, want = pgsize * pgcount;
	unsigned long leaf_iova;
	phys_addr_t leaf_paddr;
	int code;

	md->nr_unmap_calls++;
	while (unmapped < want) {
		code = mock_pt_lookup(md, iova, &leaf_iova, &leaf_paddr);
		if (code < 0 || leaf_iova != iova)
			break;
		xa_erase(&md->pt, iova >> PAGE_SHIFT);
		md->nr_leaves[code]--;
		iommu_iotlb_gather_add_page(domain, gather, iova,
					    mock_leaf_sizes[code]);
		unmapped += mock_leaf_sizes[code];
		iova += mock_leaf_sizes[code];
	}
	return unmapped;
}

static phys_addr_t mock_iova_to_phys(struct iommu_domain *domain,
				     dma_addr_t iova)
{
	struct iommu_mock_domain *md = to_mock_domain(domain);
	unsigned long leaf_iova;
	phys_addr_t leaf_paddr;

	if (mock_pt_lookup(md, iova, &leaf_iova, &leaf_paddr) < 0)
		return 0;
	return leaf_paddr + (iova - leaf_iova);
}

static void mock_iotlb_sync(struct iommu_domain *domain,
			    struct iommu_iotlb_gather *gather)
{
	to_mock_domain(domain)->nr_iotlb_sync++;
}

static void mock_flush_iotlb_all(struct iommu_domain *domain)
{
	to_mock_domain(domain)->nr_iotlb_sync++;
}

static int mock_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct iommu_mock_dev *mdev = iommu_mock_dev(dev);
	int ret = mdev->fail_attach;

	if (ret) {
		mdev->fail_attach = 0;
		return ret;
	}
	mdev->prev_attached = mdev->attached;
	mdev->attached = domain;
	mdev->nr_attach++;
	return 0;
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct iommu_mock_domain *md = to_mock_domain(domain);

	atomic_dec(&md->mock->nr_domains);
	xa_destroy(&md->pt);
	kfree(md);
}

static int mock_set_dev_pasid(struct iommu_domain *domain, struct device *dev,
			      ioasid_t pasid, struct iommu_domain *old)
{
	iommu_mock_dev(dev)->nr_pasids++;
	return 0;
}

static void mock_remove_dev_pasid(struct device *dev, ioasid_t pasid,
				  struct iommu_domain *domain)
{
	iommu_mock_dev(dev)->nr_pasids--;
}

static const struct iommu_domain_ops mock_paging_ops = {
	.attach_dev = mock_attach_dev,
	.set_dev_pasid = mock_set_dev_pasid,
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.iotlb_sync = mock_iotlb_sync,
	.flush_iotlb_all = mock_flush_iotlb_all,
	.free = mock_domain_free,
};

static const struct iommu_domain_ops mock_static_ops = {
	.attach_dev = mock_attach_dev,
};

static struct iommu_mock *mock_from_dev(struct device *dev)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	struct iommu_mock *mock;

	guard(mutex)(&iommu_mocks_lock);
	list_for_each_entry(mock, &iommu_mocks, node)
		if (fwspec && fwspec->iommu_fwnode == mock->fwnode)
			return mock;
	return NULL;
}

static struct iommu_domain *mock_domain_alloc_paging(struct device *dev)
{
	struct iommu_mock *mock = iommu_mock_dev(dev)->mock;
	struct iommu_mock_domain *md;

	md = kzalloc(sizeof(*md), GFP_KERNEL);
	if (!md)
		return ERR_PTR(-ENOMEM);
	md->mock = mock;
	xa_init(&md->pt);
	md->domain.pgsize_bitmap = IOMMU_MOCK_PGSIZES;
	md->domain.geometry.aperture_start = 0;
	md->domain.geometry.aperture_end = IOMMU_MOCK_APERTURE_END;
	md->domain.geometry.force_aperture = true;
	atomic_inc(&mock->nr_domains);
	return &md->domain;
}

static struct iommu_device *mock_probe_device(struct device *dev)
{
	const struct iommu_mock_dev_cfg *cfg = dev_get_platdata(dev);
	struct iommu_mock *mock = mock_from_dev(dev);
	struct iommu_mock_dev *mdev;

	if (!mock || !cfg || cfg->refuse_probe ||
	    cfg->group_id >= IOMMU_MOCK_MAX_GROUPS)
		return ERR_PTR(-ENODEV);
	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL);
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	mdev->mock = mock;
	mdev->group_mock = cfg->group_of ?: mock;
	mdev->group_id = cfg->group_id;
	mdev->def_domain_type = cfg->def_domain_type;
	dev_iommu_priv_set(dev, mdev);
	atomic_inc(&mock->nr_devices);
	return &mock->iommu;
}

static void mock_release_device(struct device *dev)
{
	struct iommu_mock_dev *mdev = iommu_mock_dev(dev);

	atomic_dec(&mdev->mock->nr_devices);
	kfree(mdev);
}

/* Called when the core frees a group: forget our weak pointer to it. */
static void mock_group_release(void *slot)
{
	guard(mutex)(&iommu_mocks_lock);
	*(struct iommu_group **)slot = NULL;
}

static struct iommu_group *mock_device_group(struct device *dev)
{
	struct iommu_mock_dev *mdev = iommu_mock_dev(dev);
	struct iommu_group **slot = &mdev->group_mock->groups[mdev->group_id];
	struct iommu_group *group;

	guard(mutex)(&iommu_mocks_lock);
	if (*slot)
		return iommu_group_ref_get(*slot);
	group = iommu_group_alloc();
	if (IS_ERR(group))
		return group;
	iommu_group_set_iommudata(group, slot, mock_group_release);
	*slot = group;
	return group;
}

static int mock_def_domain_type(struct device *dev)
{
	return iommu_mock_dev(dev)->def_domain_type;
}

static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	return cap == IOMMU_CAP_CACHE_COHERENCY ||
	       cap == IOMMU_CAP_DEFERRED_FLUSH;
}

static const struct iommu_ops mock_ops_template = {
	.capable = mock_capable,
	.domain_alloc_paging = mock_domain_alloc_paging,
	.probe_device = mock_probe_device,
	.release_device = mock_release_device,
	.device_group = mock_device_group,
	.def_domain_type = mock_def_domain_type,
	.remove_dev_pasid = mock_remove_dev_pasid,
	.default_domain_ops = &mock_paging_ops,
	.pgsize_bitmap = IOMMU_MOCK_PGSIZES,
	.owner = THIS_MODULE,
};

static struct iommu_domain mock_identity_domain = {
	.type = IOMMU_DOMAIN_IDENTITY,
	.ops = &mock_static_ops,
};

static struct iommu_domain mock_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &mock_static_ops,
};

KUNIT_DEFINE_ACTION_WRAPPER(mock_fwnode_remove, fwnode_remove_software_node,
			    struct fwnode_handle *);
KUNIT_DEFINE_ACTION_WRAPPER(mock_sysfs_remove, iommu_device_sysfs_remove,
			    struct iommu_device *);

static void mock_unlist(void *data)
{
	struct iommu_mock *mock = data;

	guard(mutex)(&iommu_mocks_lock);
	list_del_init(&mock->node);
}

KUNIT_DEFINE_ACTION_WRAPPER(mock_iommu_unregister, iommu_device_unregister,
			    struct iommu_device *);

static void mock_ida_free(void *data)
{
	ida_free(&iommu_mock_ida, (int)(uintptr_t)data);
}

/**
 * iommu_mock_create() - Register a mock IOMMU instance for one test
 * @test: the test; the instance is unregistered when it ends
 *
 * Context: Process context. Takes iommu_mocks_lock.
 * Return: the instance; the test fails and aborts if it cannot be made.
 */
struct iommu_mock *iommu_mock_create(struct kunit *test)
{
	struct iommu_mock *mock;
	int id;

	mock = kunit_kzalloc(test, sizeof(*mock), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mock);
	mock->ops = mock_ops_template;
	mock->ops.identity_domain = &mock_identity_domain;
	mock->ops.blocked_domain = &mock_blocked_domain;
	INIT_LIST_HEAD(&mock->node);

	id = ida_alloc(&iommu_mock_ida, GFP_KERNEL);
	KUNIT_ASSERT_GE(test, id, 0);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, mock_ida_free,
							   (void *)(uintptr_t)id));

	mock->iommu.max_pasids = 1U << 20;
	mock->fwnode = fwnode_create_software_node(NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, mock->fwnode);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, mock_fwnode_remove, mock->fwnode));

	KUNIT_ASSERT_EQ(test, 0,
			iommu_device_sysfs_add(&mock->iommu, NULL, NULL, "iommu-mock.%d", id));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, mock_sysfs_remove, &mock->iommu));

	/*
	 * Listed before registering: registration probes every device whose
	 * fwspec names our fwnode, and probe_device() looks the mock up here.
	 */
	scoped_guard(mutex, &iommu_mocks_lock)
		list_add_tail(&mock->node, &iommu_mocks);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, mock_unlist,
							   mock));
	mock->iommu.fwnode = mock->fwnode;
	KUNIT_ASSERT_EQ(test, 0, iommu_device_register(&mock->iommu, &mock->ops,
						       NULL));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, mock_iommu_unregister, &mock->iommu));
	return mock;
}

KUNIT_DEFINE_ACTION_WRAPPER(mock_pdev_unregister, platform_device_unregister,
			    struct platform_device *);

/* What firmware glue (OF, ACPI) does for a device behind the mock. */
static int mock_fwspec_init(struct iommu_mock *mock, struct device *dev,
			    u32 id)
{
	int ret;

	guard(mutex)(&iommu_probe_device_lock);
	ret = iommu_fwspec_init(dev, mock->fwnode);
	if (!ret)
		ret = iommu_fwspec_add_ids(dev, &id, 1);
	return ret;
}

/**
 * iommu_mock_new_device() - Add a device behind a mock IOMMU, no strings
 * @mock: the IOMMU the device sits behind
 * @cfg: the device's group, default domain wish and PASID width
 *
 * For threads other than the test's own, which must not assert: the
 * caller removes the device with platform_device_unregister().
 *
 * Context: Process context. Takes iommu_probe_device_lock.
 * Return: the device, or an ERR_PTR.
 */
struct platform_device *iommu_mock_new_device(struct iommu_mock *mock,
					      const struct iommu_mock_dev_cfg *cfg)
{
	struct property_entry props[] = {
		PROPERTY_ENTRY_U32("pasid-num-bits", cfg->pasid_bits),
		{}
	};
	struct platform_device *pdev;
	int ret;

	pdev = platform_device_alloc("iommu-mock-dev", PLATFORM_DEVID_AUTO);
	if (!pdev)
		return ERR_PTR(-ENOMEM);
	ret = platform_device_add_data(pdev, cfg, sizeof(*cfg));
	if (!ret && cfg->pasid_bits)
		ret = device_create_managed_software_node(&pdev->dev, props, NULL);
	if (!ret)
		ret = mock_fwspec_init(mock, &pdev->dev, cfg->group_id);
	if (!ret)
		ret = platform_device_add(pdev);
	if (ret) {
		platform_device_put(pdev);
		return ERR_PTR(ret);
	}
	return pdev;
}

/**
 * iommu_mock_add_device_cfg() - Add a device behind a mock IOMMU
 * @test: the test; the device is removed when it ends
 * @mock: the IOMMU the device sits behind
 * @cfg: the device's group, default domain wish and PASID width
 *
 * The core probes the device through its bus notifier as the device is
 * added, so on return it is in its group on the group's current domain.
 *
 * Context: Process context. Takes iommu_probe_device_lock.
 * Return: the device; the test fails and aborts if it could not be added.
 */
struct device *iommu_mock_add_device_cfg(struct kunit *test,
					 struct iommu_mock *mock,
					 const struct iommu_mock_dev_cfg *cfg)
{
	struct platform_device *pdev = iommu_mock_new_device(mock, cfg);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pdev);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, mock_pdev_unregister, pdev));
	return &pdev->dev;
}

/**
 * iommu_mock_add_device() - Add a device behind a mock IOMMU
 * @test: the test; the device is removed when it ends
 * @mock: the IOMMU the device sits behind
 * @group_id: devices with the same id share an IOMMU group
 * @def_domain_type: what the driver's def_domain_type() returns (0: no say)
 *
 * Context: Process context. Takes iommu_probe_device_lock.
 * Return: the device; the test fails and aborts if it could not be added.
 */
struct device *iommu_mock_add_device(struct kunit *test,
				     struct iommu_mock *mock,
				     unsigned int group_id,
				     int def_domain_type)
{
	struct iommu_mock_dev_cfg cfg = {
		.group_id = group_id,
		.def_domain_type = def_domain_type,
	};

	return iommu_mock_add_device_cfg(test, mock, &cfg);
}

KUNIT_DEFINE_ACTION_WRAPPER(mock_test_domain_free, iommu_domain_free,
			    struct iommu_domain *);

/**
 * iommu_mock_paging_domain() - A paging domain for a test, freed at its end
 * @test: the test
 * @dev: a device behind the mock; the domain is allocated through its ops
 *
 * Context: Process context.
 * Return: the domain; the test fails and aborts if it cannot be made.
 */
struct iommu_domain *iommu_mock_paging_domain(struct kunit *test,
					      struct device *dev)
{
	struct iommu_domain *domain = iommu_paging_domain_alloc(dev);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, domain);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, mock_test_domain_free, domain));
	return domain;
}

/**
 * iommu_mock_remove_device() - Remove a device before the test ends
 * @test: the test that added it
 * @dev: a device from iommu_mock_add_device()
 *
 * Context: Process context.
 */
void iommu_mock_remove_device(struct kunit *test, struct device *dev)
{
	kunit_release_action(test, mock_pdev_unregister, to_platform_device(dev));
}

/**
 * iommu_mock_allow_probe() - Let a device added with refuse_probe be probed
 * @mock: the IOMMU the device sits behind
 * @dev: a device from iommu_mock_add_device_cfg()
 *
 * A test that wants to call iommu_probe_device() itself adds the device
 * with refuse_probe set, so that the bus notifier's probe fails, and then
 * lets the next probe through.  A failed probe drops the device's fwspec,
 * so it is made again, as firmware glue does before each probe.
 *
 * Context: Process context, the device not being probed concurrently.
 * Takes iommu_probe_device_lock.
 * Return: 0, or the errno of making the fwspec.
 */
int iommu_mock_allow_probe(struct iommu_mock *mock, struct device *dev)
{
	struct iommu_mock_dev_cfg *cfg = dev_get_platdata(dev);

	cfg->refuse_probe = false;
	return mock_fwspec_init(mock, dev, cfg->group_id);
}

/**
 * iommu_mock_store_group_type() - Write a group's sysfs "type" as root would
 * @dev: a device of the group
 * @val: what to write, e.g. "identity" or "DMA"
 *
 * Through the core's test seam: KUnit has no sysfs to write.
 *
 * Context: Process context; takes the group's mutex.
 * Return: the attribute store's return: strlen(@val) or a negative errno;
 * -EOPNOTSUPP from a core without the seam.
 */
ssize_t iommu_mock_store_group_type(struct device *dev, const char *val)
{
	return iommu_group_store_type(dev->iommu_group, val, strlen(val));
}
