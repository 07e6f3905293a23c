// SPDX-License-Identifier: GPL-2.0-only
/*
 * Moving a group between domains.
 *
 * The IOMMU API attaches domains to devices, but isolation is per group,
 * so every change of domain is done for all members of a group, device by
 * device through the driver's attach_dev().  The switch is not atomic:
 * while it runs a member's DMA may fault, but it can only ever reach the
 * old domain or the new one.
 *
 * If a member refuses the new domain, the members already moved go back
 * to the old one and group->domain keeps saying where the group is.  The
 * core's own domains (default, blocking) must always be reachable: such a
 * switch goes on past a refusal, and a device that refused is put on the
 * blocking domain if there is one, rather than left on a domain that may
 * be freed under it.
 */
#include <trace/events/iommu.h>

#include "core.h"

static int iommu_dev_attach(struct iommu_domain *domain, struct device *dev)
{
	int ret = -ENODEV;

	if (likely(domain->ops->attach_dev))
		ret = domain->ops->attach_dev(domain, dev);
	if (!ret) {
		/* The device translates through @domain: no longer deferred. */
		dev->iommu->attach_deferred = 0;
		trace_attach_device_to_domain(dev);
	}
	return ret;
}

static bool __iommu_is_blocking(struct iommu_group *group,
				struct iommu_domain *domain)
{
	lockdep_assert_held(&group->mutex);
	return domain->type == IOMMU_DOMAIN_BLOCKED ||
	       domain == group->blocking_domain;
}

/* Inlined: once per member on every switch, ownership claims included. */
static __always_inline int __iommu_dev_set_domain(struct iommu_group *group,
						  struct device *dev,
						  struct iommu_domain *domain,
						  unsigned int flags)
{
	int ret;

	lockdep_assert_held(&group->mutex);
	/*
	 * Firmware said the device keeps doing DMA to some regions (RMRR):
	 * only domains with those mapped will do, which rules out blocking
	 * and hence any user ownership of the group.
	 */
	if (dev->iommu->require_direct && __iommu_is_blocking(group, domain)) {
		dev_warn(dev, "Firmware has requested this device have a 1:1 IOMMU mapping, rejecting configuring the device without a 1:1 mapping. Contact your platform vendor.\n");
		return -EINVAL;
	}
	/* A deferred first attach to the default domain happens on first use. */
	if (dev->iommu->attach_deferred) {
		if (domain == group->default_domain)
			return 0;
		dev->iommu->attach_deferred = 0;
	}

	ret = iommu_dev_attach(domain, dev);
	if (ret && (flags & IOMMU_ATTACH_MUST_SUCCEED) &&
	    group->blocking_domain && group->blocking_domain != domain)
		iommu_dev_attach(group->blocking_domain, dev);
	return ret;
}

/* Put the members up to and including @failed back on group->domain. */
static void __iommu_group_revert(struct iommu_group *group,
				 struct group_device *failed)
{
	struct group_device *gdev;

	lockdep_assert_held(&group->mutex);
	/* The first attach at probe has nothing to go back to. */
	if (!group->domain)
		return;
	for_each_group_device(group, gdev) {
		WARN_ON(__iommu_dev_set_domain(group, gdev->dev, group->domain,
					       IOMMU_ATTACH_MUST_SUCCEED));
		if (gdev == failed)
			break;
	}
}

/**
 * __iommu_group_set_domain() - Move every member of a group to a domain
 * @group: the group
 * @new_domain: the domain
 * @flags: IOMMU_ATTACH_MUST_SUCCEED for the core's own domains
 *
 * Context: group->mutex held.
 * Return: 0 with the group on @new_domain.  On error, the group is back on
 * its previous domain; with IOMMU_ATTACH_MUST_SUCCEED it is on @new_domain
 * anyway, the refusing devices blocked if possible, and the first error is
 * returned for the caller to report.
 */
