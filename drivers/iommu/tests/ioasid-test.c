// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the ioasid allocator: every API path and errno, set
 * isolation and quotas, ranges up to the whole 2^20 space, private data
 * attached after allocation, custom (paravirtual) allocators against a
 * mock host allocator with its own ID space, every allocation failing in
 * turn (fail-nth), and the core's global PASIDs.
 *
 * Each case frees what it allocated through KUnit actions, also when it
 * fails half way, so that the next case starts from an empty ID space.
 * The global PASID cases that look into the system set need our core,
 * which allocates global PASIDs from it; on another core, found out by
 * looking for a fresh global PASID there, they skip.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/ioasid.h>
#include <linux/iommu.h>
#include <linux/sched.h>
#include <linux/spinlock.h>

#include "fail-nth.h"

#define NOT_OUR_CORE \
	"the base's core allocates global PASIDs from its own IDA, not the system set"

static int token;	/* an owner token for the sets */

KUNIT_DEFINE_ACTION_WRAPPER(put_set, ioasid_set_put, struct ioasid_set *);

static struct ioasid_set *new_set(struct kunit *test, unsigned int quota)
{
	struct ioasid_set *set = ioasid_set_alloc(&token, quota);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, set);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, put_set, set));
	return set;
}

struct held_id {
	struct ioasid_set *set;
	ioasid_t id;
};

static void put_held_id(void *arg)
{
	struct held_id *h = arg;

	ioasid_put(h->set, h->id);
}

/* Allocate an ID that is freed at the end of the case unless freed before. */
static ioasid_t new_id(struct kunit *test, struct ioasid_set *set,
		       ioasid_t min, ioasid_t max, void *private)
{
	struct held_id *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	int id;

	KUNIT_ASSERT_NOT_NULL(test, h);
	id = ioasid_alloc(set, min, max, private);
	KUNIT_ASSERT_GE(test, id, 0);
	h->set = set;
	h->id = id;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, put_held_id, h));
	return id;
}

struct set_alloc_case {
	const char *name;
	void *token;
	unsigned int quota;
	int err;
};

static const struct set_alloc_case set_alloc_cases[] = {
	{ "no-token", NULL, 1, -EINVAL },
	{ "zero-quota", &token, 0, -EINVAL },
	{ "quota-over-space", &token, IOASID_MAX + 2, -EINVAL },
	{ "quota-one", &token, 1, 0 },
	{ "quota-whole-space", &token, IOASID_MAX + 1, 0 },
};

KUNIT_ARRAY_PARAM_DESC(set_alloc, set_alloc_cases, name);

static void set_alloc_checks_args(struct kunit *test)
{
	const struct set_alloc_case *c = test->param_value;
	struct ioasid_set *set = ioasid_set_alloc(c->token, c->quota);

	if (c->err) {
		KUNIT_EXPECT_PTR_EQ(test, set, ERR_PTR(c->err));
		return;
	}
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, set);
	KUNIT_EXPECT_PTR_EQ(test, set->token, c->token);
	KUNIT_EXPECT_EQ(test, ioasid_set_count(set), 0);
	KUNIT_EXPECT_EQ(test, 0, ioasid_set_free(set));
}

struct bounds_case {
	const char *name;
	ioasid_t min, max;
	int expect;		/* the ID, or an errno */
};

static const struct bounds_case bounds_cases[] = {
	{ "min-above-max", 9, 8, -EINVAL },
	{ "max-over-space", 1, IOASID_MAX + 1, -EINVAL },
	{ "invalid-max", 1, INVALID_IOASID, -EINVAL },
	{ "zero", 0, 0, 0 },
	{ "single", 77, 77, 77 },
	{ "lowest-first", 5, 100, 5 },
	{ "top-of-space", IOASID_MAX, IOASID_MAX, IOASID_MAX },
};

KUNIT_ARRAY_PARAM_DESC(bounds, bounds_cases, name);

static void alloc_respects_bounds(struct kunit *test)
{
	const struct bounds_case *c = test->param_value;
	struct ioasid_set *set = new_set(test, 4);
	int id = ioasid_alloc(set, c->min, c->max, NULL);

	KUNIT_EXPECT_EQ(test, id, c->expect);
	if (id < 0) {
		KUNIT_EXPECT_EQ(test, ioasid_set_count(set), 0);
		return;
	}
	KUNIT_EXPECT_EQ(test, ioasid_set_count(set), 1);
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(set, id));
	KUNIT_EXPECT_EQ(test, ioasid_set_count(set), 0);
}

static void alloc_needs_a_set(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, -EINVAL, ioasid_alloc(NULL, 1, 10, NULL));
}

static void alloc_full_range_is_enospc(struct kunit *test)
{
	struct ioasid_set *set = new_set(test, 10);
	int i;

	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, new_id(test, set, 20, 22, NULL), 20 + i);
	KUNIT_EXPECT_EQ(test, -ENOSPC, ioasid_alloc(set, 20, 22, NULL));
	KUNIT_EXPECT_EQ(test, ioasid_set_count(set), 3);
	/* A freed ID is handed out again. */
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(set, 21));
	KUNIT_EXPECT_EQ(test, 21, ioasid_alloc(set, 20, 22, NULL));
}

