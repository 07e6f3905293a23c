// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device probe and release, from the bus hooks and from the registration
 * of an IOMMU instance.
 *
 * An IOMMU driver registers each hardware instance; the core then offers
 * every device on the buses it watches to the instance's ops.  Probing a
 * device reads top-down: the instance and its ops (instance.c), the
 * driver's probe_device() and device_group() (dev->iommu and a group),
 * membership of the group (group.c), the group's default domain
 * (default-domain.c) or its current one (attach.c).  Release undoes the
 * same steps in reverse.
 *
 * When an instance registers, its devices are probed as one batch: groups
 * first collect all their members and only then get a default domain, so
 * the domain type and the firmware's direct mappings account for every
 * device of the group.  A device that turns up later (hotplug, deferred
 * firmware probe) joins its group's current domain at once.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/amba/bus.h>
#include <linux/cdx/cdx_bus.h>
#include <linux/fsl/mc.h>
#include <linux/host1x_context_bus.h>
#include <linux/module.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <trace/events/iommu.h>

#include "../dma-iommu.h"
#include "core.h"

/* Serialises probe and release of devices, and fwspec set-up. */
DEFINE_MUTEX(iommu_probe_device_lock);

/* The buses whose devices may sit behind an IOMMU. */
static const struct bus_type * const iommu_buses[] = {
	&platform_bus_type,
#if IS_ENABLED(CONFIG_PCI)
	&pci_bus_type,
#endif
#if IS_ENABLED(CONFIG_ARM_AMBA)
	&amba_bustype,
#endif
#if IS_ENABLED(CONFIG_FSL_MC_BUS)
	&fsl_mc_bus_type,
#endif
#if IS_ENABLED(CONFIG_TEGRA_HOST1X_CONTEXT_BUS)
	&host1x_context_device_bus_type,
#endif
#if IS_ENABLED(CONFIG_CDX_BUS)
	&cdx_bus_type,
#endif
};

static u32 dev_pasid_limit(struct device *dev)
{
	u32 limit = 0, bits;
	int ret;

	if (dev_is_pci(dev)) {
		ret = pci_max_pasids(to_pci_dev(dev));
		limit = max(ret, 0);
	} else if (!device_property_read_u32(dev, "pasid-num-bits", &bits)) {
		limit = 1U << bits;
	}
	return min(limit, dev->iommu->iommu_dev->max_pasids);
}

/*
 * Hand @dev to the IOMMU driver: probe_device() picks the instance,
 * device_group() the group (a reference the device keeps until release).
 */
static int iommu_driver_probe(struct device *dev, const struct iommu_ops *ops)
{
	struct iommu_group *group;
	struct iommu_device *iommu;
	int ret;

	if (!try_module_get(ops->owner))
		return -EINVAL;
	if (!dev_iommu_get(dev)) {
		ret = -ENOMEM;
		goto err_put_module;
	}
	iommu = ops->probe_device(dev);
	if (IS_ERR(iommu)) {
		ret = PTR_ERR(iommu);
		goto err_free_param;
	}
	dev->iommu->iommu_dev = iommu;

	ret = iommu_device_link(iommu, dev);
	if (ret)
		goto err_release_device;

	group = ops->device_group(dev);
	if (IS_ERR_OR_NULL(group)) {
		ret = group ? PTR_ERR(group) : -EINVAL;
		WARN_ON_ONCE(!group);
		goto err_unlink;
	}
	dev->iommu_group = group;
	dev->iommu->max_pasids = dev_pasid_limit(dev);
	if (ops->is_attach_deferred)
		dev->iommu->attach_deferred = ops->is_attach_deferred(dev);
	return 0;

err_unlink:
	iommu_device_unlink(iommu, dev);
err_release_device:
	if (ops->release_device)
		ops->release_device(dev);
err_free_param:
	dev->iommu->iommu_dev = NULL;
	dev_iommu_free(dev);
err_put_module:
	module_put(ops->owner);
	return ret;
}

