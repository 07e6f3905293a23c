// SPDX-License-Identifier: GPL-2.0-only
/*
 * DMA ownership of a group.
 *
 * A group's DMA is either the kernel's, through the DMA API on the default
 * domain, or one user-space owner's (VFIO, iommufd), never both: devices
 * that cannot be isolated from each other must not be split between the
 * kernel and user space.  The state is owner_cnt and owner, under the
 * group mutex; there is no separate "unowned" state:
 *
 *   owner_cnt == 0			nobody uses the group's DMA; the only
 *					state in which the core may change its
 *					domain freely (sysfs type, probe)
 *   owner_cnt > 0, owner == NULL	that many kernel drivers use the DMA API
 *   owner_cnt > 0, owner != NULL	user space owns it, claimed that many
 *					times by the same owner
 *
 *        use_dma_api                        claim(owner)
 *   kernel N <-------- 0 users (default) --------> user N (blocked)
 *            --------> unuse_dma_api     <-------- release
 *
 * While user space owns a group it is on the blocking domain or on a
 * domain the owner attached, never on one that maps kernel memory; a
 * device hot-added meanwhile joins that domain.  Releasing the last claim
 * puts the group back on its default domain.
 *
 * Drivers are device-centric: the kernel side is iommu_device_use_dma_api()
 * and the user side iommu_device_claim_dma_owner().  The group calls exist
 * only for VFIO's group uAPI.  The names the base tree's bus code and VFIO
 * use keep their meaning: iommu_device_use_default_domain() is
 * iommu_device_use_dma_api(), and iommu_group_claim_dma_owner() claims
 * only a group nobody uses, where iommu_group_set_dma_owner() counts the
 * claims of one owner as device claims always did.
 *
 * One refusal is new to the base's names: iommu_device_use_dma_api() (and
 * so the bus dma_configure() hooks, its only callers) refuses a group that
 * nobody uses but that is off its default domain or has PASIDs attached,
 * where the base counted the new user in.  Such a group was left on a
 * domain by a driver that manages DMA itself; a driver using the DMA API
 * there would reach memory through that domain, not through its own.
 */
#include <kunit/visibility.h>
#include <linux/pid.h>
#include <linux/sched.h>

#include "../iommu-group-state.h"
#include "core.h"

/*
 * Why @group refuses a new owner, and through which member (*@who, for a
 * driver or a kernel DMA user): the first reason that applies, in the order
 * of enum iommu_group_busy.  A group that kernel drivers use, with none of
 * them to be named, is counted as DMA API users.
 */
static enum iommu_group_busy __iommu_group_busy(struct iommu_group *group,
						struct device **who)
{
	struct group_device *gdev;

	lockdep_assert_held(&group->mutex);
	*who = NULL;
	if (group->owner)
		return IOMMU_GROUP_BUSY_OWNER;
	for_each_group_device(group, gdev) {
		if (!gdev->dma_api_users)
			continue;
		*who = gdev->dev;
		/* The driver core binds it under the device lock we lack. */
		return READ_ONCE(gdev->dev->driver) ? IOMMU_GROUP_BUSY_DRIVER :
						      IOMMU_GROUP_BUSY_DMA_API;
	}
	if (!xa_empty(&group->pasid_array))
		return IOMMU_GROUP_BUSY_PASID;
	if (group->domain != group->default_domain)
		return IOMMU_GROUP_BUSY_DOMAIN;
	return group->owner_cnt ? IOMMU_GROUP_BUSY_DMA_API : IOMMU_GROUP_FREE;
}

/* Say why @dev's claim (@what) or kernel DMA use was refused. */
static void __iommu_group_report_busy(struct iommu_group *group,
				      struct device *dev, const char *what)
{
	struct device_driver *drv;
	struct device *who;

