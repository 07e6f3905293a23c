// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU groups: lifetime and membership.
 *
 * A group is allocated by an IOMMU driver's device_group() (usually
 * through one of the helpers in grouping.c) and lives as long as someone
 * holds a reference: each member device holds one, and so may drivers and
 * VFIO.  The reference count is that of the group's "devices" kobject,
 * which pins the group kobject; the last put frees the group.
 *
 * Membership changes under the group mutex.  A device joins through probe
 * (probe.c) or, for groups that no IOMMU driver backs (VFIO's no-IOMMU
 * mode), through iommu_group_add_device(); joining links the device and
 * the group's devices/ directory both ways in sysfs.  The group's
 * attributes are group-sysfs.c's.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/idr.h>
#include <linux/kernfs.h>
#include <linux/msi.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <trace/events/iommu.h>

#include "core.h"

static struct kset *iommu_group_kset;
static DEFINE_IDA(iommu_group_ida);

/**
 * __iommu_group_any_dev() - A member device, to reach the group's driver
 * @group: a group with at least one member
 *
 * All members share their IOMMU driver (probe enforces it), so whichever
 * device is returned, its ops are the group's.  Callers that have a more
 * specific device at hand use that one instead.
 *
 * Context: group->mutex held.
 * Return: a member device.
 */
struct device *__iommu_group_any_dev(struct iommu_group *group)
{
	lockdep_assert_held(&group->mutex);
	return list_first_entry(&group->devices, struct group_device, list)->dev;
}

/**
 * __iommu_group_ops() - The IOMMU ops of a group's devices
 * @group: a group with at least one member
 *
 * Context: group->mutex held.
 * Return: the ops, or NULL for a group no IOMMU driver backs.
 */
const struct iommu_ops *__iommu_group_ops(struct iommu_group *group)
{
	struct device *dev;

	lockdep_assert_held(&group->mutex);
	dev = __iommu_group_any_dev(group);
	return dev_has_iommu(dev) ? dev_iommu_ops(dev) : NULL;
}

/**
 * __iommu_group_find_member() - Find a device's membership of a group
 * @group: the group
 * @dev: the device
 *
 * Context: group->mutex held.
 * Return: the membership, or NULL if @dev is not a member.
 */
struct group_device *__iommu_group_find_member(struct iommu_group *group,
					       struct device *dev)
{
	struct group_device *gdev;

	lockdep_assert_held(&group->mutex);
	/* A probed device knows; a no-IOMMU member has no dev->iommu. */
	if (dev->iommu && dev->iommu->group_member)
		return dev->iommu_group == group ? dev->iommu->group_member :
						   NULL;
	for_each_group_device(group, gdev)
		if (gdev->dev == dev)
			return gdev;
	return NULL;
}

/* A link to @dev_kobj in the group's devices/; -EEXIST, quietly, if taken. */
static int iommu_group_devices_link(struct iommu_group *group,
				    struct kobject *dev_kobj, const char *name)
{
	struct kernfs_node *kn;

	kn = kernfs_create_link(group->devices_dir, name, dev_kobj->sd);
	return PTR_ERR_OR_ZERO(kn);
}

/*
 * iommu_group_link_member() - Link a new member and its group in sysfs
 * @group: the group
 * @gdev: the membership; its name is set to the link's name
 *
 * The link in devices/ is named after the device; should two members have
 * the same name (devices on different buses), a suffix tells them apart.
 *
 * Context: group->mutex held.
 * Return: 0 or an errno, with nothing created.
 */
static int iommu_group_link_member(struct iommu_group *group,
				   struct group_device *gdev)
{
	struct kobject *dev_kobj = &gdev->dev->kobj;
	int ret, suffix = 0;

	lockdep_assert_held(&group->mutex);
	ret = sysfs_create_link(dev_kobj, &group->kobj, "iommu_group");
	if (ret)
		return ret;

	gdev->name = kstrdup(kobject_name(dev_kobj), GFP_KERNEL);
	while (gdev->name) {
		ret = iommu_group_devices_link(group, dev_kobj, gdev->name);
		if (ret != -EEXIST)
			break;
		kfree(gdev->name);
		gdev->name = kasprintf(GFP_KERNEL, "%s.%d",
				       kobject_name(dev_kobj), suffix++);
	}
	if (!gdev->name)
		ret = -ENOMEM;
	if (ret) {
		kfree(gdev->name);
		sysfs_remove_link(dev_kobj, "iommu_group");
	}
	return ret;
}

