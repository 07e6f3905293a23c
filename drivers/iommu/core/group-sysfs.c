// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sysfs view of IOMMU groups: /sys/kernel/iommu_groups/N/ with
 *   devices/		links to the member devices (and each device links
 *			back through its "iommu_group"), made by group.c
 *   type		the default domain type; writable while no driver
 *			is bound and nobody owns the group's DMA
 *   reserved_regions	the members' reserved regions, merged
 *   dma_owner		who uses the group's DMA: "none", "kernel N" (N
 *			drivers on the DMA API) or "user N" (N claims)
 *   dma_owner_task	root only: the process that claimed it for user
 *			space, "COMM[PID]" with the PID as the reader's
 *			namespace sees it; made at the group's first claim
 *			by user space (most groups never have one)
 *   name		only if the IOMMU driver named the group
 *
 * Attributes live in one attribute group whose visibility follows the
 * group's state, so "name" comes and goes with sysfs_update_groups().
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <kunit/visibility.h>
#include <linux/capability.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "../dma-iommu.h"
#include "../iommu-group-state.h"
#include "core.h"

#define to_iommu_group(k) container_of(k, struct iommu_group, kobj)

static const char * const resv_type_names[] = {
	[IOMMU_RESV_DIRECT] = "direct",
	[IOMMU_RESV_DIRECT_RELAXABLE] = "direct-relaxable",
	[IOMMU_RESV_RESERVED] = "reserved",
	[IOMMU_RESV_MSI] = "msi",
	[IOMMU_RESV_SW_MSI] = "msi",
};

static ssize_t name_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", to_iommu_group(kobj)->name);
}

static ssize_t reserved_regions_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	struct iommu_resv_region *region, *next;
	LIST_HEAD(regions);
	int len = 0;

	iommu_get_group_resv_regions(to_iommu_group(kobj), &regions);
	list_for_each_entry_safe(region, next, &regions, list) {
		len += sysfs_emit_at(buf, len, "0x%016llx 0x%016llx %s\n",
				     (long long)region->start,
				     (long long)(region->start + region->length - 1),
				     resv_type_names[region->type]);
		kfree(region);
	}
	return len;
}

static ssize_t type_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct iommu_group *group = to_iommu_group(kobj);
	const char *type = "unknown";

	scoped_guard(mutex, &group->mutex)
		if (group->default_domain)
			type = iommu_domain_type_sysfs_name(group->default_domain->type);
	return sysfs_emit(buf, "%s\n", type);
}

static int parse_domain_type(const char *buf)
{
	static const struct {
		const char *name;
		int type;
	} types[] = {
		{ "identity", IOMMU_DOMAIN_IDENTITY },
		{ "DMA", IOMMU_DOMAIN_DMA },
		{ "DMA-FQ", IOMMU_DOMAIN_DMA_FQ },
		{ "auto", 0 },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(types); i++)
		if (sysfs_streq(buf, types[i].name))
			return types[i].type;
	return -EINVAL;
}

/*
 * DMA -> DMA-FQ only starts a flush queue on the live domain, so drivers
 * may stay bound.  Any other change replaces the default domain, which is
 * only safe while no driver uses the DMA API and nobody owns the group.
 */
static int __iommu_group_change_type(struct iommu_group *group, int type)
{
	struct group_device *gdev;
	int ret;

	lockdep_assert_held(&group->mutex);
	if (type == IOMMU_DOMAIN_DMA_FQ &&
	    group->default_domain->type == IOMMU_DOMAIN_DMA) {
		ret = iommu_dma_init_fq(group->default_domain);
		if (!ret)
			group->default_domain->type = IOMMU_DOMAIN_DMA_FQ;
		return ret;
	}
	if (!group->nr_devices || group->owner_cnt)
		return -EPERM;
	ret = __iommu_group_setup_default_domain(group, type);
	if (ret)
		return ret;
	for_each_group_device(group, gdev)
		iommu_setup_dma_ops(gdev->dev);
	return 0;
}

/**
 * iommu_group_store_type() - Write a group's "type" attribute
 * @group: the group
 * @buf: what the writer wrote: "identity", "DMA", "DMA-FQ" or "auto"
 * @count: its length
 *
 * The sysfs store, and a test seam for KUnit, which has no sysfs to write.
 *
 * Context: Process context. Takes the group's mutex.
 * Return: @count; -EACCES without CAP_SYS_ADMIN and CAP_SYS_RAWIO;
 * -EINVAL for an unknown type or a group with no default domain; -EPERM
 * while the group is in use; another errno if the new default domain
 * could not be set up, with the old one kept.
 */
VISIBLE_IF_KUNIT ssize_t iommu_group_store_type(struct iommu_group *group,
						const char *buf, size_t count)
{
	int type, ret;

	if (!capable(CAP_SYS_ADMIN) || !capable(CAP_SYS_RAWIO))
		return -EACCES;
	type = parse_domain_type(buf);
	if (type < 0)
		return type;

	scoped_guard(mutex, &group->mutex) {
		if (!group->default_domain)
			return -EINVAL;
		ret = __iommu_group_change_type(group, type);
	}
	return ret ?: count;
}
EXPORT_SYMBOL_IF_KUNIT(iommu_group_store_type);

static ssize_t type_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	return iommu_group_store_type(to_iommu_group(kobj), buf, count);
}

static ssize_t dma_owner_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	struct iommu_group *group = to_iommu_group(kobj);

	guard(mutex)(&group->mutex);
	if (!group->owner_cnt)
		return sysfs_emit(buf, "none\n");
	if (!group->owner)
		return sysfs_emit(buf, "kernel %u\n", group->owner_cnt);
	return sysfs_emit(buf, "user %u\n", group->owner_cnt);
}

/*
 * Which process owns the group is another user's business: the file is
 * root's alone, and shows the PID in the reader's namespace (0 if the owner
 * is outside it).  Empty while user space does not own the group.
 */
static ssize_t dma_owner_task_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	struct iommu_group *group = to_iommu_group(kobj);

	guard(mutex)(&group->mutex);
	if (!group->owner)
		return 0;
	return sysfs_emit(buf, "%s[%d]\n", group->owner_comm,
			  pid_vnr(group->owner_pid));
}

static struct kobj_attribute attr_name = __ATTR_RO(name);
static struct kobj_attribute attr_dma_owner = __ATTR_RO(dma_owner);
static struct kobj_attribute attr_dma_owner_task =
	__ATTR(dma_owner_task, 0400, dma_owner_task_show, NULL);
static struct kobj_attribute attr_reserved_regions = __ATTR_RO(reserved_regions);
static struct kobj_attribute attr_type = __ATTR_RW(type);

static struct attribute *iommu_group_attrs[] = {
	&attr_name.attr,
	&attr_reserved_regions.attr,
	&attr_type.attr,
	&attr_dma_owner.attr,
	NULL
};

static umode_t iommu_group_attr_visible(struct kobject *kobj,
					struct attribute *attr, int n)
{
	if (attr == &attr_name.attr && !to_iommu_group(kobj)->name)
		return 0;
	return attr->mode;
}

static const struct attribute_group iommu_group_attr_group = {
	.attrs = iommu_group_attrs,
	.is_visible = iommu_group_attr_visible,
};

const struct attribute_group *iommu_group_attr_groups[] = {
	&iommu_group_attr_group,
	NULL
};

static struct attribute *iommu_group_owner_attrs[] = {
	&attr_dma_owner_task.attr,
	NULL
};

const struct attribute_group iommu_group_owner_attr_group = {
	.attrs = iommu_group_owner_attrs,
};