/*
 * The lowest free ID where the allocator's table changes leaf (every 512
 * IDs today; the cases hold for any layout): @fill_min to @fill_max are
 * taken first, then [@min, @max] is asked for.
 */
#define LEAF	512U

struct edge_case {
	const char *name;
	ioasid_t fill_min, fill_max, min, max;
	int expect;		/* the ID, or an errno */
};

static const struct edge_case edge_cases[] = {
	{ "last-of-a-leaf", 1, 0, LEAF - 1, LEAF, LEAF - 1 },
	{ "first-of-next-leaf", LEAF - 1, LEAF - 1, LEAF - 1, LEAF, LEAF },
	{ "across-the-edge", LEAF - 2, LEAF + 1, LEAF - 2, 2 * LEAF,
	  LEAF + 2 },
	{ "full-leaf-skipped", LEAF, 2 * LEAF - 1, LEAF, 3 * LEAF, 2 * LEAF },
	{ "two-full-leaves", LEAF, 3 * LEAF - 1, LEAF + 7, 4 * LEAF,
	  3 * LEAF },
	{ "range-inside-full-leaf", LEAF, 2 * LEAF - 1, LEAF + 1,
	  2 * LEAF - 2, -ENOSPC },
	{ "last-leaf-full", IOASID_MAX - LEAF + 1, IOASID_MAX,
	  IOASID_MAX - LEAF - 9, IOASID_MAX, IOASID_MAX - LEAF - 9 },
	{ "top-id-taken", IOASID_MAX, IOASID_MAX, IOASID_MAX, IOASID_MAX,
	  -ENOSPC },
};

KUNIT_ARRAY_PARAM_DESC(edge, edge_cases, name);

static void alloc_at_leaf_edges(struct kunit *test)
{
	const struct edge_case *c = test->param_value;
	struct ioasid_set *set = new_set(test, 4 * LEAF);
	ioasid_t i;
	int id;

	for (i = c->fill_min; i <= c->fill_max; i++)
		KUNIT_ASSERT_EQ(test, new_id(test, set, i, i, &token), i);
	id = ioasid_alloc(set, c->min, c->max, NULL);
	KUNIT_ASSERT_EQ(test, id, c->expect);
	if (id < 0)
		return;
	KUNIT_EXPECT_NULL(test, ioasid_find(set, id, NULL));
	if (c->fill_min <= c->fill_max)
		KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, c->fill_max, NULL),
				    (void *)&token);
	/* Freed, and a leaf it emptied gone: not found, then handed out. */
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(set, id));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, NULL),
			    ERR_PTR(-ENOENT));
	KUNIT_EXPECT_EQ(test, ioasid_alloc(set, id, id, NULL), id);
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(set, id));
}

/* Every ID of the 2^20 space once, then nothing; each freed again. */
static void alloc_exhausts_whole_space(struct kunit *test)
{
	struct ioasid_set *set = new_set(test, IOASID_MAX + 1);
	struct ioasid_set *other = new_set(test, 1);
	ioasid_t i, n = 0;
	int id;

	for (i = 0; i <= IOASID_MAX; i++) {
		id = ioasid_alloc(set, 0, IOASID_MAX, NULL);
		if (id != i)
			break;
		n++;
		if (!(i % 4096))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, n, IOASID_MAX + 1);
	KUNIT_EXPECT_EQ(test, ioasid_set_count(set), n);
	/* The set is at its quota; another one finds the space full. */
	KUNIT_EXPECT_EQ(test, -EDQUOT, ioasid_alloc(set, 0, IOASID_MAX, NULL));
	KUNIT_EXPECT_EQ(test, -ENOSPC, ioasid_alloc(other, 0, IOASID_MAX,
						    NULL));
	KUNIT_EXPECT_EQ(test, -ENOSPC, ioasid_alloc(other, IOASID_MAX,
						    IOASID_MAX, NULL));
	KUNIT_EXPECT_EQ(test, ioasid_set_count(other), 0);
	for (i = 0; i < n; i++) {
		ioasid_free(set, i);
		if (!(i % 4096))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, ioasid_set_count(set), 0);
}

static void quota_limits_a_set(struct kunit *test)
{
	struct ioasid_set *set = new_set(test, 3);
	struct ioasid_set *other = new_set(test, 1);
	ioasid_t ids[3];
	int i;

	for (i = 0; i < 3; i++)
		ids[i] = new_id(test, set, 1, 100, NULL);
	KUNIT_EXPECT_EQ(test, -EDQUOT, ioasid_alloc(set, 1, 100, NULL));
	KUNIT_EXPECT_EQ(test, ioasid_set_count(set), 3);
	/* Another set has a quota of its own. */
	new_id(test, other, 1, 100, NULL);
	KUNIT_EXPECT_EQ(test, -EDQUOT, ioasid_alloc(other, 1, 100, NULL));
	/* A failed allocation does not use up quota. */
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(set, ids[1]));
	KUNIT_EXPECT_EQ(test, -ENOSPC, ioasid_alloc(set, ids[0], ids[0], NULL));
	KUNIT_EXPECT_EQ(test, ids[1], ioasid_alloc(set, 1, 100, NULL));
	/* Extra references do not count against the quota. */
	KUNIT_EXPECT_EQ(test, 0, ioasid_get(set, ids[0]));
	KUNIT_EXPECT_EQ(test, ioasid_set_count(set), 3);
	KUNIT_EXPECT_EQ(test, 0, ioasid_put(set, ids[0]));
}

