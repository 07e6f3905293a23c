// SPDX-License-Identifier: GPL-2.0-only
/*
 * Domains: allocation through the ops of a probed device, freeing, and
 * the settings a driver takes on a domain before its first attach
 * (nesting, page table quirks).
 *
 * Every domain comes from the driver of a device that has been probed:
 * the device is what tells the core which IOMMU instance and which ops
 * apply.  Nothing looks ops up by bus; the legacy iommu_domain_alloc(bus)
 * finds a probed device on the bus and allocates for it, holding the device
 * and, while it allocates, its group, so that it is not released meanwhile;
 * a bus with devices of two IOMMU drivers is refused, as it always was.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/sched/mm.h>

#include "../dma-iommu.h"
#include "core.h"

/* Fill in what the core owns of a domain a driver just allocated. */
static int iommu_domain_init(struct iommu_domain *domain,
			     const struct iommu_ops *ops, unsigned int type)
{
	domain->type = type;
	domain->owner = ops;
	if (!domain->ops)
		domain->ops = ops->default_domain_ops;
	/* Drivers that size pages per domain set it; others take the ops'. */
	if (!domain->pgsize_bitmap)
		domain->pgsize_bitmap = ops->pgsize_bitmap;
	return iommu_is_dma_domain(domain) ? iommu_get_dma_cookie(domain) : 0;
}

static struct iommu_domain *iommu_driver_domain_alloc(const struct iommu_ops *ops,
						      struct device *dev,
						      unsigned int type)
{
	unsigned int alloc_type = type & IOMMU_DOMAIN_ALLOC_FLAGS;

	if (alloc_type == IOMMU_DOMAIN_IDENTITY && ops->identity_domain)
		return ops->identity_domain;
	if (alloc_type == IOMMU_DOMAIN_BLOCKED && ops->blocked_domain)
		return ops->blocked_domain;
	if ((type & __IOMMU_DOMAIN_PAGING) && ops->domain_alloc_paging)
		return ops->domain_alloc_paging(dev);
	if (ops->domain_alloc)
		return ops->domain_alloc(alloc_type);
	return ERR_PTR(-EOPNOTSUPP);
}

/**
 * iommu_domain_alloc_for_dev() - Allocate a domain through a device's ops
 * @dev: a probed device; the domain is meant for its group
 * @type: IOMMU_DOMAIN_* type
 *
 * Static identity and blocked domains of the driver are returned as they
 * are; everything else is a new domain, with a DMA cookie for DMA types.
 *
 * Context: Process context.
 * Return: the domain or an ERR_PTR, never NULL.
 */
struct iommu_domain *iommu_domain_alloc_for_dev(struct device *dev,
						unsigned int type)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	struct iommu_domain *domain;
	int ret;

	domain = iommu_driver_domain_alloc(ops, dev, type);
	/* Older domain_alloc() ops return NULL for "no memory". */
	if (!domain)
		return ERR_PTR(-ENOMEM);
	if (IS_ERR(domain) || domain == ops->identity_domain ||
	    domain == ops->blocked_domain)
		return domain;

	ret = iommu_domain_init(domain, ops, type);
	if (ret) {
		iommu_domain_free(domain);
		return ERR_PTR(ret);
	}
	return domain;
}

/**
 * iommu_paging_domain_alloc() - Allocate a paging domain for a device
 * @dev: a probed device
 *
 * The domain is UNMANAGED: the caller manages its IOVA space.
 *
 * Context: Process context.
 * Return: the domain, ERR_PTR(-ENODEV) if @dev is not behind an IOMMU,
 * or another ERR_PTR.
 */
struct iommu_domain *iommu_paging_domain_alloc(struct device *dev)
{
	if (!dev_has_iommu(dev))
		return ERR_PTR(-ENODEV);
	return iommu_domain_alloc_for_dev(dev, IOMMU_DOMAIN_UNMANAGED);
}
EXPORT_SYMBOL_GPL(iommu_paging_domain_alloc);

/* What iommu_domain_alloc() learned of a bus. */
struct bus_domain_alloc {
	struct device *dev;		/* the first probed device, held */
	const struct iommu_ops *ops;	/* its driver's ops */
	bool ambiguous;			/* another driver's device seen too */
};

/* @dev's IOMMU ops, or NULL; its group's mutex keeps it probed meanwhile. */
static const struct iommu_ops *iommu_dev_ops_locked(struct device *dev)
{
	struct iommu_group *group = iommu_group_get(dev);
	const struct iommu_ops *ops = NULL;

	if (!group)
		return NULL;
	scoped_guard(mutex, &group->mutex)
		if (dev->iommu_group == group && dev_has_iommu(dev))
			ops = dev_iommu_ops(dev);
	iommu_group_put(group);
	return ops;
}