/*
 * iommu_group_unlink_member() - Undo iommu_group_link_member()
 * @group: the group
 * @gdev: the membership, whose name is freed
 *
 * Context: group->mutex held.
 */
static void iommu_group_unlink_member(struct iommu_group *group,
				      struct group_device *gdev)
{
	lockdep_assert_held(&group->mutex);
	kernfs_remove_by_name(group->devices_dir, gdev->name);
	sysfs_remove_link(&gdev->dev->kobj, "iommu_group");
	kfree(gdev->name);
}

/**
 * __iommu_group_add_member() - Make a device a member of a group
 * @group: the group, to which @dev->iommu_group already points
 * @dev: the device
 *
 * Creates the sysfs links both ways and adds the device to the list; it
 * does not attach the device to any domain.
 *
 * Context: group->mutex held.
 * Return: the membership, or an ERR_PTR.
 */
struct group_device *__iommu_group_add_member(struct iommu_group *group,
					      struct device *dev)
{
	struct group_device *gdev;
	int ret;

	lockdep_assert_held(&group->mutex);
	gdev = kzalloc(sizeof(*gdev), GFP_KERNEL);
	if (!gdev)
		return ERR_PTR(-ENOMEM);
	gdev->dev = dev;

	ret = iommu_group_link_member(group, gdev);
	if (ret) {
		kfree(gdev);
		dev_err(dev, "cannot join IOMMU group %d: %d\n", group->id, ret);
		return ERR_PTR(ret);
	}
	list_add_tail(&gdev->list, &group->devices);
	group->nr_devices++;
	if (dev->iommu)
		dev->iommu->group_member = gdev;
	trace_add_device_to_group(group->id, dev);
	dev_info(dev, "Adding to iommu group %d\n", group->id);
	return gdev;
}

/**
 * __iommu_group_del_member() - Remove a device from its group's list
 * @group: the group
 * @gdev: the membership, which is freed
 *
 * Context: group->mutex held.
 */
void __iommu_group_del_member(struct iommu_group *group,
			      struct group_device *gdev)
{
	lockdep_assert_held(&group->mutex);
	list_del(&gdev->list);
	group->nr_devices--;
	if (gdev->dev->iommu)
		gdev->dev->iommu->group_member = NULL;
	/*
	 * Kernel DMA users and the owner must be gone before the last
	 * device: there would be nobody left to release them.
	 */
	WARN_ON(!group->nr_devices &&
		(group->owner_cnt || group->domain != group->default_domain));
	iommu_group_unlink_member(group, gdev);
	trace_remove_device_from_group(group->id, gdev->dev);
	kfree(gdev);
}

static void iommu_group_release(struct kobject *kobj)
{
	struct iommu_group *group = container_of(kobj, struct iommu_group, kobj);

	if (group->iommu_data_release)
		group->iommu_data_release(group->iommu_data);
	ida_free(&iommu_group_ida, group->id);
	/* The last device's unprobe freed the domains and PASIDs. */
	WARN_ON(group->default_domain || group->blocking_domain ||
		!xa_empty(&group->pasid_array));
	put_pid(group->owner_pid);
	kfree(group->name);
	kfree(group);
}

/*
 * No default_groups: the kobject core would remove those file by file, by
 * name, before removing the directory, which takes its files with it.
 */
static const struct kobj_type iommu_group_ktype = {
	.sysfs_ops = &kobj_sysfs_ops,
	.release = iommu_group_release,
};

/**
 * iommu_group_alloc() - Allocate a new, empty group
 *
 * For IOMMU drivers' device_group().  The caller gets one reference, which
 * it normally hands to the core by returning the group.
 *
 * Context: Process context.
 * Return: the group or an ERR_PTR.
 */
struct iommu_group *iommu_group_alloc(void)
{
	struct iommu_group *group;
	int id, ret;

	id = ida_alloc(&iommu_group_ida, GFP_KERNEL);
	if (id < 0)
		return ERR_PTR(id);
	group = kzalloc(sizeof(*group), GFP_KERNEL);
	if (!group) {
		ida_free(&iommu_group_ida, id);
		return ERR_PTR(-ENOMEM);
	}
	group->id = id;
	xa_init(&group->pasid_array);
	INIT_LIST_HEAD(&group->probe_entry);
	INIT_LIST_HEAD(&group->devices);
	mutex_init(&group->mutex);