static void sets_are_isolated(struct kunit *test)
{
	struct ioasid_set *a = new_set(test, 4);
	struct ioasid_set *b = new_set(test, 4);
	ioasid_t id = new_id(test, a, 1, 100, &token);

	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(a, id, NULL), (void *)&token);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(b, id, NULL), ERR_PTR(-EACCES));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(&ioasid_system_set, id, NULL),
			    ERR_PTR(-EACCES));
	KUNIT_EXPECT_EQ(test, -EACCES, ioasid_get(b, id));
	KUNIT_EXPECT_EQ(test, -EACCES, ioasid_put(b, id));
	KUNIT_EXPECT_EQ(test, -EACCES, ioasid_attach_data(b, id, NULL));
	/* None of that changed the ID. */
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(a, id, NULL), (void *)&token);
	KUNIT_EXPECT_EQ(test, ioasid_set_count(a), 1);
	KUNIT_EXPECT_EQ(test, ioasid_set_count(b), 0);
}

struct unknown_case {
	const char *name;
	ioasid_t id;
};

static const struct unknown_case unknown_cases[] = {
	{ "never-allocated", 1234 },
	{ "zero", 0 },
	{ "max", IOASID_MAX },
	{ "beyond-space", IOASID_MAX + 1 },
	{ "invalid", INVALID_IOASID },
};

KUNIT_ARRAY_PARAM_DESC(unknown, unknown_cases, name);

static void unknown_id_is_enoent(struct kunit *test)
{
	const struct unknown_case *c = test->param_value;
	struct ioasid_set *set = new_set(test, 1);

	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, c->id, NULL),
			    ERR_PTR(-ENOENT));
	KUNIT_EXPECT_EQ(test, -ENOENT, ioasid_get(set, c->id));
	KUNIT_EXPECT_EQ(test, -ENOENT, ioasid_put(set, c->id));
	KUNIT_EXPECT_EQ(test, -ENOENT, ioasid_attach_data(set, c->id, &token));
}

static void references_keep_an_id(struct kunit *test)
{
	struct ioasid_set *set = new_set(test, 2);
	int id = ioasid_alloc(set, 1, 100, NULL);

	KUNIT_ASSERT_GE(test, id, 1);
	KUNIT_EXPECT_EQ(test, 0, ioasid_get(set, id));
	KUNIT_EXPECT_EQ(test, 0, ioasid_put(set, id));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, NULL), NULL);
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(set, id));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, NULL), ERR_PTR(-ENOENT));
	KUNIT_EXPECT_EQ(test, -ENOENT, ioasid_put(set, id));
	KUNIT_EXPECT_EQ(test, -ENOENT, ioasid_get(set, id));
	KUNIT_EXPECT_EQ(test, ioasid_set_count(set), 0);
}

static void data_attached_after_alloc(struct kunit *test)
{
	struct ioasid_set *set = new_set(test, 2);
	int first, second;
	ioasid_t id = new_id(test, set, 1, 100, NULL);
	ioasid_t with = new_id(test, set, 1, 100, &second);

	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, with, NULL), (void *)&second);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, NULL), NULL);
	KUNIT_EXPECT_EQ(test, 0, ioasid_attach_data(set, id, &first));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, NULL), (void *)&first);
	KUNIT_EXPECT_EQ(test, 0, ioasid_attach_data(set, id, &second));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, NULL), (void *)&second);
	KUNIT_EXPECT_EQ(test, 0, ioasid_attach_data(set, id, NULL));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, NULL), NULL);
}

struct getter_obj {
	bool alive;
	int calls;
};

static bool getter_obj_get(void *private)
{
	struct getter_obj *o = private;

	o->calls++;
	return o->alive;
}

static void getter_decides(struct kunit *test)
{
	struct ioasid_set *set = new_set(test, 2);
	struct getter_obj obj = { .alive = true };
	ioasid_t id = new_id(test, set, 1, 100, &obj);
	ioasid_t bare = new_id(test, set, 1, 100, NULL);

	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, getter_obj_get),
			    (void *)&obj);
	KUNIT_EXPECT_EQ(test, obj.calls, 1);
	obj.alive = false;
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, getter_obj_get),
			    ERR_PTR(-ESRCH));
	KUNIT_EXPECT_EQ(test, obj.calls, 2);
	/* Not called without data, nor for another set's ID. */
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, bare, getter_obj_get), NULL);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(&ioasid_system_set, id,
					      getter_obj_get), ERR_PTR(-EACCES));
	KUNIT_EXPECT_EQ(test, obj.calls, 2);
}

