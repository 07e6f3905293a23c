// SPDX-License-Identifier: GPL-2.0-only
/*
 * I/O Address Space ID allocator.
 *
 * The 2^20 IDs are a two-level table indexed by the ID: a static array of
 * leaves, each leaf 512 slots and a bitmap of which are used, allocated
 * when its first ID is and freed after a grace period when its last one
 * is (leaf 0 stays, and so does one emptied leaf).  A bitmap of full
 * leaves lets the lowest free ID be found without visiting them.  A
 * lookup is two dependent loads, the same at any number of live IDs.
 *
 * A slot holds the ID's entry.  An ID with a set other than the system
 * set, with private data, or from a custom allocator has a struct
 * ioasid_data: its set, data, allocator and reference count.  A global
 * PASID (system set, built-in allocator, no data) is most IDs and is
 * allocated and freed often, so its entry is only a value holding its
 * reference count: no allocation, no grace period.  Attaching data to it
 * turns it into a record for the rest of its life.
 *
 * Lookups run under RCU only.  Writers of the table, of a reference count
 * and of an entry's private data hold ioasid_lock, IRQ-safe, so an ID can
 * be put from any context; an entry is cleared in the same critical
 * section that drops its last reference, and a record is freed after a
 * grace period.
 *
 * The built-in allocator takes no other lock.  While a custom allocator
 * is registered, ioasid_alloc() holds ioasid_allocator_rwsem for read
 * around it; (un)registering holds the rwsem for write and publishes the
 * change under ioasid_lock, where the built-in allocator checks for it.
 * Only one custom allocator can be active, and switching is refused while
 * IDs the current allocator handed out are live: the custom allocator's
 * nr_live, or any ID at all while the built-in allocator is in use.
 *
 * Lock order: ioasid_allocator_rwsem, then ioasid_lock.
 */
#include <linux/ioasid.h>
#include <linux/bitmap.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/lockdep.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#define IOASID_LEAF_SHIFT	9
#define IOASID_LEAF_IDS		BIT(IOASID_LEAF_SHIFT)
#define IOASID_NR_LEAVES	((IOASID_MAX >> IOASID_LEAF_SHIFT) + 1)

struct ioasid_leaf {
	DECLARE_BITMAP(used, IOASID_LEAF_IDS);	/* under ioasid_lock */
	unsigned int nr_used;			/* under ioasid_lock */
	struct rcu_head rcu;
	void __rcu *slot[IOASID_LEAF_IDS];
};

struct ioasid_allocator_data {
	const struct ioasid_allocator_ops *ops;
	atomic_t nr_live;		/* IDs it handed out that are live */
};

struct ioasid_data {
	struct ioasid_set *set;
	void __rcu *private;
	/* The custom allocator that handed out the ID, NULL: the built-in. */
	struct ioasid_allocator_data *allocator;
	unsigned long users;		/* under ioasid_lock */
	struct rcu_head rcu;
};

static DEFINE_SPINLOCK(ioasid_lock);
/* Protected by ioasid_lock, read under RCU: */
static struct ioasid_leaf __rcu *ioasid_leaves[IOASID_NR_LEAVES];
/* Protected by ioasid_lock: */
static DECLARE_BITMAP(ioasid_full_leaves, IOASID_NR_LEAVES);
/*
 * One emptied leaf stays allocated (0: none; leaf 0 always stays), so
 * that IDs coming and going at a leaf's edge do not allocate a leaf and
 * free it after a grace period each time.
 */
static unsigned int ioasid_kept_leaf;
static struct kmem_cache *ioasid_leaf_cache;

static DECLARE_RWSEM(ioasid_allocator_rwsem);
/* Written under both locks; either one keeps it stable. */
static struct ioasid_allocator_data *ioasid_custom;

/* The set of the core's global PASIDs and of SVA: all the space, static. */
struct ioasid_set ioasid_system_set = {
	.quota = IOASID_MAX + 1,
	.nr_ioasids = ATOMIC_INIT(0),
	.refs = REFCOUNT_INIT(1),
};
EXPORT_SYMBOL_GPL(ioasid_system_set);