	/* From here on the kobject's release frees the group. */
	group->kobj.kset = iommu_group_kset;
	ret = kobject_init_and_add(&group->kobj, &iommu_group_ktype, NULL,
				   "%d", group->id);
	if (ret)
		goto err_put_group;
	ret = sysfs_create_groups(&group->kobj, iommu_group_attr_groups);
	if (ret)
		goto err_put_group;
	/*
	 * Not a kobject of its own, as it long was: nothing needs one there,
	 * and a second kobject per group cost a name, a release and a
	 * reference count to carry for the group at every probe and removal.
	 */
	group->devices_dir = kernfs_create_dir(group->kobj.sd, "devices", 0755,
					       &group->kobj);
	if (IS_ERR(group->devices_dir)) {
		ret = PTR_ERR(group->devices_dir);
		goto err_put_group;
	}
	return group;

err_put_group:
	kobject_put(&group->kobj);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(iommu_group_alloc);

/**
 * iommu_group_add_owner_file() - Add dma_owner_task at a first user claim
 * @group: a group user space has claimed for the first time
 *
 * The file has something to say only while user space owns the group, and
 * most groups never are: made with the group, it cost every probe and
 * removal a sysfs node.  Once made it stays until the group goes.  It is
 * informational: if it cannot be made, the claim stands without it.
 *
 * Context: Process context, group->mutex not held: readers of the group's
 * files take it inside sysfs's own locks.
 */
void iommu_group_add_owner_file(struct iommu_group *group)
{
	if (sysfs_create_group(&group->kobj, &iommu_group_owner_attr_group))
		pr_warn("group %d: no dma_owner_task file\n", group->id);
}

/**
 * iommu_group_put() - Drop a reference to a group
 * @group: the group, or NULL
 *
 * Context: Process context; the last put frees the group.
 */
void iommu_group_put(struct iommu_group *group)
{
	if (group)
		kobject_put(&group->kobj);
}
EXPORT_SYMBOL_GPL(iommu_group_put);

/**
 * iommu_group_get() - Get a reference to a device's group
 * @dev: the device
 *
 * Context: Any context.
 * Return: the group, or NULL if @dev is in none.
 */
struct iommu_group *iommu_group_get(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	return group ? iommu_group_ref_get(group) : NULL;
}
EXPORT_SYMBOL_GPL(iommu_group_get);

/**
 * iommu_group_id() - The group's number, as in /sys/kernel/iommu_groups
 * @group: the group
 *
 * Context: Any context.
 * Return: the ID.
 */
int iommu_group_id(struct iommu_group *group)
{
	return group->id;
}
EXPORT_SYMBOL_GPL(iommu_group_id);

/**
 * iommu_group_ref_get() - Take another reference to a group
 * @group: a group the caller holds a reference to
 *
 * Context: Any context.
 * Return: @group.
 */
struct iommu_group *iommu_group_ref_get(struct iommu_group *group)
{
	kobject_get(&group->kobj);
	return group;
}
EXPORT_SYMBOL_GPL(iommu_group_ref_get);

/**
 * iommu_group_set_name() - Name a group, shown in its sysfs "name" file
 * @group: the group
 * @name: the name, or NULL to remove it
 *
 * Context: Process context; the driver serialises its own calls.
 * Return: 0 or an errno; on error the group has no name.
 */
int iommu_group_set_name(struct iommu_group *group, const char *name)
{
	char *copy = NULL;
	int ret;

	if (name) {
		copy = kstrdup(name, GFP_KERNEL);
		if (!copy)
			return -ENOMEM;
	}
	kfree(group->name);
	group->name = copy;
	ret = sysfs_update_groups(&group->kobj, iommu_group_attr_groups);
	if (ret) {
		kfree(group->name);
		group->name = NULL;
	}
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_group_set_name);

/**
 * iommu_group_set_iommudata() - Attach IOMMU driver data to a group
 * @group: the group
 * @iommu_data: the data
 * @release: called with @iommu_data when the group is freed, or NULL
 *
 * Context: Any context; the driver serialises its own calls.
 */
void iommu_group_set_iommudata(struct iommu_group *group, void *iommu_data,
			       void (*release)(void *iommu_data))
{
	group->iommu_data = iommu_data;
	group->iommu_data_release = release;
}
EXPORT_SYMBOL_GPL(iommu_group_set_iommudata);

/**
 * iommu_group_get_iommudata() - The IOMMU driver's data for a group
 * @group: the group
 *
 * Context: Any context.
 * Return: what iommu_group_set_iommudata() stored, or NULL.
 */
void *iommu_group_get_iommudata(struct iommu_group *group)
{
	return group->iommu_data;
}
EXPORT_SYMBOL_GPL(iommu_group_get_iommudata);

/**
 * __iommu_group_remove_member() - Take a device out of its group
 * @group: the device's group
 * @dev: the device
 *
 * The device's reference to @group stays for the caller to drop once it
 * has unlocked the group.
 *
 * Context: group->mutex held.
 * Return: true if @dev was a member.
 */
bool __iommu_group_remove_member(struct iommu_group *group, struct device *dev)
{
	struct group_device *gdev;

	lockdep_assert_held(&group->mutex);
	gdev = __iommu_group_find_member(group, dev);
	if (!gdev)
		return false;
	__iommu_group_del_member(group, gdev);
	return true;
}

/**
 * iommu_group_add_device() - Put a device into a group no driver backs
 * @group: the group
 * @dev: the device, which takes a reference to @group
 *
 * For VFIO's no-IOMMU mode and similar users of groups without an IOMMU
 * driver; devices behind an IOMMU join their group through probe.
 *
 * Context: Process context. Takes group->mutex.
 * Return: 0 or an errno.
 */
int iommu_group_add_device(struct iommu_group *group, struct device *dev)
{
	struct group_device *gdev;

	iommu_group_ref_get(group);
	dev->iommu_group = group;
	scoped_guard(mutex, &group->mutex)
		gdev = __iommu_group_add_member(group, dev);
	if (IS_ERR(gdev)) {
		dev->iommu_group = NULL;
		iommu_group_put(group);
		return PTR_ERR(gdev);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(iommu_group_add_device);

/**
 * iommu_group_remove_device() - Undo iommu_group_add_device()
 * @dev: the device
 *
 * Context: Process context. Takes group->mutex.
 */
void iommu_group_remove_device(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	/* A device behind an IOMMU leaves its group when it is released. */
	if (!group || WARN_ON(dev_has_iommu(dev)))
		return;
	dev_info(dev, "Removing from iommu group %d\n", group->id);
	scoped_guard(mutex, &group->mutex) {
		__iommu_group_remove_member(group, dev);
		dev->iommu_group = NULL;
	}
	iommu_group_put(group);
}
EXPORT_SYMBOL_GPL(iommu_group_remove_device);

/**
 * iommu_group_for_each_dev() - Call a function for each member device
 * @group: the group, which the caller holds a reference to
 * @data: passed to @fn
 * @fn: called for each device; a non-zero return stops the walk
 *
 * Membership cannot change during the walk, nor can @fn add or remove
 * devices of @group.
 *
 * Context: Process context. Takes group->mutex around the walk.
 * Return: 0, or the first non-zero return of @fn.
 */
int iommu_group_for_each_dev(struct iommu_group *group, void *data,
			     int (*fn)(struct device *, void *))
{
	struct group_device *gdev;
	int ret = 0;

	guard(mutex)(&group->mutex);
	for_each_group_device(group, gdev) {
		ret = fn(gdev->dev, data);
		if (ret)
			break;
	}
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_group_for_each_dev);

#ifdef CONFIG_LOCKDEP
/**
 * iommu_group_mutex_assert() - Assert that a device's group is locked
 * @dev: a device in a group
 *
 * For IOMMU drivers called back by the core with the group locked.
 *
 * Context: Any context.
 */
void iommu_group_mutex_assert(struct device *dev)
{
	lockdep_assert_held(&dev->iommu_group->mutex);
}
EXPORT_SYMBOL_GPL(iommu_group_mutex_assert);
#endif

/**
 * iommu_group_has_isolated_msi() - Whether every member has isolated MSIs
 * @group: the group
 *
 * Drivers should not mix devices with and without isolated MSIs in one
 * group; if they do, the group does not count as isolated.
 *
 * Context: Process context. Takes group->mutex.
 * Return: true if msi_device_has_isolated_msi() holds for every member.
 */
bool iommu_group_has_isolated_msi(struct iommu_group *group)
{
	struct group_device *gdev;

	guard(mutex)(&group->mutex);
	for_each_group_device(group, gdev)
		if (!msi_device_has_isolated_msi(gdev->dev))
			return false;
	return true;
}
EXPORT_SYMBOL_GPL(iommu_group_has_isolated_msi);

static int __init iommu_groups_init(void)
{
	iommu_group_kset = kset_create_and_add("iommu_groups", NULL,
					       kernel_kobj);
	if (WARN_ON(!iommu_group_kset))
		return -ENOMEM;
	iommu_debugfs_setup();
	return 0;
}
core_initcall(iommu_groups_init);