static void set_lives_while_it_holds_ids(struct kunit *test)
{
	struct ioasid_set *set = ioasid_set_alloc(&token, 2);
	int id;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, set);
	id = ioasid_alloc(set, 1, 100, NULL);
	KUNIT_ASSERT_GE(test, id, 1);
	/* The ID's reference and the owner's. */
	KUNIT_EXPECT_EQ(test, refcount_read(&set->refs), 2);
	KUNIT_EXPECT_EQ(test, -EBUSY, ioasid_set_free(set));
	KUNIT_EXPECT_EQ(test, refcount_read(&set->refs), 2);
	ioasid_set_get(set);
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(set, id));
	KUNIT_EXPECT_EQ(test, 0, ioasid_set_free(set));
	/* Our extra reference keeps it. */
	KUNIT_EXPECT_EQ(test, refcount_read(&set->refs), 1);
	ioasid_set_put(set);
}

static void system_set_is_static(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, -EINVAL, ioasid_set_free(&ioasid_system_set));
	KUNIT_EXPECT_EQ(test, ioasid_system_set.quota, IOASID_MAX + 1);
	KUNIT_EXPECT_EQ(test, INVALID_IOASID, IOMMU_PASID_INVALID);
}

/*
 * A global PASID starts without a record (a bare entry); its references
 * and its lookups behave the same before and after data gives it one.
 */
static void global_pasid_takes_data_later(struct kunit *test)
{
	struct ioasid_set *sys = &ioasid_system_set, *other = new_set(test, 1);
	unsigned int count = ioasid_set_count(sys);
	int id = ioasid_alloc(sys, 1, IOASID_MAX, NULL);
	int second;

	KUNIT_ASSERT_GT(test, id, 0);
	KUNIT_EXPECT_EQ(test, ioasid_set_count(sys), count + 1);
	KUNIT_EXPECT_NULL(test, ioasid_find(sys, id, NULL));
	KUNIT_EXPECT_PTR_EQ(test, ERR_PTR(-EACCES), ioasid_find(other, id, NULL));
	KUNIT_EXPECT_EQ(test, -EACCES, ioasid_get(other, id));
	KUNIT_EXPECT_EQ(test, -EACCES, ioasid_attach_data(other, id, &token));
	KUNIT_EXPECT_EQ(test, 0, ioasid_attach_data(sys, id, NULL));
	KUNIT_EXPECT_EQ(test, 0, ioasid_get(sys, id));

	KUNIT_EXPECT_EQ(test, 0, ioasid_attach_data(sys, id, &token));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(sys, id, NULL), (void *)&token);
	/* The reference taken while it was bare is still counted. */
	KUNIT_EXPECT_EQ(test, 0, ioasid_put(sys, id));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(sys, id, NULL), (void *)&token);
	KUNIT_EXPECT_EQ(test, 0, ioasid_attach_data(sys, id, NULL));
	KUNIT_EXPECT_NULL(test, ioasid_find(sys, id, NULL));

	second = ioasid_alloc(sys, 1, IOASID_MAX, NULL);
	KUNIT_EXPECT_GT(test, second, id);
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(sys, id));
	KUNIT_EXPECT_PTR_EQ(test, ERR_PTR(-ENOENT), ioasid_find(sys, id, NULL));
	KUNIT_EXPECT_EQ(test, -ENOENT, ioasid_put(sys, id));
	/* The freed ID is the lowest free one again. */
	KUNIT_EXPECT_EQ(test, id, ioasid_alloc(sys, 1, IOASID_MAX, NULL));
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(sys, id));
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(sys, second));
	KUNIT_EXPECT_EQ(test, ioasid_set_count(sys), count);
}

static struct kunit_case ioasid_cases[] = {
	KUNIT_CASE_PARAM(set_alloc_checks_args, set_alloc_gen_params),
	KUNIT_CASE_PARAM(alloc_respects_bounds, bounds_gen_params),
	KUNIT_CASE(alloc_needs_a_set),
	KUNIT_CASE(alloc_full_range_is_enospc),
	KUNIT_CASE_PARAM(alloc_at_leaf_edges, edge_gen_params),
	KUNIT_CASE_SLOW(alloc_exhausts_whole_space),
	KUNIT_CASE(quota_limits_a_set),
	KUNIT_CASE(sets_are_isolated),
	KUNIT_CASE_PARAM(unknown_id_is_enoent, unknown_gen_params),
	KUNIT_CASE(references_keep_an_id),
	KUNIT_CASE(data_attached_after_alloc),
	KUNIT_CASE(getter_decides),
	KUNIT_CASE(set_lives_while_it_holds_ids),
	KUNIT_CASE(system_set_is_static),
	KUNIT_CASE(global_pasid_takes_data_later),
	{}
};

static struct kunit_suite ioasid_suite = {
	.name = "ioasid",
	.test_cases = ioasid_cases,
};

/*
 * A mock host allocator: hands out IDs from its own space, HOST_NR IDs
 * from HOST_BASE, away from where the built-in allocator starts, and can
 * be told to misbehave.
 */
#define HOST_BASE	0x40000
#define HOST_NR		64

enum host_mode { HOST_OK, HOST_FAIL, HOST_OUT_OF_RANGE, HOST_DUP };

struct mock_host {
	struct ioasid_allocator_ops ops;
	spinlock_t lock;		/* the host's state below */
	DECLARE_BITMAP(used, HOST_NR);
	enum host_mode mode;
	ioasid_t dup;
	unsigned int nr_alloc, nr_free;
};