/**
 * ioasid_set_alloc() - Allocate a set of IDs
 * @token: the owner, e.g. an mm or an iommufd context; not NULL
 * @quota: how many IDs the set may hold at once, 1 to IOASID_MAX + 1
 *
 * The caller holds the set's first reference; ioasid_set_free() gives it
 * back.
 *
 * Context: Process context. May sleep.
 * Return: the set, ERR_PTR(-EINVAL) for a NULL token or a quota out of
 * range, or ERR_PTR(-ENOMEM).
 */
struct ioasid_set *ioasid_set_alloc(void *token, unsigned int quota)
{
	struct ioasid_set *set;

	if (!token || !quota || quota > IOASID_MAX + 1)
		return ERR_PTR(-EINVAL);
	set = kzalloc(sizeof(*set), GFP_KERNEL);
	if (!set)
		return ERR_PTR(-ENOMEM);
	set->token = token;
	set->quota = quota;
	atomic_set(&set->nr_ioasids, 0);
	refcount_set(&set->refs, 1);
	return set;
}
EXPORT_SYMBOL_GPL(ioasid_set_alloc);

/**
 * ioasid_set_get() - Take a reference on a set
 * @set: the set, which the caller already holds a reference on
 *
 * Context: Any context.
 */
void ioasid_set_get(struct ioasid_set *set)
{
	refcount_inc(&set->refs);
}
EXPORT_SYMBOL_GPL(ioasid_set_get);

/**
 * ioasid_set_put() - Drop a reference on a set
 * @set: the set
 *
 * Every live ID holds a reference on its set, so a set is freed only once
 * it holds no ID and every user is done with it.
 *
 * Context: Any context.
 */
void ioasid_set_put(struct ioasid_set *set)
{
	if (refcount_dec_and_test(&set->refs)) {
		if (WARN_ON(set == &ioasid_system_set))
			return;
		kfree_rcu(set, rcu);
	}
}
EXPORT_SYMBOL_GPL(ioasid_set_put);

/**
 * ioasid_set_free() - Give back the owner's reference on a set
 * @set: a set from ioasid_set_alloc()
 *
 * The owner frees its IDs first: a set that still holds IDs is not freed.
 * The owner must not allocate from @set concurrently.
 *
 * Context: Any context.
 * Return: 0; -EBUSY if the set holds IDs, with nothing changed; -EINVAL
 * for the system set.
 */
int ioasid_set_free(struct ioasid_set *set)
{
	if (set == &ioasid_system_set)
		return -EINVAL;
	if (atomic_read(&set->nr_ioasids))
		return -EBUSY;
	ioasid_set_put(set);
	return 0;
}
EXPORT_SYMBOL_GPL(ioasid_set_free);

/**
 * ioasid_set_count() - How many IDs a set holds
 * @set: the set
 *
 * Context: Any context.
 * Return: the number of live IDs of @set, a snapshot.
 */
unsigned int ioasid_set_count(struct ioasid_set *set)
{
	return atomic_read(&set->nr_ioasids);
}
EXPORT_SYMBOL_GPL(ioasid_set_count);

/*
 * Count one more ID in @set unless that goes over its quota, and take the
 * ID's reference on the set.  The system set is static and its quota the
 * whole space: it is only counted.
 */
static bool ioasid_set_charge(struct ioasid_set *set)
{
	int old;

	if (set == &ioasid_system_set) {
		atomic_inc(&set->nr_ioasids);
		return true;
	}
	old = atomic_read(&set->nr_ioasids);
	do {
		if ((unsigned int)old >= set->quota)
			return false;
	} while (!atomic_try_cmpxchg(&set->nr_ioasids, &old, old + 1));
	ioasid_set_get(set);
	return true;
}