/**
 * __iommu_device_unprobe() - Undo iommu_driver_probe() for a group member
 * @group: the device's group, from which it was already removed
 * @dev: the device
 *
 * The group reference the device held is left to the caller to drop, after
 * it has unlocked the group.
 *
 * Context: group->mutex held.
 */
static void __iommu_device_unprobe(struct iommu_group *group,
				   struct device *dev)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);

	lockdep_assert_held(&group->mutex);
	iommu_device_unlink(dev->iommu->iommu_dev, dev);

	/*
	 * The driver must stop using the group's domains for @dev here: put
	 * it on the driver's release domain first if it has one, else its
	 * release_device() does that.  A device whose first attach was
	 * deferred never touched the hardware, so nothing to undo there.
	 */
	if (ops->release_domain && !dev->iommu->attach_deferred)
		ops->release_domain->ops->attach_dev(ops->release_domain, dev);
	if (ops->release_device)
		ops->release_device(dev);

	/* The last device's driver is about to go: free its domains now. */
	if (!group->nr_devices)
		__iommu_group_free_domains(group);

#if IS_ENABLED(CONFIG_IOMMU_DMA)
	dev->dma_iommu = false;
#endif
	dev_iommu_free(dev);
	module_put(ops->owner);
	dev->iommu_group = NULL;
}

/* The driver's last word on a device, once its group has a domain. */
static void iommu_dev_probe_finalize(struct device *dev)
{
	void (*finalize)(struct device *dev) = dev_iommu_ops(dev)->probe_finalize;

	if (finalize)
		finalize(dev);
}

/*
 * Put a freshly probed @dev into its group.  With @batch, a group that has
 * no domain yet is queued there for bus_iommu_probe() to finish.  On
 * failure the device is unprobed again.
 */
static int iommu_group_join(struct iommu_group *group, struct device *dev,
			    struct list_head *batch)
{
	struct group_device *gdev;
	int ret = 0;

	mutex_lock(&group->mutex);
	if (group->nr_devices && __iommu_group_ops(group) != dev_iommu_ops(dev)) {
		dev_err(dev, "IOMMU driver put devices of other IOMMU drivers in group %d\n",
			group->id);
		ret = -EINVAL;
		goto err_unprobe;
	}
	gdev = __iommu_group_add_member(group, dev);
	if (IS_ERR(gdev)) {
		ret = PTR_ERR(gdev);
		goto err_unprobe;
	}

	if (group->domain)
		ret = __iommu_attach_new_member(group, dev);
	else if (!batch)
		ret = __iommu_group_setup_default_domain(group, 0);
	else if (list_empty(&group->probe_entry))
		list_add_tail(&group->probe_entry, batch);
	if (ret)
		goto err_del_member;

	if (group->default_domain)
		iommu_setup_dma_ops(dev);
	mutex_unlock(&group->mutex);
	return 0;

err_del_member:
	__iommu_group_del_member(group, gdev);
err_unprobe:
	__iommu_device_unprobe(group, dev);
	mutex_unlock(&group->mutex);
	return ret;
}

static int __iommu_probe_device(struct device *dev, struct list_head *batch)
{
	const struct iommu_ops *ops;
	struct iommu_group *group;
	int ret;

	lockdep_assert_held(&iommu_probe_device_lock);

	ops = iommu_instance_ops(dev);
	if (!ops)
		return -ENODEV;
	if (dev->iommu_group)
		return 0;

	ret = iommu_driver_probe(dev, ops);
	if (ret)
		return ret;

	group = dev->iommu_group;
	ret = iommu_group_join(group, dev, batch);
	if (ret)
		iommu_group_put(group);	/* the device's, from device_group() */
	return ret;
}

/**
 * iommu_probe_device() - Probe a device that appeared after its IOMMU
 * @dev: the device
 *
 * Called from the bus notifier and by firmware glue (OF, ACPI) that
 * configures a device's fwspec after it was added.
 *
 * Context: Process context. Takes iommu_probe_device_lock and the group's
 * mutex.
 * Return: 0 if the device is (now) probed, -ENODEV if no IOMMU handles it,
 * another errno if probing failed.
 */