static ioasid_t mock_host_pick(struct mock_host *h, ioasid_t min, ioasid_t max)
{
	unsigned long lo, hi, bit;

	if (max < HOST_BASE || min >= HOST_BASE + HOST_NR)
		return INVALID_IOASID;
	lo = min > HOST_BASE ? min - HOST_BASE : 0;
	hi = min_t(unsigned long, max - HOST_BASE, HOST_NR - 1);
	bit = find_next_zero_bit(h->used, hi + 1, lo);
	if (bit > hi)
		return INVALID_IOASID;
	__set_bit(bit, h->used);
	return HOST_BASE + bit;
}

static ioasid_t mock_host_alloc(ioasid_t min, ioasid_t max, void *pdata)
{
	struct mock_host *h = pdata;
	ioasid_t id;

	spin_lock(&h->lock);
	h->nr_alloc++;
	switch (h->mode) {
	case HOST_FAIL:
		id = INVALID_IOASID;
		break;
	case HOST_OUT_OF_RANGE:
		id = max + 1;
		break;
	case HOST_DUP:
		id = h->dup;
		break;
	default:
		id = mock_host_pick(h, min, max);
	}
	spin_unlock(&h->lock);
	return id;
}

static void mock_host_free(ioasid_t id, void *pdata)
{
	struct mock_host *h = pdata;

	spin_lock(&h->lock);
	h->nr_free++;
	if (id >= HOST_BASE && id < HOST_BASE + HOST_NR)
		__clear_bit(id - HOST_BASE, h->used);
	spin_unlock(&h->lock);
}

static unsigned int mock_host_live(struct mock_host *h)
{
	return bitmap_weight(h->used, HOST_NR);
}

static struct mock_host *mock_host_new(struct kunit *test)
{
	struct mock_host *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, h);
	spin_lock_init(&h->lock);
	h->ops.alloc = mock_host_alloc;
	h->ops.free = mock_host_free;
	h->ops.pdata = h;
	return h;
}

static void unregister_host(void *arg)
{
	struct mock_host *h = arg;

	WARN_ON(ioasid_unregister_allocator(&h->ops));
}

/* A registered mock host, unregistered after the case's IDs are freed. */
static struct mock_host *mock_host_register(struct kunit *test)
{
	struct mock_host *h = mock_host_new(test);

	KUNIT_ASSERT_EQ(test, 0, ioasid_register_allocator(&h->ops));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   unregister_host, h));
	return h;
}

static void custom_allocator_takes_precedence(struct kunit *test)
{
	struct ioasid_set *set = new_set(test, 8);
	struct mock_host *h = mock_host_register(test);
	ioasid_t id = new_id(test, set, 1, IOASID_MAX, NULL);

	KUNIT_EXPECT_EQ(test, id, HOST_BASE);
	KUNIT_EXPECT_EQ(test, h->nr_alloc, 1);
	/* Tracked for lookup, with data attached later. */
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, NULL), NULL);
	KUNIT_EXPECT_EQ(test, 0, ioasid_attach_data(set, id, &token));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, NULL), (void *)&token);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(&ioasid_system_set, id, NULL),
			    ERR_PTR(-EACCES));
	/* The host's range bounds are the caller's. */
	KUNIT_EXPECT_EQ(test, new_id(test, set, HOST_BASE + 5, HOST_BASE + 6,
				     NULL), HOST_BASE + 5);
	/* Freeing gives the ID back to the host. */
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(set, id));
	KUNIT_EXPECT_EQ(test, h->nr_free, 1);
	KUNIT_EXPECT_EQ(test, mock_host_live(h), 1);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, NULL), ERR_PTR(-ENOENT));
}

static void custom_allocator_respects_quota(struct kunit *test)
{
	struct ioasid_set *set = new_set(test, 1);
	struct mock_host *h = mock_host_register(test);

	new_id(test, set, 1, IOASID_MAX, NULL);
	KUNIT_EXPECT_EQ(test, -EDQUOT, ioasid_alloc(set, 1, IOASID_MAX, NULL));
	KUNIT_EXPECT_EQ(test, h->nr_alloc, 1);
}

struct host_fail_case {
	const char *name;
	enum host_mode mode;
	int err;
	unsigned int nr_free;	/* IDs given back to the host */
};

static const struct host_fail_case host_fail_cases[] = {
	{ "host-has-none", HOST_FAIL, -ENOSPC, 0 },
	{ "host-out-of-range", HOST_OUT_OF_RANGE, -EIO, 1 },
	{ "host-hands-out-live-id", HOST_DUP, -EBUSY, 0 },
};

KUNIT_ARRAY_PARAM_DESC(host_fail, host_fail_cases, name);

/* A failed custom allocation is reported, never served by the built-in. */
static void custom_failure_is_reported(struct kunit *test)
{
	const struct host_fail_case *c = test->param_value;
	struct ioasid_set *set = new_set(test, 8);
	struct mock_host *h = mock_host_register(test);
	ioasid_t live = new_id(test, set, 1, IOASID_MAX, &token);

	h->mode = c->mode;
	h->dup = live;
	KUNIT_EXPECT_EQ(test, c->err, ioasid_alloc(set, 1, HOST_BASE + 10,
						   NULL));
	KUNIT_EXPECT_EQ(test, h->nr_alloc, 2);
	KUNIT_EXPECT_EQ(test, h->nr_free, c->nr_free);
	KUNIT_EXPECT_EQ(test, ioasid_set_count(set), 1);
	/* Nothing from the built-in space showed up, the live ID is intact. */
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, 1, NULL), ERR_PTR(-ENOENT));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, live, NULL), (void *)&token);
	h->mode = HOST_OK;
}