static void ioasid_set_uncharge(struct ioasid_set *set)
{
	atomic_dec(&set->nr_ioasids);
	if (set != &ioasid_system_set)
		ioasid_set_put(set);
}

/*
 * A slot holds NULL, a struct ioasid_data, or a bare global PASID: its
 * reference count shifted left, with bit 0 set, which no record has.
 */
static bool ioasid_is_bare(const void *entry)
{
	return (unsigned long)entry & 1;
}

static void *ioasid_bare(unsigned long users)
{
	return (void *)(users << 1 | 1);
}

static unsigned long ioasid_bare_users(const void *entry)
{
	return (unsigned long)entry >> 1;
}

/* The set of an entry: a record's, or the system set for a bare ID. */
static struct ioasid_set *ioasid_entry_set(void *entry)
{
	if (ioasid_is_bare(entry))
		return &ioasid_system_set;
	return ((struct ioasid_data *)entry)->set;
}

static struct ioasid_leaf *ioasid_leaf_at(unsigned int l)
{
	return rcu_dereference_check(ioasid_leaves[l],
				     lockdep_is_held(&ioasid_lock));
}

/* The entry of @id, NULL if it is not live; under RCU or ioasid_lock. */
static void *ioasid_load(ioasid_t id)
{
	struct ioasid_leaf *leaf;

	if (id > IOASID_MAX)
		return NULL;
	leaf = ioasid_leaf_at(id >> IOASID_LEAF_SHIFT);
	if (!leaf)
		return NULL;
	return rcu_dereference_check(leaf->slot[id % IOASID_LEAF_IDS],
				     lockdep_is_held(&ioasid_lock));
}

/* Replace the entry of the live @id. */
static void __ioasid_store(ioasid_t id, void *entry)
{
	struct ioasid_leaf *leaf = ioasid_leaf_at(id >> IOASID_LEAF_SHIFT);

	lockdep_assert_held(&ioasid_lock);
	rcu_assign_pointer(leaf->slot[id % IOASID_LEAF_IDS], entry);
}

/* The lowest free ID in [@min, @max], or -ENOSPC; a missing leaf is free. */
static int __ioasid_find_free(ioasid_t min, ioasid_t max)
{
	unsigned int l = min >> IOASID_LEAF_SHIFT;
	unsigned int last = max >> IOASID_LEAF_SHIFT;
	unsigned int first, end, off;
	struct ioasid_leaf *leaf;

	lockdep_assert_held(&ioasid_lock);
	for (;; l++) {
		l = find_next_zero_bit(ioasid_full_leaves, last + 1, l);
		if (l > last)
			return -ENOSPC;
		first = l == min >> IOASID_LEAF_SHIFT ? min % IOASID_LEAF_IDS : 0;
		end = l == last ? max % IOASID_LEAF_IDS + 1 : IOASID_LEAF_IDS;
		leaf = ioasid_leaf_at(l);
		if (!leaf)
			return l << IOASID_LEAF_SHIFT | first;
		off = find_next_zero_bit(leaf->used, end, first);
		if (off < end)
			return l << IOASID_LEAF_SHIFT | off;
	}
}

/*
 * Make the free @id live with @entry.  A missing leaf is installed from
 * *@spare; -ENOMEM if there is none.
 */
static int __ioasid_take(ioasid_t id, void *entry, struct ioasid_leaf **spare)
{
	unsigned int l = id >> IOASID_LEAF_SHIFT, off = id % IOASID_LEAF_IDS;
	struct ioasid_leaf *leaf = ioasid_leaf_at(l);

	lockdep_assert_held(&ioasid_lock);
	if (!leaf) {
		if (!*spare)
			return -ENOMEM;
		leaf = *spare;
		*spare = NULL;
		rcu_assign_pointer(ioasid_leaves[l], leaf);
	}
	__set_bit(off, leaf->used);
	if (!leaf->nr_used++ && l == ioasid_kept_leaf)
		ioasid_kept_leaf = 0;
	if (leaf->nr_used == IOASID_LEAF_IDS)
		__set_bit(l, ioasid_full_leaves);
	rcu_assign_pointer(leaf->slot[off], entry);
	return id;
}

