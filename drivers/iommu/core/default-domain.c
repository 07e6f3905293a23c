// SPDX-License-Identifier: GPL-2.0-only
/*
 * Each group's default domain: its type, and the switch to it.
 *
 * The default domain is what the kernel DMA API uses.  Its type comes, in
 * order of precedence, from what the group's devices require (untrusted
 * devices need translation; the driver's def_domain_type() or a global
 * static default_domain), then from the boot's policy (policy.c).
 *
 * Setting a default domain is two steps: prepare (choose the type,
 * allocate, map the members' direct regions) changes nothing the group
 * uses, and switch (publish it as the default, move the group onto it,
 * map what only an attached domain accepts) has one rollback, back to the
 * old default domain.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/pci.h>

#include "core.h"

/**
 * __iommu_group_free_domains() - Free the domains the core made for a group
 * @group: a group whose last device is leaving
 *
 * Context: group->mutex held.
 */
void __iommu_group_free_domains(struct iommu_group *group)
{
	lockdep_assert_held(&group->mutex);
	if (group->default_domain)
		iommu_domain_free(group->default_domain);
	if (group->blocking_domain)
		iommu_domain_free(group->blocking_domain);
	group->default_domain = NULL;
	group->blocking_domain = NULL;
	group->domain = NULL;
}

/* What one device's driver wants as default type: 0 for no preference. */
static int iommu_dev_required_type(struct device *dev)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);

	if (ops->default_domain)
		return ops->default_domain->type;
	return ops->def_domain_type ? ops->def_domain_type(dev) : 0;
}

/*
 * Merge what the group's devices require.  Drivers must agree across a
 * group; if they do not, identity wins as the more permissive request,
 * and the disagreement is reported.
 */
static int __iommu_group_required_type(struct iommu_group *group,
				       struct device **untrusted)
{
	struct group_device *gdev;
	int type = 0, want;

	lockdep_assert_held(&group->mutex);
	/* ARM32's DMA layer installs its own domain over an identity one. */
	if (IS_ENABLED(CONFIG_ARM_DMA_USE_IOMMU))
		type = IOMMU_DOMAIN_IDENTITY;

	for_each_group_device(group, gdev) {
		if (dev_is_pci(gdev->dev) && to_pci_dev(gdev->dev)->untrusted)
			*untrusted = gdev->dev;
		want = iommu_dev_required_type(gdev->dev);
		if (!want || want == type)
			continue;
		if (type)
			dev_err_ratelimited(gdev->dev,
					    "IOMMU driver error, requesting conflicting def_domain_type, %s and %s, for devices in group %u.\n",
					    iommu_domain_type_log_name(type),
					    iommu_domain_type_log_name(want),
					    group->id);
		if (!type || want == IOMMU_DOMAIN_IDENTITY)
			type = want;
	}
	return type;
}

/*
 * The default domain type for @group, given the caller's wish @target (0:
 * none).  Returns 0 for "the global default", or -EINVAL if the wish or
 * the devices' requirements cannot be met.
 */
static int __iommu_group_default_type(struct iommu_group *group, int target)
{
	struct device *untrusted = NULL;
	int type;

	lockdep_assert_held(&group->mutex);
	type = __iommu_group_required_type(group, &untrusted);
	/* Without the DMA API on IOMMUs only identity is usable. */
	if (!IS_ENABLED(CONFIG_IOMMU_DMA)) {
		if (WARN_ON(type == IOMMU_DOMAIN_DMA))
			return -EINVAL;
		type = type ?: IOMMU_DOMAIN_IDENTITY;
	}
	if (untrusted) {
		if (WARN_ON(IS_ENABLED(CONFIG_ARM_DMA_USE_IOMMU)))
			return -EINVAL;
		if (type && type != IOMMU_DOMAIN_DMA) {
			dev_err_ratelimited(untrusted,
					    "Device is not trusted, but driver is overriding group %u to %s, refusing to probe.\n",
					    group->id, iommu_domain_type_log_name(type));
			return -EINVAL;
		}
		type = IOMMU_DOMAIN_DMA;
	}
	if (target && type && target != type)
		return -EINVAL;
	return target ?: type;
}

static struct iommu_domain *
__iommu_group_domain_of_type(struct iommu_group *group, struct device *dev,
			     unsigned int type)
{
	lockdep_assert_held(&group->mutex);
	/* An unchanged type keeps the current default domain. */
	if (group->default_domain && group->default_domain->type == type)
		return group->default_domain;
	return iommu_domain_alloc_for_dev(dev, type);
}

/*
 * Allocate the default domain for @type (0: the global default, falling
 * back to DMA if the driver cannot provide that).  The domain is the whole
 * group's and no member asked for it, so any member's ops serve: probe
 * admits only devices of the group's driver, which vouches by grouping
 * them that they translate alike.
 */
static struct iommu_domain *
__iommu_group_alloc_default(struct iommu_group *group, int type)
{
	struct device *dev = __iommu_group_any_dev(group);
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	unsigned int def_type = iommu_default_domain_type();
	struct iommu_domain *domain;

	/* Legacy drivers with one static default domain for everything */
	if (ops->default_domain)
		return type == ops->default_domain->type ?
			ops->default_domain : ERR_PTR(-EINVAL);
	if (type)
		return __iommu_group_domain_of_type(group, dev, type);

	domain = __iommu_group_domain_of_type(group, dev, def_type);
	if (!IS_ERR(domain) || def_type == IOMMU_DOMAIN_DMA)
		return domain;
	domain = __iommu_group_domain_of_type(group, dev, IOMMU_DOMAIN_DMA);
	if (!IS_ERR(domain))
		pr_warn("Failed to allocate default IOMMU domain of type %u for group %d - Falling back to IOMMU_DOMAIN_DMA",
			def_type, group->id);
	return domain;
}