static void register_refused_while_builtin_ids_live(struct kunit *test)
{
	struct ioasid_set *set = new_set(test, 2);
	struct mock_host *h = mock_host_new(test);
	int id = ioasid_alloc(set, 1, 100, NULL);

	KUNIT_ASSERT_GE(test, id, 1);
	KUNIT_EXPECT_EQ(test, -EBUSY, ioasid_register_allocator(&h->ops));
	/* Still the built-in allocator. */
	KUNIT_EXPECT_EQ(test, new_id(test, set, 1, 100, NULL), id + 1);
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(set, id));
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(set, id + 1));
	KUNIT_EXPECT_EQ(test, 0, ioasid_register_allocator(&h->ops));
	KUNIT_EXPECT_EQ(test, 0, ioasid_unregister_allocator(&h->ops));
	KUNIT_EXPECT_EQ(test, h->nr_alloc, 0);
}

static void register_rules(struct kunit *test)
{
	struct mock_host *h = mock_host_register(test);
	struct mock_host *other = mock_host_new(test);
	struct ioasid_allocator_ops no_free = { .alloc = mock_host_alloc };
	struct ioasid_allocator_ops no_alloc = { .free = mock_host_free };

	KUNIT_EXPECT_EQ(test, -EEXIST, ioasid_register_allocator(&h->ops));
	KUNIT_EXPECT_EQ(test, -EBUSY, ioasid_register_allocator(&other->ops));
	KUNIT_EXPECT_EQ(test, -EINVAL, ioasid_register_allocator(NULL));
	KUNIT_EXPECT_EQ(test, -EINVAL, ioasid_register_allocator(&no_free));
	KUNIT_EXPECT_EQ(test, -EINVAL, ioasid_register_allocator(&no_alloc));
	KUNIT_EXPECT_EQ(test, -ENOENT, ioasid_unregister_allocator(&other->ops));
	KUNIT_EXPECT_EQ(test, -ENOENT, ioasid_unregister_allocator(NULL));
}

static void unregister_refused_while_its_ids_live(struct kunit *test)
{
	struct ioasid_set *set = new_set(test, 4);
	struct mock_host *h = mock_host_new(test);
	int id, id2;

	KUNIT_ASSERT_EQ(test, 0, ioasid_register_allocator(&h->ops));
	id = ioasid_alloc(set, 1, IOASID_MAX, NULL);
	KUNIT_EXPECT_EQ(test, id, HOST_BASE);
	KUNIT_EXPECT_EQ(test, -EBUSY, ioasid_unregister_allocator(&h->ops));
	/* Still registered and used. */
	id2 = ioasid_alloc(set, 1, IOASID_MAX, NULL);
	KUNIT_EXPECT_EQ(test, id2, HOST_BASE + 1);
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(set, id));
	KUNIT_EXPECT_EQ(test, -EBUSY, ioasid_unregister_allocator(&h->ops));
	KUNIT_EXPECT_EQ(test, 1, ioasid_put(set, id2));
	KUNIT_EXPECT_EQ(test, 0, ioasid_unregister_allocator(&h->ops));
	KUNIT_EXPECT_EQ(test, mock_host_live(h), 0);
	/* Back to the built-in allocator; the host is not called again. */
	KUNIT_EXPECT_EQ(test, new_id(test, set, 1, IOASID_MAX, NULL), 1);
	KUNIT_EXPECT_EQ(test, h->nr_alloc, 2);
	KUNIT_EXPECT_EQ(test, h->nr_free, 2);
}

/* A device that only says how many PASIDs it has. */
static struct device *pasid_dev(struct kunit *test, u32 max_pasids)
{
	struct device *dev = kunit_kzalloc(test, sizeof(*dev), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, dev);
	dev->iommu = kunit_kzalloc(test, sizeof(*dev->iommu), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dev->iommu);
	dev->iommu->max_pasids = max_pasids;
	return dev;
}

/* Whether the core allocates global PASIDs from the system set. */
static bool global_pasids_in_system_set(struct device *dev)
{
	ioasid_t pasid = iommu_alloc_global_pasid(dev);
	bool found;

	if (pasid == IOMMU_PASID_INVALID)
		return false;
	found = !IS_ERR(ioasid_find(&ioasid_system_set, pasid, NULL));
	iommu_free_global_pasid(pasid);
	return found;
}