/* Make the live @id free; an emptied leaf goes after a grace period. */
static void __ioasid_clear(ioasid_t id)
{
	unsigned int l = id >> IOASID_LEAF_SHIFT, off = id % IOASID_LEAF_IDS;
	struct ioasid_leaf *leaf = ioasid_leaf_at(l);

	lockdep_assert_held(&ioasid_lock);
	RCU_INIT_POINTER(leaf->slot[off], NULL);
	__clear_bit(off, leaf->used);
	__clear_bit(l, ioasid_full_leaves);
	/* Leaf 0 stays: most systems never use another. */
	if (--leaf->nr_used || !l)
		return;
	if (!ioasid_kept_leaf) {
		ioasid_kept_leaf = l;
		return;
	}
	RCU_INIT_POINTER(ioasid_leaves[l], NULL);
	kfree_rcu(leaf, rcu);
}

static int __ioasid_insert(void *entry, ioasid_t min, ioasid_t max,
			   bool builtin, struct ioasid_leaf **spare)
{
	int id;

	lockdep_assert_held(&ioasid_lock);
	if (builtin && ioasid_custom)
		return -EAGAIN;
	id = __ioasid_find_free(min, max);
	if (id < 0)
		return id;
	return __ioasid_take(id, entry, spare);
}

/*
 * Give @entry the lowest free ID in [@min, @max]: the ID, -ENOSPC or
 * -ENOMEM; -EAGAIN, with nothing done, if @builtin and a custom allocator
 * has been registered.
 */
static int ioasid_insert(void *entry, ioasid_t min, ioasid_t max,
			 bool builtin)
{
	struct ioasid_leaf *spare = NULL;
	int id;

	spin_lock_irq(&ioasid_lock);
	id = __ioasid_insert(entry, min, max, builtin, &spare);
	if (id == -ENOMEM) {
		/* A new leaf: allocate it unlocked, then look again. */
		spin_unlock_irq(&ioasid_lock);
		spare = kmem_cache_zalloc(ioasid_leaf_cache, GFP_KERNEL);
		if (!spare)
			return -ENOMEM;
		spin_lock_irq(&ioasid_lock);
		id = __ioasid_insert(entry, min, max, builtin, &spare);
	}
	spin_unlock_irq(&ioasid_lock);
	if (spare)
		kmem_cache_free(ioasid_leaf_cache, spare);
	return id;
}

/* A new entry with one reference: a bare global PASID, or a record. */
static void *ioasid_new_entry(struct ioasid_set *set, void *private,
			      struct ioasid_allocator_data *allocator)
{
	struct ioasid_data *data;

	if (set == &ioasid_system_set && !private && !allocator)
		return ioasid_bare(1);
	data = kzalloc(sizeof(*data), GFP_KERNEL);
	if (!data)
		return ERR_PTR(-ENOMEM);
	data->set = set;
	RCU_INIT_POINTER(data->private, private);
	data->allocator = allocator;
	data->users = 1;
	return data;
}

static void ioasid_free_new_entry(void *entry)
{
	if (!ioasid_is_bare(entry))
		kfree(entry);
}

static int ioasid_alloc_builtin(struct ioasid_set *set, ioasid_t min,
				ioasid_t max, void *private)
{
	void *entry = ioasid_new_entry(set, private, NULL);
	int id;

	if (IS_ERR(entry))
		return PTR_ERR(entry);
	id = ioasid_insert(entry, min, max, true);
	if (id < 0)
		ioasid_free_new_entry(entry);
	return id;
}

