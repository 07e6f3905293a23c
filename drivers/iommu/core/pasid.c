// SPDX-License-Identifier: GPL-2.0-only
/*
 * PASID attachment and attach handles.
 *
 * A domain attached to a PASID applies to every member of the group that
 * can issue PASID-tagged DMA (max_pasids > 0); members without PASID
 * support are left alone.  group->pasid_array records what is attached at
 * each PASID, as an attach handle the caller may embed in its own object
 * (iommufd, SVA) to find its context from a fault.  IOMMU_NO_PASID holds
 * the handle of a whole-group attach made through the handle API.
 *
 * Writers of pasid_array hold the group mutex; iommu_attach_handle_get()
 * reads under the xarray lock, from fault paths that cannot sleep on the
 * mutex.  A PASID attachment also keeps the group out of any change of
 * DMA ownership (owner.c).
 */
#include <linux/ioasid.h>

#include "core.h"

static bool dev_has_pasid(struct device *dev)
{
	return dev->iommu->max_pasids > 0;
}

/* Undo set_dev_pasid() on the members before @stop (all if NULL). */
static void __iommu_group_remove_pasid(struct iommu_group *group,
				       ioasid_t pasid,
				       struct iommu_domain *domain,
				       struct group_device *stop)
{
	struct group_device *gdev;

	lockdep_assert_held(&group->mutex);
	for_each_group_device(group, gdev) {
		if (gdev == stop)
			break;
		if (dev_has_pasid(gdev->dev))
			dev_iommu_ops(gdev->dev)->remove_dev_pasid(gdev->dev,
								   pasid, domain);
	}
}

static int __iommu_group_set_pasid(struct iommu_group *group, ioasid_t pasid,
				   struct iommu_domain *domain)
{
	struct group_device *gdev;
	int ret;

	lockdep_assert_held(&group->mutex);
	for_each_group_device(group, gdev) {
		if (!dev_has_pasid(gdev->dev))
			continue;
		ret = domain->ops->set_dev_pasid(domain, gdev->dev, pasid, NULL);
		if (ret) {
			__iommu_group_remove_pasid(group, pasid, domain, gdev);
			return ret;
		}
	}
	return 0;
}

/* Every PASID-capable member can use @pasid. */
static bool __iommu_group_pasid_in_range(struct iommu_group *group,
					 ioasid_t pasid)
{
	struct group_device *gdev;

	lockdep_assert_held(&group->mutex);
	for_each_group_device(group, gdev)
		if (dev_has_pasid(gdev->dev) &&
		    pasid >= gdev->dev->iommu->max_pasids)
			return false;
	return true;
}

/**
 * iommu_attach_device_pasid() - Attach a domain to a PASID of a device
 * @domain: the domain
 * @dev: the device; the whole group's PASID-capable members are attached
 * @pasid: the PASID, not IOMMU_NO_PASID
 * @handle: recorded for iommu_attach_handle_get(), or NULL
 *
 * Context: Process context. Takes the group's mutex.
 * Return: 0; -EOPNOTSUPP if the domain cannot attach to PASIDs; -ENODEV if
 * @dev is in no group; -EINVAL for a PASID out of range or a domain of
 * another driver; -EBUSY if the PASID is in use; or the driver's errno.
 */
int iommu_attach_device_pasid(struct iommu_domain *domain,
			      struct device *dev, ioasid_t pasid,
			      struct iommu_attach_handle *handle)
{
	struct iommu_group *group = dev->iommu_group;
	int ret;

	if (!group)
		return -ENODEV;
	if (!domain->ops->set_dev_pasid)
		return -EOPNOTSUPP;
	if (pasid == IOMMU_NO_PASID || !dev_has_iommu(dev) ||
	    dev_iommu_ops(dev) != domain->owner)
		return -EINVAL;

	guard(mutex)(&group->mutex);
	if (!__iommu_group_pasid_in_range(group, pasid))
		return -EINVAL;
	if (handle)
		handle->domain = domain;
	ret = xa_insert(&group->pasid_array, pasid, handle, GFP_KERNEL);
	if (ret)
		return ret;
	ret = __iommu_group_set_pasid(group, pasid, domain);
	if (ret)
		xa_erase(&group->pasid_array, pasid);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_attach_device_pasid);

/**
 * iommu_detach_device_pasid() - Undo iommu_attach_device_pasid()
 * @domain: the domain attached at @pasid
 * @dev: the device
 * @pasid: the PASID
 *
 * Context: Process context. Takes the group's mutex.
 */
void iommu_detach_device_pasid(struct iommu_domain *domain, struct device *dev,
			       ioasid_t pasid)
{
	struct iommu_group *group = dev->iommu_group;

	guard(mutex)(&group->mutex);
	__iommu_group_remove_pasid(group, pasid, domain, NULL);
	xa_erase(&group->pasid_array, pasid);
}
EXPORT_SYMBOL_GPL(iommu_detach_device_pasid);

/**
 * iommu_alloc_global_pasid() - Allocate a PASID unique in the system
 * @dev: the device that will use it, which bounds the range
 *
 * The PASID comes from the ioasid system set, so it is unique among all
 * the system's PASIDs; a paravirtual IOMMU's allocator, if registered,
 * picks it.
 *
 * Context: Process context.
 * Return: the PASID, or IOMMU_PASID_INVALID if @dev has no PASID support
 * or none is free.
 */