static void global_pasid_respects_max_pasids(struct kunit *test)
{
	struct device *none = pasid_dev(test, 0);
	struct device *dev = pasid_dev(test, 4);
	bool ours = global_pasids_in_system_set(dev);
	ioasid_t ids[3];
	int i;

	KUNIT_EXPECT_EQ(test, iommu_alloc_global_pasid(none), IOMMU_PASID_INVALID);
	for (i = 0; i < 3; i++) {
		ids[i] = iommu_alloc_global_pasid(dev);
		KUNIT_EXPECT_EQ(test, ids[i], IOMMU_FIRST_GLOBAL_PASID + i);
	}
	KUNIT_EXPECT_EQ(test, iommu_alloc_global_pasid(dev), IOMMU_PASID_INVALID);
	if (ours) {
		/* Live in the system set, with no data. */
		KUNIT_EXPECT_EQ(test, ioasid_set_count(&ioasid_system_set), 3);
		KUNIT_EXPECT_PTR_EQ(test, ioasid_find(&ioasid_system_set,
						      ids[0], NULL), NULL);
	}
	for (i = 0; i < 3; i++)
		iommu_free_global_pasid(ids[i]);
	if (!ours)
		kunit_skip(test, NOT_OUR_CORE);
	KUNIT_EXPECT_EQ(test, ioasid_set_count(&ioasid_system_set), 0);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(&ioasid_system_set, ids[0], NULL),
			    ERR_PTR(-ENOENT));
}

static void global_pasid_from_custom_allocator(struct kunit *test)
{
	struct device *dev = pasid_dev(test, 1U << 20);
	struct mock_host *h;
	ioasid_t pasid;

	if (!global_pasids_in_system_set(dev))
		kunit_skip(test, NOT_OUR_CORE);
	h = mock_host_register(test);
	pasid = iommu_alloc_global_pasid(dev);
	KUNIT_EXPECT_EQ(test, pasid, HOST_BASE);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(&ioasid_system_set, pasid, NULL),
			    NULL);
	iommu_free_global_pasid(pasid);
	KUNIT_EXPECT_EQ(test, h->nr_free, 1);
	/* The host has none below the device's limit: no built-in fallback. */
	dev->iommu->max_pasids = HOST_BASE;
	KUNIT_EXPECT_EQ(test, iommu_alloc_global_pasid(dev), IOMMU_PASID_INVALID);
}

static struct kunit_case ioasid_allocator_cases[] = {
	KUNIT_CASE(custom_allocator_takes_precedence),
	KUNIT_CASE(custom_allocator_respects_quota),
	KUNIT_CASE_PARAM(custom_failure_is_reported, host_fail_gen_params),
	KUNIT_CASE(register_refused_while_builtin_ids_live),
	KUNIT_CASE(register_rules),
	KUNIT_CASE(unregister_refused_while_its_ids_live),
	KUNIT_CASE(global_pasid_respects_max_pasids),
	KUNIT_CASE(global_pasid_from_custom_allocator),
	{}
};

static struct kunit_suite ioasid_allocator_suite = {
	.name = "ioasid-allocator",
	.test_cases = ioasid_allocator_cases,
};

/*
 * Fail-nth (fail-nth.h): every slab allocation of a call fails in turn
 * until the call gets through without an injected failure.
 */
struct fail_ctx {
	struct kunit *test;
	struct ioasid_set *set;
	struct mock_host *host;
	unsigned int left;	/* > 0: the call made fewer than nth */
	unsigned int system_count;	/* IDs of the system set before */
};

/* Called by an op that succeeded, before it checks and undoes itself. */
static void fail_ctx_disarm(struct fail_ctx *c)
{
	c->left = fail_nth_left();
	fail_nth_set(0);
}

/* Each op: 0 or an errno; on success it undoes itself after checking. */
static int op_set_alloc(struct fail_ctx *c)
{
	struct ioasid_set *set = ioasid_set_alloc(&token, 5);

	if (IS_ERR(set))
		return PTR_ERR(set);
	fail_ctx_disarm(c);
	KUNIT_EXPECT_EQ(c->test, 0, ioasid_set_free(set));
	return 0;
}

/* Far from any other ID, so that it needs a new leaf of the table. */
#define FAIL_ID		0x9abc0

static int op_alloc(struct fail_ctx *c)
{
	int id = ioasid_alloc(c->set, FAIL_ID, FAIL_ID + 3, &token);

	if (id < 0)
		return id;
	fail_ctx_disarm(c);
	KUNIT_EXPECT_EQ(c->test, id, FAIL_ID);
	KUNIT_EXPECT_PTR_EQ(c->test, ioasid_find(c->set, id, NULL),
			    (void *)&token);
	KUNIT_EXPECT_EQ(c->test, 1, ioasid_put(c->set, id));
	return 0;
}

static int op_alloc_custom(struct fail_ctx *c)
{
	int id = ioasid_alloc(c->set, 1, IOASID_MAX, &token);

	if (id < 0)
		return id;
	fail_ctx_disarm(c);
	KUNIT_EXPECT_EQ(c->test, id, HOST_BASE);
	KUNIT_EXPECT_PTR_EQ(c->test, ioasid_find(c->set, id, NULL),
			    (void *)&token);
	KUNIT_EXPECT_EQ(c->test, 1, ioasid_put(c->set, id));
	return 0;
}

/*
 * The first data attached to a global PASID needs a record for it.  Only
 * the attach is swept, so that the record's allocation comes first
 * whatever the ID's own allocation needed (op_alloc() sweeps that).
 */