int __iommu_group_set_domain(struct iommu_group *group,
			     struct iommu_domain *new_domain,
			     unsigned int flags)
{
	struct group_device *gdev;
	int ret = 0, err;

	lockdep_assert_held(&group->mutex);
	if (group->domain == new_domain)
		return 0;
	if (WARN_ON(!new_domain))
		return -EINVAL;

	for_each_group_device(group, gdev) {
		err = __iommu_dev_set_domain(group, gdev->dev, new_domain, flags);
		if (!err)
			continue;
		if (!(flags & IOMMU_ATTACH_MUST_SUCCEED)) {
			__iommu_group_revert(group, gdev);
			return err;
		}
		ret = ret ?: err;
	}
	group->domain = new_domain;
	return ret;
}

/**
 * __iommu_group_set_core_domain() - Put a group back on the core's domain
 * @group: the group
 *
 * The core's domain is the blocking one while user space owns the group,
 * the default one otherwise.
 *
 * Context: group->mutex held.
 */
void __iommu_group_set_core_domain(struct iommu_group *group)
{
	struct iommu_domain *domain;

	lockdep_assert_held(&group->mutex);
	domain = group->owner ? group->blocking_domain : group->default_domain;
	WARN_ON(__iommu_group_set_domain(group, domain,
					 IOMMU_ATTACH_MUST_SUCCEED));
}

/**
 * __iommu_attach_new_member() - Attach a device joining a group
 * @group: the group, which has a domain
 * @dev: the new member
 *
 * The device joins whatever domain the group is on: a user-owned group
 * stays away from kernel memory.  Its direct regions go into the default
 * domain first, for when the group returns to it.
 *
 * Context: group->mutex held.
 * Return: 0 or an errno.
 */
int __iommu_attach_new_member(struct iommu_group *group, struct device *dev)
{
	lockdep_assert_held(&group->mutex);
	if (group->default_domain)
		iommu_map_direct_regions(group->default_domain, dev);
	return __iommu_dev_set_domain(group, dev, group->domain, 0);
}

/**
 * __iommu_group_domain_fits() - Check a caller's domain against a group
 * @group: the group
 * @domain: the domain
 *
 * A driver's attach_dev() takes the domains of its own ops only: a caller
 * (iommufd) may hold domains of several IOMMU drivers.
 *
 * Context: group->mutex held.
 * Return: 0; -ENODEV for an empty group; -EINVAL if @domain was not
 * allocated through the ops of the group's devices.
 */
int __iommu_group_domain_fits(struct iommu_group *group,
			      struct iommu_domain *domain)
{
	const struct iommu_ops *ops;

	lockdep_assert_held(&group->mutex);
	if (!group->nr_devices)
		return -ENODEV;
	ops = __iommu_group_ops(group);
	if (!ops || ops != domain->owner)
		return -EINVAL;
	return 0;
}

/**
 * __iommu_attach_group() - Attach a caller's domain to a group
 * @domain: a domain allocated through the ops of the group's devices
 * @group: the group, on a core domain
 *
 * Context: group->mutex held.
 * Return: 0; -EBUSY if another caller's domain is attached; -EINVAL if
 * @domain is of another IOMMU driver; -ENODEV for an empty group; or the
 * driver's errno with the group unchanged.
 */
int __iommu_attach_group(struct iommu_domain *domain,
			 struct iommu_group *group)
{
	int ret;

	lockdep_assert_held(&group->mutex);
	if (group->domain && group->domain != group->default_domain &&
	    group->domain != group->blocking_domain)
		return -EBUSY;
	ret = __iommu_group_domain_fits(group, domain);
	if (ret)
		return ret;
	return __iommu_group_set_domain(group, domain, 0);
}

/**
 * iommu_attach_group() - Attach a domain to a group
 * @domain: the domain
 * @group: the group
 *
 * -EINVAL may be a soft failure: the domain does not suit the group and
 * another domain may still attach.
 *
 * Context: Process context. Takes group->mutex.
 * Return: 0 or an errno, see __iommu_attach_group().
 */
