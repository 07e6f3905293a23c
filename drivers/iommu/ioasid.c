// SPDX-License-Identifier: GPL-2.0-only
/*
 * I/O Address Space ID allocator.
 *
 * One xarray maps every live ID to its entry.  An ID with a set other than
 * the system set, with private data, or from a custom allocator has a
 * struct ioasid_data: its set, data, allocator and reference count.  A
 * global PASID (system set, built-in allocator, no data) is most IDs and
 * is allocated and freed often, so it is only a value entry holding its
 * reference count: no allocation, no grace period.  Attaching data to it
 * turns it into a record for the rest of its life.
 *
 * Lookups walk the xarray under RCU only.  Writers of the map, of a
 * reference count and of an entry's private data hold the xarray's
 * IRQ-safe lock, so an ID can be put from any context; an entry is erased
 * in the same critical section that drops its last reference, and a
 * record is freed after a grace period.
 *
 * ioasid_allocator_rwsem picks the allocator: ioasid_alloc() holds it for
 * read, which costs a per-CPU increment, so allocations run concurrently;
 * (un)registering a custom allocator holds it for write.  Only one custom
 * allocator can be active, and switching is refused while IDs the current
 * allocator handed out are live: the custom allocator's nr_live, or any
 * entry at all while the built-in allocator is in use.
 *
 * Lock order: ioasid_allocator_rwsem, then the xarray's lock.
 */
#include <linux/ioasid.h>
#include <linux/export.h>
#include <linux/lockdep.h>
#include <linux/percpu-rwsem.h>
#include <linux/slab.h>
#include <linux/xarray.h>

struct ioasid_allocator_data {
	const struct ioasid_allocator_ops *ops;
	atomic_t nr_live;		/* IDs it handed out that are live */
};

struct ioasid_data {
	struct ioasid_set *set;
	void __rcu *private;
	/* The custom allocator that handed out the ID, NULL: the built-in. */
	struct ioasid_allocator_data *allocator;
	unsigned long users;		/* under the xarray lock */
	struct rcu_head rcu;
};

static DEFINE_XARRAY_FLAGS(ioasid_xa, XA_FLAGS_ALLOC | XA_FLAGS_LOCK_IRQ);
DEFINE_STATIC_PERCPU_RWSEM(ioasid_allocator_rwsem);
/* Protected by ioasid_allocator_rwsem: */
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

/* Count one more ID in @set unless that goes over its quota. */
static bool ioasid_set_charge(struct ioasid_set *set)
{
	int old = atomic_read(&set->nr_ioasids);

	do {
		if ((unsigned int)old >= set->quota)
			return false;
	} while (!atomic_try_cmpxchg(&set->nr_ioasids, &old, old + 1));
	return true;
}

/* The set of an entry: a record's, or the system set for a bare ID. */
static struct ioasid_set *ioasid_entry_set(void *entry)
{
	if (xa_is_value(entry))
		return &ioasid_system_set;
	return ((struct ioasid_data *)entry)->set;
}

/* A new entry with one reference: a bare global PASID, or a record. */
static void *__ioasid_new_entry(struct ioasid_set *set, void *private)
{
	struct ioasid_data *data;

	lockdep_assert_held(&ioasid_allocator_rwsem);
	if (set == &ioasid_system_set && !private && !ioasid_custom)
		return xa_mk_value(1);
	data = kzalloc(sizeof(*data), GFP_KERNEL);
	if (!data)
		return NULL;
	data->set = set;
	RCU_INIT_POINTER(data->private, private);
	data->users = 1;
	return data;
}

static void ioasid_free_new_entry(void *entry)
{
	if (!xa_is_value(entry))
		kfree(entry);
}

static int __ioasid_alloc_builtin(void *entry, ioasid_t min, ioasid_t max)
{
	u32 id;
	int ret;

	lockdep_assert_held(&ioasid_allocator_rwsem);
	ret = xa_alloc_irq(&ioasid_xa, &id, entry, XA_LIMIT(min, max),
			   GFP_KERNEL);
	if (ret)
		return ret == -EBUSY ? -ENOSPC : ret;
	return id;
}