/* Note @dev: the first probed one is held, any other driver is an error. */
static int iommu_bus_domain_scan(struct device *dev, void *data)
{
	struct bus_domain_alloc *alloc = data;
	const struct iommu_ops *ops = iommu_dev_ops_locked(dev);

	if (!ops)
		return 0;
	if (!alloc->dev) {
		alloc->dev = get_device(dev);
		alloc->ops = ops;
	} else if (ops != alloc->ops) {
		alloc->ambiguous = true;
		return -EBUSY;
	}
	return 0;
}

/* Allocate for @dev, if it is still probed by the driver of @ops. */
static struct iommu_domain *
iommu_bus_domain_alloc_for(struct device *dev, const struct iommu_ops *ops)
{
	struct iommu_group *group = iommu_group_get(dev);
	struct iommu_domain *domain = ERR_PTR(-ENODEV);

	if (!group)
		return domain;
	scoped_guard(mutex, &group->mutex)
		if (dev->iommu_group == group && dev_has_iommu(dev) &&
		    dev_iommu_ops(dev) == ops)
			domain = iommu_domain_alloc_for_dev(dev,
							    IOMMU_DOMAIN_UNMANAGED);
	iommu_group_put(group);
	return domain;
}

/**
 * iommu_domain_alloc() - Allocate an unmanaged domain for the IOMMU of a bus
 * @bus: the bus
 *
 * Deprecated: a bus does not name an IOMMU.  Use
 * iommu_paging_domain_alloc() with the device the domain is for.
 *
 * The domain comes from the driver of the bus's probed devices, through the
 * first of them, which is held while it allocates.  If devices of two IOMMU
 * drivers share the bus, which one is meant cannot be told: that is refused
 * with a warning, as the base core always did.
 *
 * Context: Process context. Takes group mutexes.
 * Return: the domain, or NULL if no probed device on @bus could provide one
 * or devices of more than one IOMMU driver are on @bus.
 */
struct iommu_domain *iommu_domain_alloc(const struct bus_type *bus)
{
	struct bus_domain_alloc alloc = {};
	struct iommu_domain *domain = NULL;

	bus_for_each_dev(bus, NULL, &alloc, iommu_bus_domain_scan);
	if (alloc.ambiguous)
		pr_warn("%s(%s): devices of several IOMMU drivers are on the bus, allocate for a device instead\n",
			__func__, bus->name);
	else if (alloc.dev)
		domain = iommu_bus_domain_alloc_for(alloc.dev, alloc.ops);
	put_device(alloc.dev);
	return IS_ERR(domain) ? NULL : domain;
}
EXPORT_SYMBOL_GPL(iommu_domain_alloc);

/**
 * iommu_domain_free() - Free a domain
 * @domain: a domain nothing is attached to any more
 *
 * Context: Process context.
 */
void iommu_domain_free(struct iommu_domain *domain)
{
	/* An SVA domain pins its mm_struct; keep it until the driver is done. */
	struct mm_struct *mm = domain->type == IOMMU_DOMAIN_SVA ? domain->mm : NULL;

	iommu_put_dma_cookie(domain);
	if (domain->ops->free)
		domain->ops->free(domain);
	if (mm)
		mmdrop(mm);
}
EXPORT_SYMBOL_GPL(iommu_domain_free);

/**
 * iommu_enable_nesting() - Ask the driver to make a domain nestable
 * @domain: an unmanaged domain not yet attached
 *
 * Context: Process context.
 * Return: 0, or -EINVAL if the domain or the driver cannot do it.
 */
int iommu_enable_nesting(struct iommu_domain *domain)
{
	if (domain->type != IOMMU_DOMAIN_UNMANAGED ||
	    !domain->ops->enable_nesting)
		return -EINVAL;
	return domain->ops->enable_nesting(domain);
}
EXPORT_SYMBOL_GPL(iommu_enable_nesting);

/**
 * iommu_set_pgtable_quirks() - Pass page table quirks to the driver
 * @domain: an unmanaged domain not yet attached
 * @quirk: IO_PGTABLE_QUIRK_* flags
 *
 * Context: Process context.
 * Return: 0, or -EINVAL if the domain or the driver cannot do it.
 */
int iommu_set_pgtable_quirks(struct iommu_domain *domain, unsigned long quirk)
{
	if (domain->type != IOMMU_DOMAIN_UNMANAGED ||
	    !domain->ops->set_pgtable_quirks)
		return -EINVAL;
	return domain->ops->set_pgtable_quirks(domain, quirk);
}
EXPORT_SYMBOL_GPL(iommu_set_pgtable_quirks);