ioasid_t iommu_alloc_global_pasid(struct device *dev)
{
	u32 limit = dev->iommu->max_pasids;
	int id;

	/* 0: no PASID support; else PASIDs run up to limit - 1 inclusive. */
	if (!limit)
		return IOMMU_PASID_INVALID;
	id = ioasid_alloc(&ioasid_system_set, IOMMU_FIRST_GLOBAL_PASID,
			  min(limit - 1, IOASID_MAX), NULL);
	if (id < 0)
		return IOMMU_PASID_INVALID;
	return id;
}
EXPORT_SYMBOL_GPL(iommu_alloc_global_pasid);

/**
 * iommu_free_global_pasid() - Free a PASID from iommu_alloc_global_pasid()
 * @pasid: the PASID
 *
 * Context: Any context.
 */
void iommu_free_global_pasid(ioasid_t pasid)
{
	if (!WARN_ON(pasid == IOMMU_PASID_INVALID))
		ioasid_free(&ioasid_system_set, pasid);
}
EXPORT_SYMBOL_GPL(iommu_free_global_pasid);

/**
 * iommu_attach_handle_get() - The attach handle at a PASID of a group
 * @group: the group
 * @pasid: the PASID, or IOMMU_NO_PASID for the group's own attachment
 * @type: the domain type the caller expects, 0 for any
 *
 * The handle is valid between attach and detach; the caller serialises
 * with those.
 *
 * Context: Any context; takes the xarray's spinlock.
 * Return: the handle, ERR_PTR(-ENOENT) if nothing is attached there, or
 * ERR_PTR(-EBUSY) if the attached domain is of another type.
 */
struct iommu_attach_handle *
iommu_attach_handle_get(struct iommu_group *group, ioasid_t pasid,
			unsigned int type)
{
	struct iommu_attach_handle *handle;

	xa_lock(&group->pasid_array);
	handle = xa_load(&group->pasid_array, pasid);
	if (handle && type && handle->domain->type != type)
		handle = ERR_PTR(-EBUSY);
	xa_unlock(&group->pasid_array);
	return handle ?: ERR_PTR(-ENOENT);
}
EXPORT_SYMBOL_NS_GPL(iommu_attach_handle_get, IOMMUFD_INTERNAL);

/**
 * iommu_attach_group_handle() - Attach a domain to a group, with a handle
 * @domain: the domain
 * @group: the group
 * @handle: recorded at IOMMU_NO_PASID, or NULL
 *
 * Context: Process context. Takes group->mutex.
 * Return: 0, or an errno with nothing changed.
 */
int iommu_attach_group_handle(struct iommu_domain *domain,
			      struct iommu_group *group,
			      struct iommu_attach_handle *handle)
{
	int ret;

	guard(mutex)(&group->mutex);
	if (handle)
		handle->domain = domain;
	ret = xa_insert(&group->pasid_array, IOMMU_NO_PASID, handle, GFP_KERNEL);
	if (!ret) {
		ret = __iommu_attach_group(domain, group);
		if (ret)
			xa_erase(&group->pasid_array, IOMMU_NO_PASID);
	}
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iommu_attach_group_handle, IOMMUFD_INTERNAL);

/**
 * iommu_detach_group_handle() - Undo iommu_attach_group_handle()
 * @domain: the domain
 * @group: the group
 *
 * Context: Process context. Takes group->mutex.
 */
void iommu_detach_group_handle(struct iommu_domain *domain,
			       struct iommu_group *group)
{
	guard(mutex)(&group->mutex);
	__iommu_group_set_core_domain(group);
	xa_erase(&group->pasid_array, IOMMU_NO_PASID);
}
EXPORT_SYMBOL_NS_GPL(iommu_detach_group_handle, IOMMUFD_INTERNAL);

/**
 * iommu_replace_group_handle() - Replace a group's domain, with a handle
 * @group: the group
 * @new_domain: the domain to switch to
 * @handle: replaces the handle at IOMMU_NO_PASID, or NULL to leave it
 *
 * Context: Process context. Takes group->mutex.
 * Return: 0, or an errno with nothing changed: -EINVAL for a domain of
 * another IOMMU driver (see __iommu_group_domain_fits()).
 */
int iommu_replace_group_handle(struct iommu_group *group,
			       struct iommu_domain *new_domain,
			       struct iommu_attach_handle *handle)
{
	int ret;

	if (!new_domain)
		return -EINVAL;
	guard(mutex)(&group->mutex);
	ret = __iommu_group_domain_fits(group, new_domain);
	if (ret)
		return ret;
	/* Reserve the slot first so that storing the handle cannot fail. */
	ret = handle ? xa_reserve(&group->pasid_array, IOMMU_NO_PASID,
				  GFP_KERNEL) : 0;
	if (ret)
		return ret;
	if (handle)
		handle->domain = new_domain;
	ret = __iommu_group_set_domain(group, new_domain, 0);
	if (ret) {
		xa_release(&group->pasid_array, IOMMU_NO_PASID);
		return ret;
	}
	WARN_ON(xa_is_err(xa_store(&group->pasid_array, IOMMU_NO_PASID, handle,
				   GFP_KERNEL)));
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iommu_replace_group_handle, IOMMUFD_INTERNAL);