static int __ioasid_alloc_custom(struct ioasid_set *set, ioasid_t min,
				 ioasid_t max, void *private)
{
	struct ioasid_allocator_data *a = ioasid_custom;
	const struct ioasid_allocator_ops *ops = a->ops;
	void *entry;
	ioasid_t id;
	int ret;

	lockdep_assert_held(&ioasid_allocator_rwsem);
	entry = ioasid_new_entry(set, private, a);
	if (IS_ERR(entry))
		return PTR_ERR(entry);
	id = ops->alloc(min, max, ops->pdata);
	if (id == INVALID_IOASID) {
		ret = -ENOSPC;
		goto free_entry;
	}
	if (id < min || id > max) {
		ret = -EIO;
		goto free_id;
	}
	/* Counted before it is published: its free may come at once. */
	atomic_inc(&a->nr_live);
	ret = ioasid_insert(entry, id, id, false);
	if (ret >= 0)
		return ret;
	atomic_dec(&a->nr_live);
	if (ret == -ENOSPC) {
		/* Handed out twice: it belongs to the live ID, keep it. */
		ret = -EBUSY;
		goto free_entry;
	}
free_id:
	ops->free(id, ops->pdata);
free_entry:
	ioasid_free_new_entry(entry);
	return ret;
}

/* Allocate with the allocator of the moment held in place. */
static int ioasid_alloc_locked(struct ioasid_set *set, ioasid_t min,
			       ioasid_t max, void *private)
{
	int ret;

	down_read(&ioasid_allocator_rwsem);
	if (ioasid_custom)
		ret = __ioasid_alloc_custom(set, min, max, private);
	else
		ret = ioasid_alloc_builtin(set, min, max, private);
	up_read(&ioasid_allocator_rwsem);
	return ret;
}

/**
 * ioasid_alloc() - Allocate an ID in a set
 * @set: the set
 * @min: the lowest acceptable ID
 * @max: the highest acceptable ID, at most IOASID_MAX
 * @private: the ID's private data, or NULL to attach it later with
 *	     ioasid_attach_data()
 *
 * A registered custom allocator picks the ID, otherwise the built-in one
 * does: the lowest free ID in range.  The ID is tracked for lookup either
 * way, and published with @private, so a concurrent ioasid_find() sees it
 * initialised.  The caller holds its only reference; ioasid_free() drops
 * it.
 *
 * Context: Process context. May sleep.
 * Return: the ID, or -EINVAL for a bad range or no set; -EDQUOT if @set is
 * at its quota; -ENOSPC if no ID in range is free (or the custom allocator
 * found none); -EIO if the custom allocator returned an ID out of range;
 * -EBUSY if it returned an ID that is already live; -ENOMEM.
 */
int ioasid_alloc(struct ioasid_set *set, ioasid_t min, ioasid_t max,
		 void *private)
{
	int ret = -EAGAIN;

	if (!set || min > max || max > IOASID_MAX)
		return -EINVAL;
	if (!ioasid_set_charge(set))
		return -EDQUOT;
	if (!READ_ONCE(ioasid_custom))
		ret = ioasid_alloc_builtin(set, min, max, private);
	if (ret == -EAGAIN)
		ret = ioasid_alloc_locked(set, min, max, private);
	if (ret < 0)
		ioasid_set_uncharge(set);
	return ret;
}
EXPORT_SYMBOL_GPL(ioasid_alloc);

/* The live entry of @id, if it is in @set, in *@entry; under RCU or lock. */
static int ioasid_load_in_set(struct ioasid_set *set, ioasid_t id,
			      void **entry)
{
	*entry = ioasid_load(id);
	if (!*entry)
		return -ENOENT;
	if (ioasid_entry_set(*entry) != set)
		return -EACCES;
	return 0;
}

static void __ioasid_get_entry(ioasid_t id, void *entry)
{
	lockdep_assert_held(&ioasid_lock);
	if (ioasid_is_bare(entry))
		__ioasid_store(id, ioasid_bare(ioasid_bare_users(entry) + 1));
	else
		((struct ioasid_data *)entry)->users++;
}

