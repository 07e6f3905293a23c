// SPDX-License-Identifier: GPL-2.0-only
/*
 * Domains: allocation through the ops of a probed device, and each
 * group's default domain.
 *
 * Every domain comes from the driver of a device that has been probed:
 * the device is what tells the core which IOMMU instance and which ops
 * apply.  Nothing looks ops up by bus; the legacy iommu_domain_alloc(bus)
 * finds a probed device on the bus and allocates for it, holding the device
 * and, while it allocates, its group, so that it is not released meanwhile;
 * a bus with devices of two IOMMU drivers is refused, as it always was.
 *
 * The default domain is what the kernel DMA API uses.  Its type comes, in
 * order of precedence, from what the group's devices require (untrusted
 * devices need translation; the driver's def_domain_type() or a global
 * static default_domain), then from the command line (iommu.passthrough=,
 * iommu.strict=) and the Kconfig default.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/cc_platform.h>
#include <linux/pci.h>
#include <linux/sched/mm.h>
#include <trace/events/iommu.h>

#include "../dma-iommu.h"
#include "core.h"

#define IOMMU_CMD_LINE_DMA_API	BIT(0)
#define IOMMU_CMD_LINE_STRICT	BIT(1)

static unsigned int iommu_def_domain_type __read_mostly;
static bool iommu_dma_strict __read_mostly =
	IS_ENABLED(CONFIG_IOMMU_DEFAULT_DMA_STRICT);
static u32 iommu_cmd_line __read_mostly;

/**
 * iommu_domain_type_sysfs_name() - The sysfs name of a domain type
 * @type: an IOMMU_DOMAIN_* type
 *
 * Context: Any context.
 * Return: the name, "unknown" for types a default domain cannot have.
 */
const char *iommu_domain_type_sysfs_name(unsigned int type)
{
	switch (type) {
	case IOMMU_DOMAIN_BLOCKED:
		return "blocked";
	case IOMMU_DOMAIN_IDENTITY:
		return "identity";
	case IOMMU_DOMAIN_UNMANAGED:
		return "unmanaged";
	case IOMMU_DOMAIN_DMA:
		return "DMA";
	case IOMMU_DOMAIN_DMA_FQ:
		return "DMA-FQ";
	}
	return "unknown";
}

/*
 * The name of a domain type in the boot log and in refusals, as 6.12's
 * core prints it; sysfs has its own (iommu_domain_type_sysfs_name()),
 * which user space writes back.
 */
static const char *iommu_domain_type_log_name(unsigned int type)
{
	switch (type) {
	case IOMMU_DOMAIN_IDENTITY:
		return "Passthrough";
	case IOMMU_DOMAIN_DMA:
	case IOMMU_DOMAIN_DMA_FQ:
		return "Translated";
	case IOMMU_DOMAIN_BLOCKED:
		return "Blocked";
	case IOMMU_DOMAIN_UNMANAGED:
		return "Unmanaged";
	case IOMMU_DOMAIN_PLATFORM:
		return "Platform";
	}
	return "Unknown";
}

/**
 * iommu_default_domain_type() - The global default domain type
 *
 * Context: Any context.
 * Return: IOMMU_DOMAIN_IDENTITY, IOMMU_DOMAIN_DMA or IOMMU_DOMAIN_DMA_FQ.
 */
unsigned int iommu_default_domain_type(void)
{
	return iommu_def_domain_type;
}

static int __init iommu_passthrough_setup(char *str)
{
	bool passthrough;
	int ret = kstrtobool(str, &passthrough);

	if (ret)
		return ret;
	if (passthrough)
		iommu_set_default_passthrough(true);
	else
		iommu_set_default_translated(true);
	return 0;
}
early_param("iommu.passthrough", iommu_passthrough_setup);

static int __init iommu_strict_setup(char *str)
{
	int ret = kstrtobool(str, &iommu_dma_strict);

	if (!ret)
		iommu_cmd_line |= IOMMU_CMD_LINE_STRICT;
	return ret;
}
early_param("iommu.strict", iommu_strict_setup);

/**
 * iommu_set_dma_strict() - Force strict invalidation for DMA domains
 *
 * For IOMMU drivers whose hardware makes lazy invalidation unsafe or slow
 * (for example when caching mode means every invalidation traps).
 *
 * Context: Boot, before default domains are set up.
 */
void iommu_set_dma_strict(void)
{
	iommu_dma_strict = true;
	if (iommu_def_domain_type == IOMMU_DOMAIN_DMA_FQ)
		iommu_def_domain_type = IOMMU_DOMAIN_DMA;
}

static void iommu_set_default_type(unsigned int type, bool cmd_line)
{
	iommu_def_domain_type = type;
	if (cmd_line)
		iommu_cmd_line |= IOMMU_CMD_LINE_DMA_API;
}

/**
 * iommu_set_default_passthrough() - Make identity the default domain type
 * @cmd_line: whether the user asked for it on the command line
 *
 * Context: Boot.
 */
void iommu_set_default_passthrough(bool cmd_line)
{
	iommu_set_default_type(IOMMU_DOMAIN_IDENTITY, cmd_line);
}

/**
 * iommu_set_default_translated() - Make DMA the default domain type
 * @cmd_line: whether the user asked for it on the command line
 *
 * Context: Boot.
 */
void iommu_set_default_translated(bool cmd_line)
{
	iommu_set_default_type(IOMMU_DOMAIN_DMA, cmd_line);
}

/**
 * iommu_default_passthrough() - Whether identity is the default type
 *
 * Context: Any context.
 * Return: true if default domains are identity unless a device needs more.
 */