/* Map every member's direct regions; the first error, or 0. */
static int __iommu_group_map_direct(struct iommu_group *group,
				    struct iommu_domain *domain)
{
	struct group_device *gdev;
	int ret = 0, err;

	lockdep_assert_held(&group->mutex);
	for_each_group_device(group, gdev) {
		err = iommu_map_direct_regions(domain, gdev->dev);
		ret = ret ?: err;
	}
	return ret;
}

/* A default domain on its way in, and the one it replaces. */
struct iommu_default_switch {
	struct iommu_domain *old;
	struct iommu_domain *new;
	bool direct_mapped;	/* the members' direct regions are in @new */
};

/*
 * Choose the type and get the domain; map the direct regions now, as
 * firmware may be doing DMA already.  Nothing the group uses changes.
 */
static int __iommu_group_prepare_default(struct iommu_group *group,
					 int target_type,
					 struct iommu_default_switch *sw)
{
	int type;

	lockdep_assert_held(&group->mutex);
	type = __iommu_group_default_type(group, target_type);
	if (type < 0)
		return -EINVAL;
	sw->old = group->default_domain;
	sw->new = __iommu_group_alloc_default(group, type);
	if (IS_ERR(sw->new))
		return PTR_ERR(sw->new);
	if (sw->new == sw->old)
		return 0;
	sw->direct_mapped = !__iommu_group_map_direct(group, sw->new);
	/* Said by the IOMMU, which all members share. */
	if (!sw->direct_mapped)
		dev_warn_once(__iommu_group_any_dev(group)->iommu->iommu_dev->dev,
			      "IOMMU driver was not able to establish FW requested direct mapping.");
	return 0;
}

/* Back to the old default domain, wherever the switch stopped. */
static void __iommu_group_undo_switch(struct iommu_group *group,
				      struct iommu_default_switch *sw)
{
	lockdep_assert_held(&group->mutex);
	if (group->domain == sw->new)
		__iommu_group_set_domain(group, sw->old,
					 IOMMU_ATTACH_MUST_SUCCEED);
	group->default_domain = sw->old;
	iommu_domain_free(sw->new);
}

/*
 * Publish the new default domain and move the group onto it.  A group
 * without a domain must get one: its first attach cannot be refused, and
 * a failure leaves the new domain as the default for release to free.
 */
static int __iommu_group_switch_default(struct iommu_group *group,
					struct iommu_default_switch *sw)
{
	int ret;

	lockdep_assert_held(&group->mutex);
	group->default_domain = sw->new;
	if (!group->domain) {
		ret = __iommu_group_set_domain(group, sw->new,
					       IOMMU_ATTACH_MUST_SUCCEED);
		if (WARN_ON(ret))
			goto out_free_old;
	} else {
		ret = __iommu_group_set_domain(group, sw->new, 0);
		if (ret)
			goto err_undo;
	}

	/* Some drivers only accept mappings once a device is attached. */
	if (!sw->direct_mapped) {
		ret = __iommu_group_map_direct(group, sw->new);
		if (ret)
			goto err_undo;
	}
out_free_old:
	if (sw->old)
		iommu_domain_free(sw->old);
	return ret;

err_undo:
	if (sw->old)
		__iommu_group_undo_switch(group, sw);
	return ret;
}

/**
 * __iommu_group_setup_default_domain() - Give a group its default domain
 * @group: the group, with at least one member
 * @target_type: the type wanted, 0 to choose by policy
 *
 * Allocates the default domain (or keeps the current one if its type is
 * right), maps the members' direct regions into it and moves the group
 * onto it.  A group that had no domain yet must get one: the first attach
 * cannot be refused.  A group that had one keeps it if anything fails.
 *
 * Context: group->mutex held.
 * Return: 0 or an errno.
 */
int __iommu_group_setup_default_domain(struct iommu_group *group,
				       int target_type)
{
	struct iommu_default_switch sw = {};
	int ret;

	lockdep_assert_held(&group->mutex);
	ret = __iommu_group_prepare_default(group, target_type, &sw);
	if (ret || sw.new == sw.old)
		return ret;
	return __iommu_group_switch_default(group, &sw);
}

/**
 * iommu_group_default_domain() - A group's default domain
 * @group: the group
 *
 * Context: Any context; the caller keeps the group's domains stable.
 * Return: the default domain, NULL before set-up.
 */
struct iommu_domain *iommu_group_default_domain(struct iommu_group *group)
{
	return group->default_domain;
}

/**
 * iommu_get_dma_domain() - The DMA API domain of a device
 * @dev: a device of a group that has a default domain
 *
 * For the DMA API layer, which only runs for devices set up with one.
 *
 * Context: Any context.
 * Return: the default domain.
 */
struct iommu_domain *iommu_get_dma_domain(struct device *dev)
{
	return dev->iommu_group->default_domain;
}