int iommu_probe_device(struct device *dev)
{
	int ret;

	scoped_guard(mutex, &iommu_probe_device_lock)
		ret = __iommu_probe_device(dev, NULL);
	if (!ret)
		iommu_dev_probe_finalize(dev);
	return ret;
}

/* Undo probe: the device leaves its group and its driver lets go of it. */
static void iommu_release_device(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	if (group) {
		scoped_guard(mutex, &group->mutex) {
			if (__iommu_group_remove_member(group, dev) &&
			    dev_has_iommu(dev))
				__iommu_device_unprobe(group, dev);
			dev->iommu_group = NULL;
		}
		iommu_group_put(group);	/* the device's, from device_group() */
	}
	/* A fwspec may be left over without any driver having probed. */
	if (dev->iommu)
		dev_iommu_free(dev);
}

static int iommu_bus_notifier(struct notifier_block *nb,
			      unsigned long action, void *data)
{
	struct device *dev = data;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		return iommu_probe_device(dev) ? NOTIFY_DONE : NOTIFY_OK;
	case BUS_NOTIFY_REMOVED_DEVICE:
		iommu_release_device(dev);
		return NOTIFY_OK;
	}
	return NOTIFY_DONE;
}

static int iommu_probe_batch_one(struct device *dev, void *batch)
{
	int ret;

	scoped_guard(mutex, &iommu_probe_device_lock)
		ret = __iommu_probe_device(dev, batch);
	return ret == -ENODEV ? 0 : ret;
}

/* Give every queued group its default domain, then finalize its devices. */
static int iommu_probe_batch_finish(struct list_head *batch)
{
	struct iommu_group *group, *next;
	struct group_device *gdev;
	int ret = 0, err;

	list_for_each_entry_safe(group, next, batch, probe_entry) {
		scoped_guard(mutex, &group->mutex) {
			list_del_init(&group->probe_entry);
			err = __iommu_group_setup_default_domain(group, 0);
			if (!err)
				for_each_group_device(group, gdev)
					iommu_setup_dma_ops(gdev->dev);
		}
		if (err) {
			ret = ret ?: err;
			continue;
		}
		/*
		 * Outside the mutex: some drivers' probe_finalize() attaches
		 * a domain through the public API.  Members can only leave
		 * through release, which the driver core does not run while
		 * it is still adding devices to this bus.
		 */
		list_for_each_entry(gdev, &group->devices, list)
			iommu_dev_probe_finalize(gdev->dev);
	}
	return ret;
}

/**
 * bus_iommu_probe() - Probe every device of a bus behind a new IOMMU
 * @bus: the bus
 *
 * Context: Process context. Takes iommu_probe_device_lock and group mutexes.
 * Return: 0, or the first error of a device probe or default domain set-up;
 * groups whose set-up succeeded are usable either way.
 */
int bus_iommu_probe(const struct bus_type *bus)
{
	LIST_HEAD(batch);
	int ret, err;

	ret = bus_for_each_dev(bus, NULL, &batch, iommu_probe_batch_one);
	/* Groups already queued must not be left pointing at our stack. */
	err = iommu_probe_batch_finish(&batch);
	return ret ?: err;
}

/**
 * iommu_device_register() - Register an IOMMU hardware instance
 * @iommu: the instance
 * @ops: its ops; a modular driver must set ops->owner
 * @hwdev: the instance's device, whose fwnode identifies it (optional)
 *
 * Every device on the IOMMU buses that the instance's ops accept is probed
 * before this returns.
 *
 * Context: Process context.
 * Return: 0 or an errno; on error the instance is not registered.
 */