static int op_attach_global(struct fail_ctx *c)
{
	unsigned int nth = fail_nth_left();
	int id, ret;

	fail_nth_set(0);
	id = ioasid_alloc(&ioasid_system_set, FAIL_ID, FAIL_ID + 3, NULL);
	fail_nth_set(nth);
	if (id < 0)
		return id;
	ret = ioasid_attach_data(&ioasid_system_set, id, &token);
	if (ret) {
		/* Still a live global PASID without data. */
		KUNIT_EXPECT_NULL(c->test, ioasid_find(&ioasid_system_set, id,
						       NULL));
		KUNIT_EXPECT_EQ(c->test, 1, ioasid_put(&ioasid_system_set, id));
		return ret;
	}
	fail_ctx_disarm(c);
	KUNIT_EXPECT_PTR_EQ(c->test, ioasid_find(&ioasid_system_set, id, NULL),
			    (void *)&token);
	KUNIT_EXPECT_EQ(c->test, 1, ioasid_put(&ioasid_system_set, id));
	return 0;
}

static int op_register(struct fail_ctx *c)
{
	int ret = ioasid_register_allocator(&c->host->ops);

	if (ret)
		return ret;
	fail_ctx_disarm(c);
	KUNIT_EXPECT_EQ(c->test, 0, ioasid_unregister_allocator(&c->host->ops));
	return 0;
}

/* After a failed call: nothing allocated, nothing charged, no ID taken. */
static void fail_nth_check_unchanged(struct fail_ctx *c)
{
	struct kunit *test = c->test;

	KUNIT_EXPECT_EQ(test, ioasid_set_count(c->set), 0);
	KUNIT_EXPECT_EQ(test, ioasid_set_count(&ioasid_system_set),
			c->system_count);
	KUNIT_EXPECT_EQ(test, refcount_read(&c->set->refs), 1);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(c->set, FAIL_ID, NULL),
			    ERR_PTR(-ENOENT));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(c->set, HOST_BASE, NULL),
			    ERR_PTR(-ENOENT));
	KUNIT_EXPECT_EQ(test, mock_host_live(c->host), 0);
	KUNIT_EXPECT_EQ(test, c->host->nr_alloc, c->host->nr_free);
}

struct fail_case {
	const char *name;
	int (*op)(struct fail_ctx *c);
	bool custom;		/* with the mock host registered */
};

static const struct fail_case fail_cases[] = {
	{ "set_alloc", op_set_alloc, false },
	{ "alloc", op_alloc, false },
	{ "alloc-custom", op_alloc_custom, true },
	{ "attach-global", op_attach_global, false },
	{ "register", op_register, false },
};

KUNIT_ARRAY_PARAM_DESC(fail, fail_cases, name);

static void fail_nth_every_allocation(struct kunit *test)
{
	const struct fail_case *fc = test->param_value;
	struct fail_ctx c = {
		.test = test,
		.set = new_set(test, 4),
		.system_count = ioasid_set_count(&ioasid_system_set),
	};
	unsigned int nth, failed = 0;
	int ret;

	c.host = fc->custom ? mock_host_register(test) : mock_host_new(test);
	fail_nth_arm_failslab(test);
	/* How many allocations a call makes, without failing any. */
	fail_nth_set(FAIL_NTH_LIMIT + 1);
	KUNIT_ASSERT_EQ(test, 0, fc->op(&c));
	kunit_info(test, "%s: %u slab allocation(s) per call", fc->name,
		   FAIL_NTH_LIMIT + 1 - c.left);
	for (nth = 1; nth <= FAIL_NTH_LIMIT; nth++) {
		fail_nth_set(nth);
		ret = fc->op(&c);
		if (ret) {
			fail_nth_set(0);
			KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "nth %u", nth);
			fail_nth_check_unchanged(&c);
			failed++;
			continue;
		}
		fail_nth_check_unchanged(&c);
		/* Done once the call got through without reaching nth. */
		if (c.left)
			break;
	}
	fail_nth_set(0);
	kunit_info(test, "%s: failed allocations 1 to %u in turn: %u returned -ENOMEM, the others were retried inside",
		   fc->name, nth - 1, failed);
	KUNIT_EXPECT_GE(test, failed, 1);
	KUNIT_EXPECT_LE(test, nth, FAIL_NTH_LIMIT);
	/* Still registered exactly when it was before. */
	if (fc->custom)
		KUNIT_EXPECT_EQ(test, -EEXIST,
				ioasid_register_allocator(&c.host->ops));
	else
		KUNIT_EXPECT_EQ(test, -ENOENT,
				ioasid_unregister_allocator(&c.host->ops));
}

static struct kunit_case ioasid_fail_nth_cases[] = {
	KUNIT_CASE_PARAM(fail_nth_every_allocation, fail_gen_params),
	{}
};

static struct kunit_suite ioasid_fail_nth_suite = {
	.name = "ioasid-fail-nth",
	.test_cases = ioasid_fail_nth_cases,
};

kunit_test_suites(&ioasid_suite, &ioasid_allocator_suite,
		  &ioasid_fail_nth_suite);

MODULE_DESCRIPTION("KUnit tests for the ioasid allocator");
MODULE_LICENSE("GPL");
