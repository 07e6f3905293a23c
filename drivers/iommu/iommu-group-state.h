/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the group-centric IOMMU core says about a group's state: why it
 * refuses a claim or a new kernel DMA user (its messages name the reason),
 * and, for KUnit only, a snapshot of the state the public API does not
 * show.  The core's files keep the state private; its suites read it here
 * and nowhere else.
 *
 * The two calls at the end are test seams, built with KUnit only
 * (VISIBLE_IF_KUNIT, EXPORT_SYMBOL_IF_KUNIT).  A core without them (the
 * base's) gets the stubs: the harness does not run the suites that need
 * them there, and if they are run, they say why they cannot pass.
 */
#ifndef __IOMMU_GROUP_STATE_H
#define __IOMMU_GROUP_STATE_H

#include <linux/errno.h>
#include <linux/types.h>

struct device;
struct iommu_domain;
struct iommu_group;

/**
 * enum iommu_group_busy - Why a group refuses a claim or a kernel DMA user
 * @IOMMU_GROUP_FREE: nothing stands in the way
 * @IOMMU_GROUP_BUSY_OWNER: user space owns the group
 * @IOMMU_GROUP_BUSY_DRIVER: a member's bound driver uses the kernel DMA API
 * @IOMMU_GROUP_BUSY_DMA_API: a member uses the kernel DMA API with no
 *	driver bound (a driver probing, or a caller of
 *	iommu_device_use_dma_api() outside a bus)
 * @IOMMU_GROUP_BUSY_PASID: PASIDs are attached to members
 * @IOMMU_GROUP_BUSY_DOMAIN: a kernel driver attached the group to a domain
 *	of its own
 *
 * The first that applies, in this order, is the one reported.
 */
enum iommu_group_busy {
	IOMMU_GROUP_FREE,
	IOMMU_GROUP_BUSY_OWNER,
	IOMMU_GROUP_BUSY_DRIVER,
	IOMMU_GROUP_BUSY_DMA_API,
	IOMMU_GROUP_BUSY_PASID,
	IOMMU_GROUP_BUSY_DOMAIN,
};

/**
 * struct iommu_group_state - A group's state at one moment, for KUnit
 * @owner_cnt: kernel DMA API users, or claims of the user-space owner
 * @owner: the user-space owner's cookie, NULL for none
 * @domain: the domain the members are attached to
 * @default_domain: the kernel DMA API's domain
 * @blocking_domain: the domain that blocks all DMA, NULL before the first
 *	claim
 * @has_pasids: whether any PASID is attached
 * @nr_devices: how many members the group has
 * @busy: why a claim by a new owner would be refused now
 */
struct iommu_group_state {
	unsigned int owner_cnt;
	const void *owner;
	struct iommu_domain *domain;
	struct iommu_domain *default_domain;
	struct iommu_domain *blocking_domain;
	bool has_pasids;
	unsigned int nr_devices;
	enum iommu_group_busy busy;
};

#if !IS_ENABLED(CONFIG_IOMMU_GROUP_CORE)
static inline int
iommu_group_get_state(struct iommu_group *group,
		      struct iommu_group_state *state,
		      bool (*check_member)(struct device *dev,
					   const struct iommu_group_state *state))
{
	return -EOPNOTSUPP;
}

static inline ssize_t iommu_group_store_type(struct iommu_group *group,
					     const char *buf, size_t count)
{
	return -EOPNOTSUPP;
}
#elif IS_ENABLED(CONFIG_KUNIT)
int iommu_group_get_state(struct iommu_group *group,
			  struct iommu_group_state *state,
			  bool (*check_member)(struct device *dev,
					       const struct iommu_group_state *state));
ssize_t iommu_group_store_type(struct iommu_group *group, const char *buf,
			       size_t count);
#endif

#endif /* __IOMMU_GROUP_STATE_H */