int iommu_device_register(struct iommu_device *iommu,
			  const struct iommu_ops *ops, struct device *hwdev)
{
	int ret = 0, i;

	/* Without an owner a module's ops could vanish under a device. */
	if (WARN_ON(is_module_address((unsigned long)ops) && !ops->owner))
		return -EINVAL;

	iommu->ops = ops;
	if (hwdev)
		iommu->fwnode = dev_fwnode(hwdev);
	iommu_instance_add(iommu);

	for (i = 0; i < ARRAY_SIZE(iommu_buses) && !ret; i++)
		ret = bus_iommu_probe(iommu_buses[i]);
	if (ret)
		iommu_device_unregister(iommu);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_device_register);

static int iommu_release_if_behind(struct device *dev, void *iommu)
{
	if (dev->iommu && dev->iommu->iommu_dev == iommu)
		iommu_release_device(dev);
	return 0;
}

/**
 * iommu_device_unregister() - Unregister an IOMMU hardware instance
 * @iommu: the instance
 *
 * Every device behind the instance is released first.
 *
 * Context: Process context.
 */
void iommu_device_unregister(struct iommu_device *iommu)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(iommu_buses); i++)
		bus_for_each_dev(iommu_buses[i], NULL, iommu,
				 iommu_release_if_behind);
	iommu_instance_del(iommu);

	/* The reference generic_single_device_group() kept for itself */
	iommu_group_put(iommu->singleton_group);
	iommu->singleton_group = NULL;
}
EXPORT_SYMBOL_GPL(iommu_device_unregister);

#if IS_ENABLED(CONFIG_IOMMUFD_TEST)
/**
 * iommu_device_register_bus() - Register an instance for a private bus
 * @iommu: the instance
 * @ops: its ops
 * @bus: the bus, which the core does not watch by itself
 * @nb: notifier storage for the bus hooks, provided by the caller
 *
 * For the iommufd selftest's mock driver only.  The bus's devices are
 * probed with this instance's ops.
 *
 * Context: Process context.
 * Return: 0 or an errno.
 */
int iommu_device_register_bus(struct iommu_device *iommu,
			      const struct iommu_ops *ops, const struct bus_type *bus,
			      struct notifier_block *nb)
{
	int ret;

	iommu->ops = ops;
	nb->notifier_call = iommu_bus_notifier;
	ret = bus_register_notifier(bus, nb);
	if (ret)
		return ret;
	ret = iommu_instance_add_private_bus(iommu, bus);
	if (ret)
		goto err_unregister_notifier;
	ret = bus_iommu_probe(bus);
	if (ret)
		iommu_device_unregister_bus(iommu, bus, nb);
	return ret;

err_unregister_notifier:
	bus_unregister_notifier(bus, nb);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_device_register_bus);

/**
 * iommu_device_unregister_bus() - Undo iommu_device_register_bus()
 * @iommu: the instance
 * @bus: its bus
 * @nb: the notifier passed at registration
 *
 * Context: Process context.
 */
void iommu_device_unregister_bus(struct iommu_device *iommu,
				 const struct bus_type *bus, struct notifier_block *nb)
{
	bus_unregister_notifier(bus, nb);
	iommu_device_unregister(iommu);
	iommu_instance_del_private_bus(iommu, bus);
}
EXPORT_SYMBOL_GPL(iommu_device_unregister_bus);
#endif

/**
 * iommu_present() - Whether any IOMMU is registered, for a known bus
 * @bus: the bus
 *
 * Do not use: it says nothing about any particular device.  Use
 * device_iommu_mapped() instead.
 *
 * Context: Any context.
 * Return: true if @bus is one the core watches and an IOMMU is registered.
 */
bool iommu_present(const struct bus_type *bus)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(iommu_buses); i++)
		if (iommu_buses[i] == bus)
			return iommu_instances_registered();
	return false;
}
EXPORT_SYMBOL_GPL(iommu_present);

static int __init iommu_bus_hooks_init(void)
{
	static struct notifier_block nbs[ARRAY_SIZE(iommu_buses)];
	int i;

	for (i = 0; i < ARRAY_SIZE(iommu_buses); i++) {
		nbs[i].notifier_call = iommu_bus_notifier;
		bus_register_notifier(iommu_buses[i], &nbs[i]);
	}
	return 0;
}
subsys_initcall(iommu_bus_hooks_init);