int iommu_attach_group(struct iommu_domain *domain, struct iommu_group *group)
{
	guard(mutex)(&group->mutex);
	return __iommu_attach_group(domain, group);
}
EXPORT_SYMBOL_GPL(iommu_attach_group);

/**
 * iommu_detach_group() - Return a group to the core's domain
 * @domain: the domain attached by iommu_attach_group()
 * @group: the group
 *
 * Context: Process context. Takes group->mutex.
 */
void iommu_detach_group(struct iommu_domain *domain, struct iommu_group *group)
{
	guard(mutex)(&group->mutex);
	__iommu_group_set_core_domain(group);
}
EXPORT_SYMBOL_GPL(iommu_detach_group);

/**
 * iommu_attach_device() - Attach a domain to a device alone in its group
 * @domain: the domain
 * @dev: the device, whose driver is bound
 *
 * Context: Process context. Takes the group's mutex.
 * Return: 0; -ENODEV if @dev is in no group; -EINVAL if it shares its
 * group (a device-level call cannot move other devices); or as
 * iommu_attach_group().
 */
int iommu_attach_device(struct iommu_domain *domain, struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	if (!group)
		return -ENODEV;
	guard(mutex)(&group->mutex);
	if (group->nr_devices != 1)
		return -EINVAL;
	return __iommu_attach_group(domain, group);
}
EXPORT_SYMBOL_GPL(iommu_attach_device);

/**
 * iommu_detach_device() - Undo iommu_attach_device()
 * @domain: the domain the device was attached to
 * @dev: the device
 *
 * Context: Process context. Takes the group's mutex.
 */
void iommu_detach_device(struct iommu_domain *domain, struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	if (!group)
		return;
	guard(mutex)(&group->mutex);
	if (WARN_ON(domain != group->domain || group->nr_devices != 1))
		return;
	__iommu_group_set_core_domain(group);
}
EXPORT_SYMBOL_GPL(iommu_detach_device);

/**
 * iommu_group_replace_domain() - Switch a group to another domain directly
 * @group: the group
 * @new_domain: the domain to switch to
 *
 * Unlike detach then attach, the group never passes through a core domain
 * in between.  For iommufd.
 *
 * Context: Process context. Takes group->mutex.
 * Return: 0, or an errno with the group on its previous domain: -EINVAL
 * for a domain of another IOMMU driver (see __iommu_group_domain_fits()).
 */
int iommu_group_replace_domain(struct iommu_group *group,
			       struct iommu_domain *new_domain)
{
	int ret;

	if (!new_domain)
		return -EINVAL;
	guard(mutex)(&group->mutex);
	ret = __iommu_group_domain_fits(group, new_domain);
	if (ret)
		return ret;
	return __iommu_group_set_domain(group, new_domain, 0);
}
EXPORT_SYMBOL_NS_GPL(iommu_group_replace_domain, IOMMUFD_INTERNAL);

/**
 * iommu_deferred_attach() - Do a device's deferred first attach
 * @dev: the device
 * @domain: its default domain
 *
 * Called by the DMA API layer on first use of a device whose driver asked
 * for its first attach to wait (kdump kernels keep the old translation
 * until the device is reset).
 *
 * Context: Any context the DMA API is used from.
 * Return: 0 or the driver's errno.
 */
int iommu_deferred_attach(struct device *dev, struct iommu_domain *domain)
{
	if (dev->iommu && dev->iommu->attach_deferred)
		return iommu_dev_attach(domain, dev);
	return 0;
}

/**
 * iommu_get_domain_for_dev() - The domain a device is attached to now
 * @dev: a device whose driver is bound, so it stays probed
 *
 * Context: Any context.
 * Return: the domain, or NULL if @dev is in no group.
 */
struct iommu_domain *iommu_get_domain_for_dev(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	return group ? group->domain : NULL;
}
EXPORT_SYMBOL_GPL(iommu_get_domain_for_dev);
