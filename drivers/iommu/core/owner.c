// SPDX-License-Identifier: GPL-2.0-only
/*
 * DMA ownership of a group.
 *
 * A group's DMA is either the kernel's, through the DMA API on the default
 * domain, or one user-space owner's (VFIO, iommufd), never both: devices
 * that cannot be isolated from each other must not be split between the
 * kernel and user space.  The state is owner_cnt and owner, under the
 * group mutex:
 *
 *   owner_cnt == 0			nobody uses the group's DMA; the only
 *					state in which its domain may change
 *					freely (sysfs type, probe)
 *   owner_cnt > 0, owner == NULL	that many kernel drivers use the DMA API
 *   owner_cnt > 0, owner != NULL	user space owns it, claimed that many
 *					times by the same owner
 *
 * While user space owns a group it is on the blocking domain or on a
 * domain the owner attached, never on one that maps kernel memory.
 */
#include "core.h"

/**
 * iommu_device_use_default_domain() - A driver will use the DMA API
 * @dev: the device about to be probed by its driver
 *
 * Called by the bus dma_configure() paths before a driver probes, unless
 * the driver manages DMA itself (driver_managed_dma).
 *
 * Context: Process context. Takes the group's mutex.
 * Return: 0 (also for a device without IOMMU); -EPROBE_DEFER while the
 * group has no default domain yet; -EBUSY while user space owns the group
 * or it is busy elsewhere.
 */
int iommu_device_use_default_domain(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	if (!group)
		return 0;
	guard(mutex)(&group->mutex);
	/* bus_iommu_probe() may not have finished this group yet. */
	if (!group->default_domain)
		return -EPROBE_DEFER;
	if (group->owner_cnt &&
	    (group->owner || group->domain != group->default_domain ||
	     !xa_empty(&group->pasid_array)))
		return -EBUSY;
	group->owner_cnt++;
	return 0;
}

/**
 * iommu_device_unuse_default_domain() - A driver stopped using the DMA API
 * @dev: the device whose driver was unbound
 *
 * Context: Process context. Takes the group's mutex.
 */
void iommu_device_unuse_default_domain(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	if (!group)
		return;
	guard(mutex)(&group->mutex);
	if (!WARN_ON(!group->owner_cnt || !xa_empty(&group->pasid_array)))
		group->owner_cnt--;
}

/*
 * The blocking domain: the driver's static one, or else an empty paging
 * domain, which blocks just as well.
 */
static int __iommu_group_get_blocking(struct iommu_group *group)
{
	struct device *dev = __iommu_group_any_dev(group);
	struct iommu_domain *domain;

	lockdep_assert_held(&group->mutex);
	if (group->blocking_domain)
		return 0;
	domain = iommu_domain_alloc_for_dev(dev, IOMMU_DOMAIN_BLOCKED);
	if (IS_ERR(domain))
		domain = iommu_domain_alloc_for_dev(dev, IOMMU_DOMAIN_UNMANAGED);
	if (IS_ERR(domain))
		return PTR_ERR(domain);
	group->blocking_domain = domain;
	return 0;
}

static int __iommu_group_claim(struct iommu_group *group, void *owner)
{
	int ret;

	lockdep_assert_held(&group->mutex);
	if (!group->nr_devices)
		return -ENODEV;
	if ((group->domain && group->domain != group->default_domain) ||
	    !xa_empty(&group->pasid_array))
		return -EBUSY;
	ret = __iommu_group_get_blocking(group);
	if (ret)
		return ret;
	ret = __iommu_group_set_domain(group, group->blocking_domain, 0);
	if (ret)
		return ret;
	group->owner = owner;
	group->owner_cnt = 1;
	return 0;
}

static void __iommu_group_unclaim(struct iommu_group *group)
{
	lockdep_assert_held(&group->mutex);
	if (WARN_ON(!group->owner_cnt || !group->owner ||
		    !xa_empty(&group->pasid_array)))
		return;
	group->owner_cnt = 0;
	group->owner = NULL;
	WARN_ON(__iommu_group_set_domain(group, group->default_domain,
					 IOMMU_ATTACH_MUST_SUCCEED));
}

/**
 * iommu_group_claim_dma_owner() - Claim a group's DMA for user space
 * @group: the group
 * @owner: the owner's cookie, not NULL
 *
 * Only for VFIO's group uAPI; everything else claims devices.
 *
 * Context: Process context. Takes group->mutex.
 * Return: 0 with the group blocked; -EPERM if anyone uses the group's DMA;
 * -EBUSY if it is off its default domain or has PASIDs attached.
 */
int iommu_group_claim_dma_owner(struct iommu_group *group, void *owner)
{
	if (WARN_ON(!owner))
		return -EINVAL;
	guard(mutex)(&group->mutex);
	if (group->owner_cnt)
		return -EPERM;
	return __iommu_group_claim(group, owner);
}
EXPORT_SYMBOL_GPL(iommu_group_claim_dma_owner);

/**
 * iommu_group_release_dma_owner() - Undo iommu_group_claim_dma_owner()
 * @group: the group
 *
 * Context: Process context. Takes group->mutex.
 */
void iommu_group_release_dma_owner(struct iommu_group *group)
{
	guard(mutex)(&group->mutex);
	__iommu_group_unclaim(group);
}
EXPORT_SYMBOL_GPL(iommu_group_release_dma_owner);

/**
 * iommu_group_dma_owner_claimed() - Whether anyone uses a group's DMA
 * @group: the group
 *
 * The answer may be stale by the time the caller looks at it.
 *
 * Context: Process context. Takes group->mutex.
 * Return: true if kernel drivers or a user-space owner use the group.
 */
bool iommu_group_dma_owner_claimed(struct iommu_group *group)
{
	guard(mutex)(&group->mutex);
	return group->owner_cnt;
}
EXPORT_SYMBOL_GPL(iommu_group_dma_owner_claimed);

/**
 * iommu_device_claim_dma_owner() - Claim a device's DMA for user space
 * @dev: the device
 * @owner: the owner's cookie, not NULL
 *
 * Claims the whole group; further claims with the same @owner, for this
 * or other devices of the group, are counted.
 *
 * Context: Process context. Takes the group's mutex.
 * Return: 0; -ENODEV if @dev is in no group; -EPERM if kernel drivers or
 * another owner use the group; -EBUSY as iommu_group_claim_dma_owner().
 */
int iommu_device_claim_dma_owner(struct device *dev, void *owner)
{
	struct iommu_group *group = dev->iommu_group;

	if (WARN_ON(!owner))
		return -EINVAL;
	if (!group)
		return -ENODEV;
	guard(mutex)(&group->mutex);
	if (!group->owner_cnt)
		return __iommu_group_claim(group, owner);
	if (group->owner != owner)
		return -EPERM;
	group->owner_cnt++;
	return 0;
}
EXPORT_SYMBOL_GPL(iommu_device_claim_dma_owner);

/**
 * iommu_device_release_dma_owner() - Undo iommu_device_claim_dma_owner()
 * @dev: the device
 *
 * The last release returns the group to its default domain.
 *
 * Context: Process context. Takes the group's mutex.
 */
void iommu_device_release_dma_owner(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	guard(mutex)(&group->mutex);
	if (group->owner_cnt > 1)
		group->owner_cnt--;
	else
		__iommu_group_unclaim(group);
}
EXPORT_SYMBOL_GPL(iommu_device_release_dma_owner);