bool iommu_default_passthrough(void)
{
	return iommu_default_domain_type() == IOMMU_DOMAIN_IDENTITY;
}
EXPORT_SYMBOL_GPL(iommu_default_passthrough);

static int __init iommu_default_policy_init(void)
{
	bool from_cmdline = iommu_cmd_line & IOMMU_CMD_LINE_DMA_API;

	if (!from_cmdline) {
		if (IS_ENABLED(CONFIG_IOMMU_DEFAULT_PASSTHROUGH))
			iommu_set_default_passthrough(false);
		else
			iommu_set_default_translated(false);
		/* Encrypted guests must not let devices see all of memory. */
		if (iommu_default_passthrough() &&
		    cc_platform_has(CC_ATTR_MEM_ENCRYPT)) {
			pr_info("Memory encryption detected - Disabling default IOMMU Passthrough\n");
			iommu_set_default_translated(false);
		}
	}
	if (!iommu_default_passthrough() && !iommu_dma_strict)
		iommu_def_domain_type = IOMMU_DOMAIN_DMA_FQ;

	pr_info("Default domain type: %s%s\n",
		iommu_domain_type_log_name(iommu_def_domain_type),
		from_cmdline ? " (set via kernel command line)" : "");
	if (!iommu_default_passthrough())
		pr_info("DMA domain TLB invalidation policy: %s mode%s\n",
			iommu_dma_strict ? "strict" : "lazy",
			(iommu_cmd_line & IOMMU_CMD_LINE_STRICT) ?
				" (set via kernel command line)" : "");
	return 0;
}
subsys_initcall(iommu_default_policy_init);

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
	struct iommu_domain *domain;

	/* Legacy drivers with one static default domain for everything */
	if (ops->default_domain)
		return type == ops->default_domain->type ?
			ops->default_domain : ERR_PTR(-EINVAL);
	if (type)
		return __iommu_group_domain_of_type(group, dev, type);

	domain = __iommu_group_domain_of_type(group, dev, iommu_def_domain_type);
	if (!IS_ERR(domain) || iommu_def_domain_type == IOMMU_DOMAIN_DMA)
		return domain;
	domain = __iommu_group_domain_of_type(group, dev, IOMMU_DOMAIN_DMA);
	if (!IS_ERR(domain))
		pr_warn("Failed to allocate default IOMMU domain of type %u for group %d - Falling back to IOMMU_DOMAIN_DMA",
			iommu_def_domain_type, group->id);
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
	struct iommu_domain *old = group->default_domain, *domain;
	bool direct_ok;
	int type, ret;

	lockdep_assert_held(&group->mutex);
	type = __iommu_group_default_type(group, target_type);
	if (type < 0)
		return -EINVAL;
	domain = __iommu_group_alloc_default(group, type);
	if (IS_ERR(domain))
		return PTR_ERR(domain);
	if (domain == old)
		return 0;

	/* Firmware may be doing DMA already: map before attaching. */
	direct_ok = !__iommu_group_map_direct(group, domain);
	/* Said by the IOMMU, which all members share. */
	if (!direct_ok)
		dev_warn_once(__iommu_group_any_dev(group)->iommu->iommu_dev->dev,
			      "IOMMU driver was not able to establish FW requested direct mapping.");

	group->default_domain = domain;
	if (!group->domain) {
		/* On failure release_device() frees it as the default. */
		ret = __iommu_group_set_domain(group, domain,
					       IOMMU_ATTACH_MUST_SUCCEED);
		if (WARN_ON(ret))
			goto out_free_old;
	} else {
		ret = __iommu_group_set_domain(group, domain, 0);
		if (ret)
			goto err_restore_default;
	}

	/* Some drivers only accept mappings once a device is attached. */
	if (!direct_ok) {
		ret = __iommu_group_map_direct(group, domain);
		if (ret)
			goto err_restore_domain;
	}
out_free_old:
	if (old)
		iommu_domain_free(old);
	return ret;

err_restore_domain:
	if (old)
		__iommu_group_set_domain(group, old, IOMMU_ATTACH_MUST_SUCCEED);
err_restore_default:
	if (old) {
		iommu_domain_free(domain);
		group->default_domain = old;
	}
	return ret;
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

/**
 * iommu_set_fault_handler() - Install a fault handler on a domain
 * @domain: the domain
 * @handler: called by report_iommu_fault()
 * @token: passed to @handler
 *
 * Context: Any context; not concurrently with faults on @domain.
 */
void iommu_set_fault_handler(struct iommu_domain *domain,
			     iommu_fault_handler_t handler, void *token)
{
	if (WARN_ON(!domain))
		return;
	domain->handler = handler;
	domain->handler_token = token;
}
EXPORT_SYMBOL_GPL(iommu_set_fault_handler);

/**
 * report_iommu_fault() - Report a fault to the domain's user
 * @domain: the domain the fault happened in
 * @dev: the faulting device
 * @iova: the faulting address
 * @flags: IOMMU_FAULT_READ or IOMMU_FAULT_WRITE
 *
 * For IOMMU drivers, from their fault handling.
 *
 * Context: Whatever the driver's fault path is; the handler must cope.
 * Return: the handler's result, or -ENOSYS if there is no handler.
 */
int report_iommu_fault(struct iommu_domain *domain, struct device *dev,
		       unsigned long iova, int flags)
{
	trace_io_page_fault(dev, iova, flags);
	if (!domain->handler)
		return -ENOSYS;
	return domain->handler(domain, dev, iova, flags, domain->handler_token);
}
EXPORT_SYMBOL_GPL(report_iommu_fault);

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
