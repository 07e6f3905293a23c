// SPDX-License-Identifier: GPL-2.0-only
/*
 * A device's IOMMU data (dev->iommu), and in it firmware's description of
 * the device's IOMMU: which instance (by fwnode) and which IDs (stream
 * IDs, requester IDs) the device uses on it.
 *
 * Firmware glue (OF, ACPI IORT/VIOT) fills the fwspec before the device
 * is probed, holding iommu_probe_device_lock; the IOMMU driver reads it in
 * probe_device().
 */
#include <linux/property.h>
#include <linux/slab.h>

#include "core.h"

/**
 * dev_iommu_get() - A device's IOMMU data, allocated on first use
 * @dev: the device
 *
 * Context: Process context, iommu_probe_device_lock held.
 * Return: the data, or NULL without memory.
 */
struct dev_iommu *dev_iommu_get(struct device *dev)
{
	lockdep_assert_held(&iommu_probe_device_lock);
	if (!dev->iommu) {
		struct dev_iommu *param = kzalloc(sizeof(*param), GFP_KERNEL);

		if (!param)
			return NULL;
		mutex_init(&param->lock);
		dev->iommu = param;
	}
	return dev->iommu;
}

/**
 * dev_iommu_free() - Free a device's IOMMU data, fwspec included
 * @dev: the device
 *
 * Context: Process context, iommu_probe_device_lock held or the device not
 * yet visible to the core.
 */
void dev_iommu_free(struct device *dev)
{
	if (dev->iommu)
		iommu_fwspec_free_param(dev->iommu);
	kfree(dev->iommu);
	dev->iommu = NULL;
}

/**
 * dev_iommu_priv_set() - Attach IOMMU driver data to a device
 * @dev: the device being probed
 * @priv: the driver's data
 *
 * Context: From the driver's probe_device(), iommu_probe_device_lock held.
 */
void dev_iommu_priv_set(struct device *dev, void *priv)
{
	/* PAMU sets it outside probe; everyone else must hold the lock. */
	if (!IS_ENABLED(CONFIG_FSL_PAMU))
		lockdep_assert_held(&iommu_probe_device_lock);
	dev->iommu->priv = priv;
}
EXPORT_SYMBOL_GPL(dev_iommu_priv_set);

/**
 * iommu_fwspec_free_param() - Free the fwspec held in a device's IOMMU data
 * @param: the device's IOMMU data
 *
 * Context: Process context.
 */
void iommu_fwspec_free_param(struct dev_iommu *param)
{
	struct iommu_fwspec *fwspec = param->fwspec;

	if (!fwspec)
		return;
	fwnode_handle_put(fwspec->iommu_fwnode);
	kfree(fwspec);
	param->fwspec = NULL;
}

/**
 * iommu_fwspec_init() - Say which IOMMU instance a device sits behind
 * @dev: the device
 * @iommu_fwnode: the instance's firmware node
 *
 * Context: Process context, iommu_probe_device_lock held.
 * Return: 0 (also if the same instance was already set); -EPROBE_DEFER if
 * the instance has not registered yet; -EINVAL if another instance's
 * driver was set; -ENOMEM.
 */
int iommu_fwspec_init(struct device *dev, struct fwnode_handle *iommu_fwnode)
{
	const struct iommu_ops *ops = iommu_ops_from_fwnode(iommu_fwnode);
	struct iommu_fwspec *fwspec;

	/* The instance's driver has not registered it yet. */
	if (!ops)
		return -EPROBE_DEFER;
	fwspec = dev_iommu_fwspec_get(dev);
	if (fwspec)
		return iommu_fwspec_ops(fwspec) == ops ? 0 : -EINVAL;

	/* Room for one ID: most devices have exactly one. */
	fwspec = kzalloc(struct_size(fwspec, ids, 1), GFP_KERNEL);
	if (!fwspec || !dev_iommu_get(dev)) {
		kfree(fwspec);
		return -ENOMEM;
	}
	fwspec->iommu_fwnode = fwnode_handle_get(iommu_fwnode);
	dev_iommu_fwspec_set(dev, fwspec);
	return 0;
}
EXPORT_SYMBOL_GPL(iommu_fwspec_init);

/**
 * iommu_fwspec_free() - Drop a device's fwspec
 * @dev: the device
 *
 * Context: Process context.
 */
void iommu_fwspec_free(struct device *dev)
{
	if (dev->iommu)
		iommu_fwspec_free_param(dev->iommu);
}
EXPORT_SYMBOL_GPL(iommu_fwspec_free);

/**
 * iommu_fwspec_add_ids() - Add IDs to a device's fwspec
 * @dev: the device, with a fwspec from iommu_fwspec_init()
 * @ids: the IDs
 * @num_ids: how many
 *
 * Context: Process context.
 * Return: 0, -EINVAL without a fwspec, or -ENOMEM.
 */
int iommu_fwspec_add_ids(struct device *dev, const u32 *ids, int num_ids)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	struct iommu_fwspec *grown;
	unsigned int total;

	if (!fwspec)
		return -EINVAL;
	total = fwspec->num_ids + num_ids;
	if (total > 1) {
		grown = krealloc(fwspec, struct_size(fwspec, ids, total),
				 GFP_KERNEL);
		if (!grown)
			return -ENOMEM;
		fwspec = grown;
		dev_iommu_fwspec_set(dev, fwspec);
	}
	memcpy(&fwspec->ids[fwspec->num_ids], ids, num_ids * sizeof(*ids));
	fwspec->num_ids = total;
	return 0;
}
EXPORT_SYMBOL_GPL(iommu_fwspec_add_ids);
