// SPDX-License-Identifier: GPL-2.0-only
/*
 * The default domain policy of the boot: which type a group's default
 * domain gets when its devices do not require one.
 *
 * The Kconfig default, then the command line (iommu.passthrough=,
 * iommu.strict=), then platform and driver code that knows better
 * (memory encryption, caching-mode hardware) set it, all before the first
 * IOMMU registers; it does not change afterwards.  The names of domain
 * types for logs and sysfs live here too.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/cc_platform.h>

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

/**
 * iommu_domain_type_log_name() - The name of a domain type in the kernel log
 * @type: an IOMMU_DOMAIN_* type
 *
 * As 6.12's core prints it, in the boot log and in refusals; sysfs has its
 * own (iommu_domain_type_sysfs_name()), which user space writes back.
 *
 * Context: Any context.
 * Return: the name, "Unknown" for a type without one.
 */
const char *iommu_domain_type_log_name(unsigned int type)
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
