/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * I/O Address Space IDs (PASIDs): one system-wide space of IDs, split into
 * sets.  A set is a namespace with an owner token and a quota; every ID
 * belongs to exactly one set and lookups are scoped to it.  An ID carries
 * private data that may be attached after allocation and is looked up
 * under RCU without a lock.  A paravirtual IOMMU driver may register a
 * custom allocator that hands out IDs from the host's space; the framework
 * still tracks every ID for lookup.  See Documentation/driver-api/ioasid.rst.
 */
#ifndef __LINUX_IOASID_H
#define __LINUX_IOASID_H

#include <linux/iommu.h>
#include <linux/limits.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/types.h>

/* ioasid_t, IOMMU_NO_PASID and IOMMU_PASID_INVALID come from iommu.h. */
#define INVALID_IOASID		IOMMU_PASID_INVALID
#define IOASID_BITS		20
#define IOASID_MAX		((ioasid_t)(BIT(IOASID_BITS) - 1))

/**
 * struct ioasid_set - A namespace of IDs
 * @token: the owner (an mm, a VFIO or iommufd context), for its own checks
 * @quota: how many IDs the set may hold at once
 * @nr_ioasids: how many it holds now
 * @refs: references: the owner's, one per ID, and ioasid_set_get()'s
 * @rcu: for freeing after concurrent lookups are done with it
 *
 * Only ioasid_system_set is static; other sets come from ioasid_set_alloc().
 * Users treat the fields as private to the framework.
 */
struct ioasid_set {
	void *token;
	unsigned int quota;
	atomic_t nr_ioasids;
	refcount_t refs;
	struct rcu_head rcu;
};

/**
 * struct ioasid_allocator_ops - A custom (paravirtual) ID allocator
 * @alloc: return a free ID in [min, max], or INVALID_IOASID.  Called in
 *	   process context and may sleep; calls may run concurrently.
 * @free: give back an ID that @alloc returned.  May be called in atomic
 *	  context (from ioasid_put()) and must not sleep.
 * @pdata: passed to both, for the allocator's own use
 */
struct ioasid_allocator_ops {
	ioasid_t (*alloc)(ioasid_t min, ioasid_t max, void *pdata);
	void (*free)(ioasid_t id, void *pdata);
	void *pdata;
};

#if IS_ENABLED(CONFIG_IOASID)
extern struct ioasid_set ioasid_system_set;

struct ioasid_set *ioasid_set_alloc(void *token, unsigned int quota);
void ioasid_set_get(struct ioasid_set *set);
void ioasid_set_put(struct ioasid_set *set);
int ioasid_set_free(struct ioasid_set *set);
unsigned int ioasid_set_count(struct ioasid_set *set);

int ioasid_alloc(struct ioasid_set *set, ioasid_t min, ioasid_t max,
		 void *private);
int ioasid_get(struct ioasid_set *set, ioasid_t id);
int ioasid_put(struct ioasid_set *set, ioasid_t id);
void ioasid_free(struct ioasid_set *set, ioasid_t id);
int ioasid_attach_data(struct ioasid_set *set, ioasid_t id, void *private);
void *ioasid_find(struct ioasid_set *set, ioasid_t id,
		  bool (*getter)(void *private));

int ioasid_register_allocator(const struct ioasid_allocator_ops *ops);
int ioasid_unregister_allocator(const struct ioasid_allocator_ops *ops);
#else
static inline struct ioasid_set *ioasid_set_alloc(void *token,
						  unsigned int quota)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void ioasid_set_get(struct ioasid_set *set) {}
static inline void ioasid_set_put(struct ioasid_set *set) {}

static inline int ioasid_set_free(struct ioasid_set *set)
{
	return -EOPNOTSUPP;
}

static inline unsigned int ioasid_set_count(struct ioasid_set *set)
{
	return 0;
}

static inline int ioasid_alloc(struct ioasid_set *set, ioasid_t min,
			       ioasid_t max, void *private)
{
	return -EOPNOTSUPP;
}

static inline int ioasid_get(struct ioasid_set *set, ioasid_t id)
{
	return -EOPNOTSUPP;
}

static inline int ioasid_put(struct ioasid_set *set, ioasid_t id)
{
	return -EOPNOTSUPP;
}

static inline void ioasid_free(struct ioasid_set *set, ioasid_t id) {}

static inline int ioasid_attach_data(struct ioasid_set *set, ioasid_t id,
				     void *private)
{
	return -EOPNOTSUPP;
}

static inline void *ioasid_find(struct ioasid_set *set, ioasid_t id,
				bool (*getter)(void *private))
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline int
ioasid_register_allocator(const struct ioasid_allocator_ops *ops)
{
	return -EOPNOTSUPP;
}

static inline int
ioasid_unregister_allocator(const struct ioasid_allocator_ops *ops)
{
	return -EOPNOTSUPP;
}
#endif /* CONFIG_IOASID */
#endif /* __LINUX_IOASID_H */