	switch (__iommu_group_busy(group, &who)) {
	case IOMMU_GROUP_BUSY_OWNER:
		dev_notice_ratelimited(dev, "%s refused: IOMMU group %d is owned by user space (%s[%d])\n",
				       what, group->id, group->owner_comm,
				       pid_nr(group->owner_pid));
		break;
	case IOMMU_GROUP_BUSY_DRIVER:
		drv = READ_ONCE(who->driver);
		dev_notice_ratelimited(dev, "%s refused: IOMMU group %d: %s is bound to driver %s\n",
				       what, group->id, dev_name(who),
				       drv ? drv->name : "(unbound meanwhile)");
		break;
	case IOMMU_GROUP_BUSY_DMA_API:
		if (who)
			dev_notice_ratelimited(dev, "%s refused: IOMMU group %d: %s uses the kernel DMA API\n",
					       what, group->id, dev_name(who));
		else
			dev_notice_ratelimited(dev, "%s refused: IOMMU group %d has %u kernel DMA users\n",
					       what, group->id, group->owner_cnt);
		break;
	case IOMMU_GROUP_BUSY_PASID:
		dev_notice_ratelimited(dev, "%s refused: IOMMU group %d has PASIDs attached\n",
				       what, group->id);
		break;
	case IOMMU_GROUP_BUSY_DOMAIN:
		dev_notice_ratelimited(dev, "%s refused: IOMMU group %d is attached to a driver's own domain\n",
				       what, group->id);
		break;
	case IOMMU_GROUP_FREE:
		WARN_ON_ONCE(1);
		break;
	}
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * iommu_group_get_state() - A group's state, and its members checked in it
 * @group: the group
 * @state: filled in, all at one moment
 * @check_member: if not NULL, called for each member with @state, at that
 *	same moment
 *
 * A test seam, built with KUnit only: the public API does not show
 * owner_cnt, the owner or the core's own domains, and the suites must not
 * read the group itself.
 * @check_member lets a suite hold the state still while it compares each
 * member with it, as the driver sees the member.
 *
 * Context: Process context. Takes the group's mutex, and calls
 * @check_member under it.
 * Return: how many members @check_member returned false for; 0 without it.
 */
int iommu_group_get_state(struct iommu_group *group,
			  struct iommu_group_state *state,
			  bool (*check_member)(struct device *dev,
					       const struct iommu_group_state *state))
{
	struct group_device *gdev;
	struct device *who;
	int refused = 0;

	guard(mutex)(&group->mutex);
	*state = (struct iommu_group_state) {
		.owner_cnt = group->owner_cnt,
		.owner = group->owner,
		.domain = group->domain,
		.default_domain = group->default_domain,
		.blocking_domain = group->blocking_domain,
		.has_pasids = !xa_empty(&group->pasid_array),
		.nr_devices = group->nr_devices,
		.busy = __iommu_group_busy(group, &who),
	};
	if (check_member)
		for_each_group_device(group, gdev)
			refused += !check_member(gdev->dev, state);
	return refused;
}
EXPORT_SYMBOL_IF_KUNIT(iommu_group_get_state);
#endif

/**
 * iommu_device_use_dma_api() - A driver is about to use the kernel DMA API
 * @dev: the device about to be probed by its driver
 *
 * Called by the bus dma_configure() paths before a driver probes, unless
 * the driver manages DMA itself (driver_managed_dma).  The probe must be
 * aborted if this fails.
 *
 * Context: Process context. Takes the group's mutex.
 * Return: 0, also for a device without an IOMMU; -EPROBE_DEFER while the
 * group has no default domain yet; -EBUSY while user space owns the group,
 * it is off its default domain or has PASIDs attached.
 */
int iommu_device_use_dma_api(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;
	struct group_device *gdev;

	if (!group)
		return 0;
	guard(mutex)(&group->mutex);
	/* bus_iommu_probe() may not have finished this group yet. */
	if (!group->default_domain)
		return -EPROBE_DEFER;
	if (group->owner || group->domain != group->default_domain ||
	    !xa_empty(&group->pasid_array)) {
		__iommu_group_report_busy(group, dev, "kernel DMA");
		return -EBUSY;
	}
	gdev = __iommu_group_find_member(group, dev);
	if (gdev)
		gdev->dma_api_users++;
	group->owner_cnt++;
	return 0;
}
EXPORT_SYMBOL_GPL(iommu_device_use_dma_api);

/**
 * iommu_device_unuse_dma_api() - A driver stopped using the kernel DMA API
 * @dev: the device whose driver was unbound
 *
 * Context: Process context. Takes the group's mutex.
 */
void iommu_device_unuse_dma_api(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;
	struct group_device *gdev;

	if (!group)
		return;
	guard(mutex)(&group->mutex);
	if (WARN_ON(!group->owner_cnt || group->owner ||
		    !xa_empty(&group->pasid_array)))
		return;
	gdev = __iommu_group_find_member(group, dev);
	if (gdev && gdev->dma_api_users)
		gdev->dma_api_users--;
	group->owner_cnt--;
}
EXPORT_SYMBOL_GPL(iommu_device_unuse_dma_api);

/**
 * iommu_device_use_default_domain() - Old name of iommu_device_use_dma_api()
 * @dev: the device about to be probed by its driver
 *
 * Context: Process context. Takes the group's mutex.
 * Return: as iommu_device_use_dma_api().
 */
int iommu_device_use_default_domain(struct device *dev)
{
	return iommu_device_use_dma_api(dev);
}

/**
 * iommu_device_unuse_default_domain() - Old name of iommu_device_unuse_dma_api()
 * @dev: the device whose driver was unbound
 *
 * Context: Process context. Takes the group's mutex.
 */
void iommu_device_unuse_default_domain(struct device *dev)
{
	iommu_device_unuse_dma_api(dev);
}

/*
 * Give the group its blocking domain, allocated once through @dev, the
 * member that asked for the claim: the driver's static one, or else an
 * empty paging domain, which blocks just as well.
 */
static int __iommu_group_alloc_blocking(struct iommu_group *group,
					struct device *dev)
{
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

/* Take the group for @owner, from nobody; @dev is who asked. */
static int __iommu_group_claim(struct iommu_group *group, struct device *dev,
			       void *owner)
{
	int ret;

	lockdep_assert_held(&group->mutex);
	if (!group->nr_devices)
		return -ENODEV;
	if (group->domain != group->default_domain ||
	    !xa_empty(&group->pasid_array)) {
		__iommu_group_report_busy(group, dev, "DMA ownership");
		return -EBUSY;
	}
	ret = __iommu_group_alloc_blocking(group, dev);
	if (ret)
		return ret;
	ret = __iommu_group_set_domain(group, group->blocking_domain, 0);
	if (ret)
		return ret;
	group->owner = owner;
	group->owner_cnt = 1;
	/* Kept from the last claim if the same process claims again */
	if (group->owner_pid != task_tgid(current)) {
		put_pid(group->owner_pid);
		group->owner_pid = get_pid(task_tgid(current));
	}
	/*
	 * Only for messages and sysfs: a racing rename may leave a mix of
	 * the task's two names here, which does no harm, so the copy goes
	 * without get_task_comm()'s task lock.
	 */
	memcpy(group->owner_comm, current->comm, sizeof(group->owner_comm));
	group->owner_comm[sizeof(group->owner_comm) - 1] = '\0';
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
	/* An emptied group has no default domain to go back to. */
	if (group->nr_devices)
		WARN_ON(__iommu_group_set_domain(group, group->default_domain,
						 IOMMU_ATTACH_MUST_SUCCEED));
}

/* A claim by @owner: from nobody, or counted if @owner has the group. */
static int __iommu_group_claim_for(struct iommu_group *group,
				   struct device *dev, void *owner)
{
	lockdep_assert_held(&group->mutex);
	if (!group->owner_cnt)
		return __iommu_group_claim(group, dev, owner);
	if (group->owner == owner) {
		group->owner_cnt++;
		return 0;
	}
	__iommu_group_report_busy(group, dev, "DMA ownership");
	return -EPERM;
}

/* No user claim yet: the first one's owner pid stays until the group goes. */
static bool __iommu_group_never_claimed(struct iommu_group *group)
{
	lockdep_assert_held(&group->mutex);
	return !group->owner_pid;
}

/* After a claim, with the mutex dropped: the first one adds the file. */
static int iommu_group_claimed(struct iommu_group *group, int ret, bool first)
{
	if (!ret && first)
		iommu_group_add_owner_file(group);
	return ret;
}

/* Drop one claim; the last one gives the group back to the kernel. */
static void __iommu_group_release_one(struct iommu_group *group)
{
	lockdep_assert_held(&group->mutex);
	if (group->owner_cnt > 1 && group->owner)
		group->owner_cnt--;
	else
		__iommu_group_unclaim(group);
}

/*
 * The group calls have no device at hand.  Any member serves to allocate
 * the blocking domain and to report a refusal: probe admits only devices
 * of the group's IOMMU driver, and a driver that groups devices vouches
 * that they translate alike.
 */
static struct device *__iommu_group_claim_dev(struct iommu_group *group)
{
	lockdep_assert_held(&group->mutex);
	return __iommu_group_any_dev(group);
}

/**
 * iommu_group_set_dma_owner() - Claim a group's DMA for user space
 * @group: the group
 * @owner: the owner's cookie, not NULL
 *
 * Only for VFIO's group uAPI; everything else claims devices with
 * iommu_device_claim_dma_owner().  Claims by the same @owner are counted,
 * as device claims are; iommu_group_claim_dma_owner() refuses them.
 *
 * Context: Process context. Takes group->mutex; the group's first claim
 * by user space then adds its dma_owner_task sysfs file.
 * Return: 0 with the group blocked; -EINVAL for a NULL @owner; -ENODEV for
 * an empty group; -EPERM if kernel drivers or another owner use the group;
 * -EBUSY if it is off its default domain or has PASIDs attached.
 */
int iommu_group_set_dma_owner(struct iommu_group *group, void *owner)
{
	bool first;
	int ret;

	if (WARN_ON(!owner))
		return -EINVAL;
	scoped_guard(mutex, &group->mutex) {
		if (!group->nr_devices)
			return -ENODEV;
		first = __iommu_group_never_claimed(group);
		ret = __iommu_group_claim_for(group,
					      __iommu_group_claim_dev(group),
					      owner);
	}
	return iommu_group_claimed(group, ret, first);
}
EXPORT_SYMBOL_GPL(iommu_group_set_dma_owner);

/**
 * iommu_group_claim_dma_owner() - Claim a group's DMA for user space, once
 * @group: the group
 * @owner: the owner's cookie, not NULL
 *
 * The base core's call, with its meaning: a group already claimed, even by
 * @owner, is refused.  Its one caller, VFIO's container, claims a group
 * once per attach and releases it at detach.
 *
 * Context: Process context. Takes group->mutex; the group's first claim
 * by user space then adds its dma_owner_task sysfs file.
 * Return: as iommu_group_set_dma_owner(), and -EPERM if @group is claimed
 * by anyone.
 */
int iommu_group_claim_dma_owner(struct iommu_group *group, void *owner)
{
	struct device *dev;
	bool first;
	int ret;

	if (WARN_ON(!owner))
		return -EINVAL;
	scoped_guard(mutex, &group->mutex) {
		if (!group->nr_devices)
			return -ENODEV;
		dev = __iommu_group_claim_dev(group);
		if (group->owner_cnt) {
			__iommu_group_report_busy(group, dev, "DMA ownership");
			return -EPERM;
		}
		first = __iommu_group_never_claimed(group);
		ret = __iommu_group_claim(group, dev, owner);
	}
	return iommu_group_claimed(group, ret, first);
}
EXPORT_SYMBOL_GPL(iommu_group_claim_dma_owner);

/**
 * iommu_group_release_dma_owner() - Undo a group claim
 * @group: the group
 *
 * Drops one claim of iommu_group_set_dma_owner(), or the one claim of
 * iommu_group_claim_dma_owner(), which is the base core's whole release.
 * The last release returns the group to its default domain.
 *
 * Context: Process context. Takes group->mutex.
 */
void iommu_group_release_dma_owner(struct iommu_group *group)
{
	guard(mutex)(&group->mutex);
	__iommu_group_release_one(group);
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
 * Context: Process context. Takes group->mutex; the group's first claim
 * by user space then adds its dma_owner_task sysfs file.
 * Return: 0; -EINVAL for a NULL @owner; -ENODEV if @dev is in no group;
 * -EPERM if kernel drivers or another owner use the group; -EBUSY as
 * iommu_group_set_dma_owner().
 */
int iommu_device_claim_dma_owner(struct device *dev, void *owner)
{
	struct iommu_group *group = dev->iommu_group;
	bool first;
	int ret;

	if (WARN_ON(!owner))
		return -EINVAL;
	if (!group)
		return -ENODEV;
	scoped_guard(mutex, &group->mutex) {
		first = __iommu_group_never_claimed(group);
		ret = __iommu_group_claim_for(group, dev, owner);
	}
	return iommu_group_claimed(group, ret, first);
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
	__iommu_group_release_one(group);
}
EXPORT_SYMBOL_GPL(iommu_device_release_dma_owner);