/* Drop a reference; the last one frees the ID.  True if it did. */
static bool __ioasid_put_entry(ioasid_t id, void *entry)
{
	struct ioasid_data *data = entry;
	unsigned long users;

	lockdep_assert_held(&ioasid_lock);
	if (ioasid_is_bare(entry)) {
		users = ioasid_bare_users(entry) - 1;
		if (users)
			__ioasid_store(id, ioasid_bare(users));
	} else {
		users = --data->users;
	}
	if (!users)
		__ioasid_clear(id);
	return !users;
}

/**
 * ioasid_get() - Take a reference on an ID
 * @set: the set the ID must belong to
 * @id: the ID
 *
 * Context: Any context. Takes an IRQ-safe spinlock.
 * Return: 0; -ENOENT if @id is not live; -EACCES if it is in another set.
 */
int ioasid_get(struct ioasid_set *set, ioasid_t id)
{
	unsigned long flags;
	void *entry;
	int ret;

	spin_lock_irqsave(&ioasid_lock, flags);
	ret = ioasid_load_in_set(set, id, &entry);
	if (!ret)
		__ioasid_get_entry(id, entry);
	spin_unlock_irqrestore(&ioasid_lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(ioasid_get);

/* Give a freed ID back to its allocator and its set. */
static void ioasid_release(void *entry, ioasid_t id)
{
	struct ioasid_data *data = entry;
	struct ioasid_allocator_data *a;
	struct ioasid_set *set;

	if (ioasid_is_bare(entry)) {
		ioasid_set_uncharge(&ioasid_system_set);
		return;
	}
	a = data->allocator;
	if (a) {
		a->ops->free(id, a->ops->pdata);
		/* The last access to @a: unregistering may free it. */
		atomic_dec_return_release(&a->nr_live);
	}
	set = data->set;
	kfree_rcu(data, rcu);
	ioasid_set_uncharge(set);
}

/**
 * ioasid_put() - Drop a reference on an ID
 * @set: the set the ID must belong to
 * @id: the ID
 *
 * The last reference frees the ID: ioasid_find() stops seeing it at once,
 * and the ID goes back to the allocator that handed it out.  Its private
 * data is the caller's: free it only after a grace period.
 *
 * Context: Any context. A custom allocator's free() is called from here.
 * Return: 1 if the ID was freed, 0 if references remain; -ENOENT if @id is
 * not live; -EACCES if it is in another set.
 */
int ioasid_put(struct ioasid_set *set, ioasid_t id)
{
	unsigned long flags;
	bool last = false;
	void *entry;
	int ret;

	spin_lock_irqsave(&ioasid_lock, flags);
	ret = ioasid_load_in_set(set, id, &entry);
	if (!ret)
		last = __ioasid_put_entry(id, entry);
	spin_unlock_irqrestore(&ioasid_lock, flags);
	if (ret)
		return ret;
	if (last)
		ioasid_release(entry, id);
	return last;
}
EXPORT_SYMBOL_GPL(ioasid_put);

/**
 * ioasid_free() - Drop the allocation's reference on an ID
 * @set: the set the ID belongs to
 * @id: the ID from ioasid_alloc()
 *
 * As ioasid_put(), for callers that own the ID and have nothing to do with
 * the result; freeing an ID that is not live in @set is a bug and warns.
 *
 * Context: Any context.
 */
void ioasid_free(struct ioasid_set *set, ioasid_t id)
{
	WARN_ON_ONCE(ioasid_put(set, id) < 0);
}
EXPORT_SYMBOL_GPL(ioasid_free);

/* Make *@spare the record of the bare global PASID @id at @entry. */
static struct ioasid_data *__ioasid_give_record(ioasid_t id, void *entry,
						struct ioasid_data **spare)
{
	struct ioasid_data *data = *spare;

	lockdep_assert_held(&ioasid_lock);
	data->set = &ioasid_system_set;
	data->users = ioasid_bare_users(entry);
	*spare = NULL;
	__ioasid_store(id, data);
	return data;
}

/*
 * Replace the private data of @id and return the old data in *@old.  A
 * bare global PASID needs a record to carry data: it takes *@spare, or
 * the call fails with -EAGAIN if there is none.
 */
static int ioasid_swap_data(struct ioasid_set *set, ioasid_t id,
			    void *private, struct ioasid_data **spare,
			    void **old)
{
	void *entry;
	int ret;

	*old = NULL;
	spin_lock_irq(&ioasid_lock);
	ret = ioasid_load_in_set(set, id, &entry);
	if (ret || (ioasid_is_bare(entry) && !private))
		goto unlock;
	if (ioasid_is_bare(entry)) {
		if (!*spare) {
			ret = -EAGAIN;
			goto unlock;
		}
		entry = __ioasid_give_record(id, entry, spare);
	}
	*old = rcu_replace_pointer(((struct ioasid_data *)entry)->private,
				   private, lockdep_is_held(&ioasid_lock));
unlock:
	spin_unlock_irq(&ioasid_lock);
	return ret;
}

/**
 * ioasid_attach_data() - Attach, replace or detach an ID's private data
 * @set: the set the ID must belong to
 * @id: the ID
 * @private: the new private data, or NULL to detach
 *
 * Concurrent lookups see either the old or the new data.  When there was
 * old data, this waits for a grace period, after which the caller may
 * free it.
 *
 * Context: Process context. May sleep.
 * Return: 0; -ENOENT if @id is not live; -EACCES if it is in another set;
 * -ENOMEM if a global PASID that had no data yet cannot get a record for
 * it, with nothing changed.
 */
int ioasid_attach_data(struct ioasid_set *set, ioasid_t id, void *private)
{
	struct ioasid_data *spare = NULL;
	void *old;
	int ret;

	ret = ioasid_swap_data(set, id, private, &spare, &old);
	if (ret == -EAGAIN) {
		spare = kzalloc(sizeof(*spare), GFP_KERNEL);
		if (!spare)
			return -ENOMEM;
		ret = ioasid_swap_data(set, id, private, &spare, &old);
		kfree(spare);
	}
	if (old)
		synchronize_rcu();
	return ret;
}
EXPORT_SYMBOL_GPL(ioasid_attach_data);

/* A record's private data, if @getter takes it; under RCU. */
static void *ioasid_data_private(struct ioasid_data *data,
				 bool (*getter)(void *private))
{
	void *priv = rcu_dereference(data->private);

	if (priv && getter && !getter(priv))
		return ERR_PTR(-ESRCH);
	return priv;
}

/**
 * ioasid_find() - Look up the private data of an ID
 * @set: the set the ID must belong to
 * @id: the ID
 * @getter: called on the private data, under RCU, to take a reference on
 *	    it (e.g. with mmget_not_zero()); false if it is going away.  May
 *	    be NULL.
 *
 * Takes no lock.  Without @getter the data is only safe to use under the
 * caller's own rcu_read_lock(), held across the call, or when the caller
 * otherwise knows it cannot be freed.
 *
 * Context: Any context. Does not sleep.
 * Return: the private data, NULL if none is attached; ERR_PTR(-ENOENT) if
 * @id is not live; ERR_PTR(-EACCES) if it is in another set;
 * ERR_PTR(-ESRCH) if @getter refused the data.
 */
void *ioasid_find(struct ioasid_set *set, ioasid_t id,
		  bool (*getter)(void *private))
{
	void *entry, *priv = NULL;
	int ret;

	rcu_read_lock();
	ret = ioasid_load_in_set(set, id, &entry);
	if (ret)
		priv = ERR_PTR(ret);
	else if (!ioasid_is_bare(entry))
		priv = ioasid_data_private(entry, getter);
	rcu_read_unlock();
	return priv;
}
EXPORT_SYMBOL_GPL(ioasid_find);

/* Whether any ID is live: a walk of the leaves, for the rare (un)register. */
static bool __ioasid_any_live(void)
{
	struct ioasid_leaf *leaf;
	unsigned int l;

	lockdep_assert_held(&ioasid_lock);
	for (l = 0; l < IOASID_NR_LEAVES; l++) {
		leaf = ioasid_leaf_at(l);
		if (leaf && leaf->nr_used)
			return true;
	}
	return false;
}

/* Why @ops cannot become the custom allocator now, or 0. */
static int __ioasid_can_register(const struct ioasid_allocator_ops *ops)
{
	lockdep_assert_held_write(&ioasid_allocator_rwsem);
	lockdep_assert_held(&ioasid_lock);
	if (ioasid_custom)
		return ioasid_custom->ops == ops ? -EEXIST : -EBUSY;
	/* Without a custom allocator, every live ID is a built-in one. */
	if (__ioasid_any_live())
		return -EBUSY;
	return 0;
}

/**
 * ioasid_register_allocator() - Hand out IDs with a custom allocator
 * @ops: the allocator, e.g. a paravirtual IOMMU asking its host; it stays
 *	 in use until ioasid_unregister_allocator() succeeds
 *
 * From now on ioasid_alloc() asks @ops for IDs, and reports its failures
 * instead of falling back to the built-in allocator.  IDs are still
 * tracked here for ioasid_find().  Only one custom allocator can be
 * registered, and only while no ID from the built-in allocator is live,
 * since the two spaces would collide.
 *
 * Context: Process context. May sleep.
 * Return: 0; -EINVAL if @ops lacks alloc() or free(); -EEXIST if @ops is
 * already registered; -EBUSY if another allocator is registered or IDs
 * from the built-in one are live; -ENOMEM.
 */
int ioasid_register_allocator(const struct ioasid_allocator_ops *ops)
{
	struct ioasid_allocator_data *a;
	int ret;

	if (!ops || !ops->alloc || !ops->free)
		return -EINVAL;
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	a->ops = ops;
	atomic_set(&a->nr_live, 0);

	down_write(&ioasid_allocator_rwsem);
	spin_lock_irq(&ioasid_lock);
	ret = __ioasid_can_register(ops);
	if (!ret)
		WRITE_ONCE(ioasid_custom, a);
	spin_unlock_irq(&ioasid_lock);
	up_write(&ioasid_allocator_rwsem);
	if (ret)
		kfree(a);
	return ret;
}
EXPORT_SYMBOL_GPL(ioasid_register_allocator);

/**
 * ioasid_unregister_allocator() - Go back to the built-in allocator
 * @ops: the registered custom allocator
 *
 * Refused while IDs that @ops handed out are live: they belong to the
 * allocator's (the host's) space, and their users still hold them.  The
 * caller frees them first; afterwards @ops is no longer called.
 *
 * Context: Process context. May sleep.
 * Return: 0; -ENOENT if @ops is not the registered allocator; -EBUSY if
 * IDs it handed out are live, with nothing changed.
 */
int ioasid_unregister_allocator(const struct ioasid_allocator_ops *ops)
{
	struct ioasid_allocator_data *a;
	int ret = 0;

	down_write(&ioasid_allocator_rwsem);
	a = ioasid_custom;
	if (!a || a->ops != ops) {
		ret = -ENOENT;
	} else if (atomic_read_acquire(&a->nr_live)) {
		ret = -EBUSY;
	} else {
		spin_lock_irq(&ioasid_lock);
		WRITE_ONCE(ioasid_custom, NULL);
		spin_unlock_irq(&ioasid_lock);
	}
	up_write(&ioasid_allocator_rwsem);
	if (!ret)
		kfree(a);
	return ret;
}
EXPORT_SYMBOL_GPL(ioasid_unregister_allocator);

static int __init ioasid_init(void)
{
	ioasid_leaf_cache = KMEM_CACHE(ioasid_leaf, SLAB_PANIC);
	return 0;
}
core_initcall(ioasid_init);
