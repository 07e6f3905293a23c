// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry of IOMMU instances, and the instance a device belongs to.
 *
 * A registered instance is found by the firmware node that describes it
 * (DT, IORT, VIOT), or by the NULL node for the ACPI DMAR/IVRS drivers,
 * which register without one.  A private bus (the iommufd selftest's mock)
 * is served by the instance registered for it, whatever else is up.  This
 * file only keeps the list: registering an instance and probing its
 * devices is probe.c's.
 */
#include <linux/slab.h>

#include "core.h"

static LIST_HEAD(iommu_device_list);
static DEFINE_SPINLOCK(iommu_device_lock);

#if IS_ENABLED(CONFIG_IOMMUFD_TEST)
/*
 * An instance registered for a private bus serves that bus's devices,
 * whatever other instances without a fwnode (DMAR, IVRS) are up: the
 * NULL-fwnode match would hand the devices to the first of those.
 */
struct iommu_private_bus {
	struct list_head node;
	const struct bus_type *bus;
	struct iommu_device *iommu;
};

/* Protected by iommu_device_lock */
static LIST_HEAD(iommu_private_buses);

static const struct iommu_ops *iommu_private_bus_ops(const struct bus_type *bus)
{
	struct iommu_private_bus *pb;

	scoped_guard(spinlock, &iommu_device_lock)
		list_for_each_entry(pb, &iommu_private_buses, node)
			if (pb->bus == bus)
				return pb->iommu->ops;
	return NULL;
}

/**
 * iommu_instance_add_private_bus() - List an instance for a private bus
 * @iommu: the instance, with its ops set
 * @bus: the bus it serves
 *
 * The instance and its bus are listed at once, so that no lookup finds
 * one without the other.
 *
 * Context: Process context.
 * Return: 0 or -ENOMEM.
 */
int iommu_instance_add_private_bus(struct iommu_device *iommu,
				   const struct bus_type *bus)
{
	struct iommu_private_bus *pb;

	pb = kzalloc(sizeof(*pb), GFP_KERNEL);
	if (!pb)
		return -ENOMEM;
	pb->bus = bus;
	pb->iommu = iommu;
	scoped_guard(spinlock, &iommu_device_lock) {
		list_add_tail(&iommu->list, &iommu_device_list);
		list_add_tail(&pb->node, &iommu_private_buses);
	}
	return 0;
}

/**
 * iommu_instance_del_private_bus() - Forget the bus a private instance served
 * @iommu: the instance, which iommu_instance_del() took off the list
 * @bus: its bus
 *
 * Context: Process context.
 */
void iommu_instance_del_private_bus(struct iommu_device *iommu,
				    const struct bus_type *bus)
{
	struct iommu_private_bus *pb, *found = NULL;

	scoped_guard(spinlock, &iommu_device_lock) {
		list_for_each_entry(pb, &iommu_private_buses, node) {
			if (pb->iommu == iommu && pb->bus == bus) {
				list_del(&pb->node);
				found = pb;
				break;
			}
		}
	}
	kfree(found);
}
#else
static const struct iommu_ops *iommu_private_bus_ops(const struct bus_type *bus)
{
	return NULL;
}
#endif

/**
 * iommu_instance_add() - List a registered instance
 * @iommu: the instance, with its ops and fwnode set
 *
 * Context: Process context.
 */
void iommu_instance_add(struct iommu_device *iommu)
{
	scoped_guard(spinlock, &iommu_device_lock)
		list_add_tail(&iommu->list, &iommu_device_list);
}

/**
 * iommu_instance_del() - Take an instance off the list
 * @iommu: the instance, listed by iommu_instance_add() or
 *	iommu_instance_add_private_bus()
 *
 * Context: Process context.
 */
void iommu_instance_del(struct iommu_device *iommu)
{
	scoped_guard(spinlock, &iommu_device_lock)
		list_del(&iommu->list);
}

/**
 * iommu_instances_registered() - Whether any instance is registered
 *
 * Context: Any context; takes iommu_device_lock.
 * Return: true if the list is not empty.
 */
bool iommu_instances_registered(void)
{
	bool registered;

	scoped_guard(spinlock, &iommu_device_lock)
		registered = !list_empty(&iommu_device_list);
	return registered;
}

/**
 * iommu_ops_from_fwnode() - Find the ops of the IOMMU a fwnode describes
 * @fwnode: firmware node of an IOMMU instance; NULL matches an instance
 *	registered without one (the ACPI DMAR/IVRS drivers)
 *
 * Context: Any context; takes iommu_device_lock.
 * Return: the instance's ops, or NULL if no such instance is registered.
 */
const struct iommu_ops *iommu_ops_from_fwnode(const struct fwnode_handle *fwnode)
{
	struct iommu_device *iommu;

	scoped_guard(spinlock, &iommu_device_lock)
		list_for_each_entry(iommu, &iommu_device_list, list)
			if (iommu->fwnode == fwnode)
				return iommu->ops;
	return NULL;
}

/**
 * iommu_instance_ops() - The ops of the instance a device sits behind
 * @dev: a device about to be probed
 *
 * Firmware-described instances (DT, IORT, VIOT) are found through the
 * device's fwspec; the ACPI DMAR/IVRS drivers register without a fwnode
 * and a device without a fwspec finds them by the NULL match.
 *
 * Context: Process context, iommu_probe_device_lock held.
 * Return: the ops, or NULL if no registered instance handles @dev.
 */
const struct iommu_ops *iommu_instance_ops(struct device *dev)
{
	lockdep_assert_held(&iommu_probe_device_lock);
	return iommu_private_bus_ops(dev->bus) ?:
	       iommu_fwspec_ops(dev_iommu_fwspec_get(dev));
}