static int __ioasid_alloc_custom(struct ioasid_data *data, ioasid_t min,
				 ioasid_t max)
{
	struct ioasid_allocator_data *a = ioasid_custom;
	const struct ioasid_allocator_ops *ops = a->ops;
	ioasid_t id;
	int ret;

	lockdep_assert_held(&ioasid_allocator_rwsem);
	id = ops->alloc(min, max, ops->pdata);
	if (id == INVALID_IOASID)
		return -ENOSPC;
	if (id < min || id > max) {
		ret = -EIO;
		goto free_id;
	}
	data->allocator = a;
	atomic_inc(&a->nr_live);
	ret = xa_insert_irq(&ioasid_xa, id, data, GFP_KERNEL);
	if (ret == -EBUSY) {
		/* Handed out twice: it belongs to the live ID, keep it. */
		atomic_dec(&a->nr_live);
		return ret;
	}
	if (ret)
		goto uncount;
	return id;

uncount:
	atomic_dec(&a->nr_live);
free_id:
	ops->free(id, ops->pdata);
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
 * does; the ID is tracked for lookup either way.  The ID is published with
 * @private, so a concurrent ioasid_find() sees it initialised.  The caller
 * holds its only reference; ioasid_free() drops it.
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
	void *entry;
	int ret;

	if (!set || min > max || max > IOASID_MAX)
		return -EINVAL;
	if (!ioasid_set_charge(set))
		return -EDQUOT;
	/* The ID's reference on its set, before anyone can see the ID. */
	ioasid_set_get(set);
	percpu_down_read(&ioasid_allocator_rwsem);
	entry = __ioasid_new_entry(set, private);
	if (!entry) {
		ret = -ENOMEM;
		goto unlock;
	}
	if (ioasid_custom)
		ret = __ioasid_alloc_custom(entry, min, max);
	else
		ret = __ioasid_alloc_builtin(entry, min, max);
	if (ret < 0)
		goto free_entry;
	percpu_up_read(&ioasid_allocator_rwsem);
	return ret;

free_entry:
	ioasid_free_new_entry(entry);
unlock:
	percpu_up_read(&ioasid_allocator_rwsem);
	atomic_dec(&set->nr_ioasids);
	ioasid_set_put(set);
	return ret;
}
EXPORT_SYMBOL_GPL(ioasid_alloc);

/*
 * The live entry at @xas, if it is in @set, in *@entry; under RCU or the
 * xarray lock.  Return: 0, -ENOENT or -EACCES.
 */
static int ioasid_load_in_set(struct xa_state *xas, struct ioasid_set *set,
			      void **entry)
{
	do {
		*entry = xas_load(xas);
	} while (xas_retry(xas, *entry));
	if (!*entry)
		return -ENOENT;
	if (ioasid_entry_set(*entry) != set)
		return -EACCES;
	return 0;
}

static void __ioasid_get_entry(struct xa_state *xas, void *entry)
{
	lockdep_assert_held(&ioasid_xa.xa_lock);
	if (xa_is_value(entry))
		xas_store(xas, xa_mk_value(xa_to_value(entry) + 1));
	else
		((struct ioasid_data *)entry)->users++;
}

/* Drop a reference; the last one erases the entry.  True if it did. */
static bool __ioasid_put_entry(struct xa_state *xas, void *entry)
{
	struct ioasid_data *data = entry;
	unsigned long users;

	lockdep_assert_held(&ioasid_xa.xa_lock);
	if (xa_is_value(entry)) {
		users = xa_to_value(entry) - 1;
		xas_store(xas, users ? xa_mk_value(users) : NULL);
	} else {
		users = --data->users;
		if (!users)
			xas_store(xas, NULL);
	}
	return !users;
}

/**
 * ioasid_get() - Take a reference on an ID
 * @set: the set the ID must belong to
 * @id: the ID
 *
 * Context: Any context. Takes the xarray's IRQ-safe lock.
 * Return: 0; -ENOENT if @id is not live; -EACCES if it is in another set.
 */
