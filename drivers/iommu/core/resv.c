// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reserved regions: IOVA ranges a domain user must not use, or that
 * firmware wants identity-mapped (RMRR, IORT RMR).
 *
 * The IOMMU driver lists them per device; the core merges them per group
 * for sysfs and VFIO, and maps a device's direct regions into DMA domains
 * before the device is attached, since firmware may still be doing DMA
 * there.  A device with an IOMMU_RESV_DIRECT region is marked
 * require_direct: it can never be blocked, so no user space can own it.
 */
#include <linux/slab.h>

#include "core.h"

/**
 * iommu_alloc_resv_region() - Allocate a reserved region descriptor
 * @start: first address
 * @length: length in bytes
 * @prot: IOMMU_READ, IOMMU_WRITE, ... for direct regions
 * @type: IOMMU_RESV_*
 * @gfp: allocation flags
 *
 * Context: As @gfp allows.
 * Return: the region, or NULL without memory.
 */
struct iommu_resv_region *iommu_alloc_resv_region(phys_addr_t start,
						  size_t length, int prot,
						  enum iommu_resv_type type,
						  gfp_t gfp)
{
	struct iommu_resv_region *region = kmalloc(sizeof(*region), gfp);

	if (region) {
		*region = (struct iommu_resv_region) {
			.start = start,
			.length = length,
			.prot = prot,
			.type = type,
		};
		INIT_LIST_HEAD(&region->list);
	}
	return region;
}
EXPORT_SYMBOL_GPL(iommu_alloc_resv_region);

/**
 * iommu_put_resv_regions() - Free a list from iommu_get_resv_regions()
 * @dev: the device
 * @list: the regions
 *
 * Context: Process context.
 */
void iommu_put_resv_regions(struct device *dev, struct list_head *list)
{
	struct iommu_resv_region *region, *next;

	list_for_each_entry_safe(region, next, list, list) {
		if (region->free)
			region->free(dev, region);
		else
			kfree(region);
	}
}
EXPORT_SYMBOL(iommu_put_resv_regions);

/**
 * iommu_get_resv_regions() - A device's reserved regions
 * @dev: a probed device
 * @list: the regions are added here; free with iommu_put_resv_regions()
 *
 * Context: Process context.
 */
void iommu_get_resv_regions(struct device *dev, struct list_head *list)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);

	if (ops->get_resv_regions)
		ops->get_resv_regions(dev, list);
}
EXPORT_SYMBOL_GPL(iommu_get_resv_regions);

static phys_addr_t resv_last(struct iommu_resv_region *region)
{
	return region->start + region->length - 1;
}

/* Whether [a, a_last] and [b, b_last] overlap or touch. */
static bool ranges_meet(phys_addr_t a, phys_addr_t a_last, phys_addr_t b,
			phys_addr_t b_last)
{
	return !(b > a_last && b - a_last > 1) && !(a > b_last && a - b_last > 1);
}

/*
 * Add a copy of @src to @regions, which is sorted by start (then type)
 * and in which regions of one type neither overlap nor touch: @src
 * swallows those of its type it meets.
 */
static int iommu_resv_merge(struct iommu_resv_region *src,
			    struct list_head *regions)
{
	struct iommu_resv_region *merged, *it, *next;
	phys_addr_t start = src->start, last = resv_last(src);

	merged = iommu_alloc_resv_region(src->start, src->length, src->prot,
					 src->type, GFP_KERNEL);
	if (!merged)
		return -ENOMEM;

	list_for_each_entry_safe(it, next, regions, list) {
		if (it->type != src->type ||
		    !ranges_meet(start, last, it->start, resv_last(it)))
			continue;
		/* The lowest region of a merge lends it its protection. */
		if (it->start < start)
			merged->prot = it->prot;
		start = min(start, it->start);
		last = max(last, resv_last(it));
		list_del(&it->list);
		kfree(it);
	}
	merged->start = start;
	merged->length = last - start + 1;

	list_for_each_entry(it, regions, list)
		if (start < it->start ||
		    (start == it->start && merged->type <= it->type))
			break;
	list_add_tail(&merged->list, &it->list);
	return 0;
}

/**
 * iommu_get_group_resv_regions() - The merged reserved regions of a group
 * @group: the group
 * @head: the regions are added here, each allocated with kmalloc
 *
 * Context: Process context. Takes group->mutex.
 * Return: 0 or -ENOMEM; on error @head holds what was merged so far.
 */
int iommu_get_group_resv_regions(struct iommu_group *group,
				 struct list_head *head)
{
	struct iommu_resv_region *region;
	struct group_device *gdev;
	int ret = 0;

	guard(mutex)(&group->mutex);
	for_each_group_device(group, gdev) {
		LIST_HEAD(dev_regions);

		/* Groups made up by VFIO's no-IOMMU mode have no driver. */
		if (!dev_has_iommu(gdev->dev))
			break;
		iommu_get_resv_regions(gdev->dev, &dev_regions);
		list_for_each_entry(region, &dev_regions, list) {
			ret = iommu_resv_merge(region, head);
			if (ret)
				break;
		}
		iommu_put_resv_regions(gdev->dev, &dev_regions);
		if (ret)
			break;
	}
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_get_group_resv_regions);

/* Identity-map the pages of @region that are not mapped yet. */
static int iommu_map_region_holes(struct iommu_domain *domain,
				  struct iommu_resv_region *region,
				  unsigned long pgsize)
{
	dma_addr_t start = ALIGN(region->start, pgsize);
	dma_addr_t end = ALIGN(region->start + region->length, pgsize);
	dma_addr_t addr, hole = start;
	int ret;

	/* Members of a group may share regions: skip what is there. */
	for (addr = start; addr < end; addr += pgsize) {
		if (!iommu_iova_to_phys(domain, addr))
			continue;
		if (addr > hole) {
			ret = iommu_map(domain, hole, hole, addr - hole,
					region->prot, GFP_KERNEL);
			if (ret)
				return ret;
		}
		hole = addr + pgsize;
	}
	if (end <= hole)
		return 0;
	return iommu_map(domain, hole, hole, end - hole, region->prot,
			 GFP_KERNEL);
}

/**
 * iommu_map_direct_regions() - Map a device's direct regions into a domain
 * @domain: the domain; only DMA domains get mappings
 * @dev: the device, marked require_direct if it has a strict direct region
 *
 * Context: Process context.
 * Return: 0 or the first mapping error.
 */
int iommu_map_direct_regions(struct iommu_domain *domain, struct device *dev)
{
	unsigned long pgsize = domain->pgsize_bitmap ?
			       BIT(__ffs(domain->pgsize_bitmap)) : 0;
	bool dma = iommu_is_dma_domain(domain);
	struct iommu_resv_region *region;
	LIST_HEAD(regions);
	int ret = 0;

	if (WARN_ON_ONCE(dma && !pgsize))
		return -EINVAL;

	iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(region, &regions, list) {
		if (region->type == IOMMU_RESV_DIRECT)
			dev->iommu->require_direct = 1;
		if (!dma || (region->type != IOMMU_RESV_DIRECT &&
			     region->type != IOMMU_RESV_DIRECT_RELAXABLE))
			continue;
		ret = iommu_map_region_holes(domain, region, pgsize);
		if (ret)
			break;
	}
	if (!ret && dma && !list_empty(&regions))
		iommu_flush_iotlb_all(domain);
	iommu_put_resv_regions(dev, &regions);
	return ret;
}