int ioasid_get(struct ioasid_set *set, ioasid_t id)
{
	XA_STATE(xas, &ioasid_xa, id);
	unsigned long flags;
	void *entry;
	int ret;

	xas_lock_irqsave(&xas, flags);
	ret = ioasid_load_in_set(&xas, set, &entry);
	if (!ret)
		__ioasid_get_entry(&xas, entry);
	xas_unlock_irqrestore(&xas, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(ioasid_get);

/* Give an erased ID back to its allocator and its set. */
static void ioasid_release(void *entry, ioasid_t id)
{
	struct ioasid_set *set = ioasid_entry_set(entry);
	struct ioasid_data *data = entry;
	struct ioasid_allocator_data *a;

	if (!xa_is_value(entry)) {
		a = data->allocator;
		if (a) {
			a->ops->free(id, a->ops->pdata);
			/* The last access to @a: unregistering may free it. */
			atomic_dec_return_release(&a->nr_live);
		}
		kfree_rcu(data, rcu);
	}
	atomic_dec(&set->nr_ioasids);
	ioasid_set_put(set);
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
	XA_STATE(xas, &ioasid_xa, id);
	unsigned long flags;
	bool last = false;
	void *entry;
	int ret;

	xas_lock_irqsave(&xas, flags);
	ret = ioasid_load_in_set(&xas, set, &entry);
	if (!ret)
		last = __ioasid_put_entry(&xas, entry);
	xas_unlock_irqrestore(&xas, flags);
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

/* Make *@spare the record of the bare global PASID @entry at @xas. */
static struct ioasid_data *__ioasid_give_record(struct xa_state *xas,
						void *entry,
						struct ioasid_data **spare)
{
	struct ioasid_data *data = *spare;

	lockdep_assert_held(&ioasid_xa.xa_lock);
	data->set = &ioasid_system_set;
	data->users = xa_to_value(entry);
	*spare = NULL;
	xas_store(xas, data);
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
	XA_STATE(xas, &ioasid_xa, id);
	void *entry;
	int ret;

	*old = NULL;
	xas_lock_irq(&xas);
	ret = ioasid_load_in_set(&xas, set, &entry);
	if (ret || (xa_is_value(entry) && !private))
		goto unlock;
	if (xa_is_value(entry)) {
		if (!*spare) {
			ret = -EAGAIN;
			goto unlock;
		}
		entry = __ioasid_give_record(&xas, entry, spare);
	}
	*old = rcu_replace_pointer(((struct ioasid_data *)entry)->private,
				   private,
				   lockdep_is_held(&ioasid_xa.xa_lock));
unlock:
	xas_unlock_irq(&xas);
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
	XA_STATE(xas, &ioasid_xa, id);
	void *entry, *priv = NULL;
	int ret;

	rcu_read_lock();
	ret = ioasid_load_in_set(&xas, set, &entry);
	if (ret)
		priv = ERR_PTR(ret);
	else if (!xa_is_value(entry))
		priv = ioasid_data_private(entry, getter);
	rcu_read_unlock();
	return priv;
}
EXPORT_SYMBOL_GPL(ioasid_find);

/* Why @ops cannot become the custom allocator now, or 0. */
static int __ioasid_can_register(const struct ioasid_allocator_ops *ops)
{
	lockdep_assert_held_write(&ioasid_allocator_rwsem);
	if (ioasid_custom)
		return ioasid_custom->ops == ops ? -EEXIST : -EBUSY;
	/* Without a custom allocator, every live ID is a built-in one. */
	if (!xa_empty(&ioasid_xa))
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

	percpu_down_write(&ioasid_allocator_rwsem);
	ret = __ioasid_can_register(ops);
	if (!ret)
		ioasid_custom = a;
	percpu_up_write(&ioasid_allocator_rwsem);
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

	percpu_down_write(&ioasid_allocator_rwsem);
	a = ioasid_custom;
	if (!a || a->ops != ops)
		ret = -ENOENT;
	else if (atomic_read_acquire(&a->nr_live))
		ret = -EBUSY;
	else
		ioasid_custom = NULL;
	percpu_up_write(&ioasid_allocator_rwsem);
	if (!ret)
		kfree(a);
	return ret;
}
EXPORT_SYMBOL_GPL(ioasid_unregister_allocator);
