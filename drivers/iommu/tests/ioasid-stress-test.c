// SPDX-License-Identifier: GPL-2.0-only
/*
 * Concurrency of the ioasid allocator: kthreads allocating, attaching and
 * replacing data, freeing and finding at once, with a checker that no ID
 * is handed out twice and that no lookup returns data that was freed; and
 * the rates of alloc, free and find with one and two threads, as the
 * median ns/op over repeated rounds.  One of the two sets
 * is the system set, whose IDs start without a record and get one when
 * data is attached, while lookups run.
 *
 * The work is bounded, never the time: each writer makes STRESS_ITERS
 * allocations and the readers look up for as long as a writer works (at
 * least STRESS_MIN_FINDS times), so a slow machine makes the case longer,
 * not smaller.
 *
 * Data objects are only poisoned, from an RCU callback queued once they
 * are unreachable, and freed when the case ends, so that a lookup handing
 * out stale data reads the poison instead of freed memory.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/ioasid.h>
#include <linux/kthread.h>
#include <linux/llist.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>

#define STRESS_WRITERS		3
#define STRESS_READERS		2
#define STRESS_ITERS		1000	/* per writer */
#define STRESS_MIN_FINDS	1000	/* per reader */
#define STRESS_MIN		1
#define STRESS_MAX		256	/* small, so that IDs are reused */
#define STRESS_HELD		8	/* IDs a writer holds at once */

#define OBJ_LIVE	0x11ea5eedU
#define OBJ_DEAD	0xdeadbeefU

struct stress_obj {
	u32 magic;
	ioasid_t id;
	struct ioasid_set *set;
	struct rcu_head rcu;
	struct llist_node all;
};

struct stress {
	struct ioasid_set *sets[2];
	atomic_t writing;	/* writers still at work */
	DECLARE_BITMAP(live, STRESS_MAX + 1);
	struct llist_head objs;
	atomic_t running;
	struct completion done;
	/* What the checker found. */
	atomic_t dup_ids, stale_finds, bad_errnos, alloc_errors;
	atomic_long_t allocs, hits;
};

static void obj_poison(struct rcu_head *rcu)
{
	WRITE_ONCE(container_of(rcu, struct stress_obj, rcu)->magic, OBJ_DEAD);
}

static struct stress_obj *obj_new(struct stress *s, struct ioasid_set *set,
				  ioasid_t id)
{
	struct stress_obj *o = kzalloc(sizeof(*o), GFP_KERNEL);

	if (!o)
		return NULL;
	o->magic = OBJ_LIVE;
	o->id = id;
	o->set = set;
	llist_add(&o->all, &s->objs);
	return o;
}

static void stress_thread_done(struct stress *s)
{
	if (atomic_dec_and_test(&s->running))
		complete(&s->done);
}

struct held {
	ioasid_t id;
	struct stress_obj *obj;
};

static void writer_release(struct stress *s, struct ioasid_set *set,
			   struct held *h)
{
	/* Unmark first: once freed, the ID may be handed out at once. */
	clear_bit(h->id, s->live);
	ioasid_free(set, h->id);
	if (h->obj)
		call_rcu(&h->obj->rcu, obj_poison);
	h->obj = NULL;
}

static void writer_take(struct stress *s, struct ioasid_set *set,
			struct held *h, unsigned long i)
{
	struct stress_obj *o;
	int id;

	id = ioasid_alloc(set, STRESS_MIN, STRESS_MAX, NULL);
	if (id < 0) {
		/* The range is shared by every writer: it may be full. */
		if (id != -ENOSPC)
			atomic_inc(&s->alloc_errors);
		h->id = INVALID_IOASID;
		return;
	}
	atomic_long_inc(&s->allocs);
	if (test_and_set_bit(id, s->live))
		atomic_inc(&s->dup_ids);
	h->id = id;
	h->obj = NULL;
	/* Now and then no data: a system-set ID then stays without record. */
	if (i % 4 == 3)
		return;
	o = obj_new(s, set, id);
	if (!o || ioasid_attach_data(set, id, o))
		return;
	h->obj = o;
	/* Now and then replace the data: the old one is unreachable after. */
	if (i % 4 == 1) {
		o = obj_new(s, set, id);
		if (!o || ioasid_attach_data(set, id, o))
			return;
		WRITE_ONCE(h->obj->magic, OBJ_DEAD);
		h->obj = o;
	}
}

struct stress_thread {
	struct stress *s;
	int idx;
};

static int stress_writer(void *arg)
{
	struct stress_thread *t = arg;
	struct stress *s = t->s;
	struct ioasid_set *set = s->sets[t->idx % 2];
	struct held held[STRESS_HELD];
	unsigned long i;
	int slot;

	for (slot = 0; slot < STRESS_HELD; slot++)
		held[slot].id = INVALID_IOASID;
	for (i = 0; i < STRESS_ITERS; i++) {
		slot = i % STRESS_HELD;
		if (held[slot].id != INVALID_IOASID)
			writer_release(s, set, &held[slot]);
		writer_take(s, set, &held[slot], i);
		cond_resched();
	}
	for (slot = 0; slot < STRESS_HELD; slot++)
		if (held[slot].id != INVALID_IOASID)
			writer_release(s, set, &held[slot]);
	atomic_dec(&s->writing);
	stress_thread_done(s);
	return 0;
}

static bool obj_check(void *private)
{
	return READ_ONCE(((struct stress_obj *)private)->magic) == OBJ_LIVE;
}

static void reader_find(struct stress *s, struct ioasid_set *set, ioasid_t id,
			bool with_getter)
{
	struct stress_obj *o;

	rcu_read_lock();
	o = ioasid_find(set, id, with_getter ? obj_check : NULL);
	if (IS_ERR(o)) {
		/* -ESRCH: the getter saw poisoned data. */
		if (PTR_ERR(o) == -ESRCH)
			atomic_inc(&s->stale_finds);
		else if (PTR_ERR(o) != -ENOENT && PTR_ERR(o) != -EACCES)
			atomic_inc(&s->bad_errnos);
	} else if (o) {
		atomic_long_inc(&s->hits);
		if (READ_ONCE(o->magic) != OBJ_LIVE || o->id != id ||
		    o->set != set)
			atomic_inc(&s->stale_finds);
	}
	rcu_read_unlock();
}

static int stress_reader(void *arg)
{
	struct stress_thread *t = arg;
	struct stress *s = t->s;
	unsigned long i;

	for (i = 0; i < STRESS_MIN_FINDS || atomic_read(&s->writing); i++) {
		reader_find(s, s->sets[i % 2],
			    STRESS_MIN + get_random_u32_below(STRESS_MAX), i & 4);
		if (!(i % 64))
			cond_resched();
	}
	stress_thread_done(s);
	return 0;
}

KUNIT_DEFINE_ACTION_WRAPPER(put_set, ioasid_set_put, struct ioasid_set *);

static struct ioasid_set *stress_set(struct kunit *test, unsigned int quota)
{
	static int token;
	struct ioasid_set *set = ioasid_set_alloc(&token, quota);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, set);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, put_set, set));
	return set;
}

static void stress_free_objs(struct stress *s)
{
	struct stress_obj *o, *n;

	rcu_barrier();
	llist_for_each_entry_safe(o, n, llist_del_all(&s->objs), all)
		kfree(o);
}

static void concurrent_alloc_free_find(struct kunit *test)
{
	struct stress *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	int nr = STRESS_WRITERS + STRESS_READERS;
	struct stress_thread *t = kunit_kcalloc(test, nr, sizeof(*t),
						GFP_KERNEL);
	unsigned int system_count;
	struct task_struct *task;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_NOT_NULL(test, t);
	s->sets[0] = stress_set(test, STRESS_MAX);
	s->sets[1] = &ioasid_system_set;
	system_count = ioasid_set_count(&ioasid_system_set);
	init_llist_head(&s->objs);
	init_completion(&s->done);
	atomic_set(&s->running, nr);
	atomic_set(&s->writing, STRESS_WRITERS);
	for (i = 0; i < nr; i++) {
		t[i].s = s;
		t[i].idx = i;
		task = kthread_run(i < STRESS_WRITERS ? stress_writer :
				   stress_reader, &t[i], "ioasid-stress/%d", i);
		if (IS_ERR(task)) {
			/* Count it out, so that done still completes. */
			if (i < STRESS_WRITERS)
				atomic_dec(&s->writing);
			stress_thread_done(s);
			KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(task));
		}
	}
	wait_for_completion(&s->done);
	stress_free_objs(s);

	kunit_info(test, "%ld allocations, %ld lookups found data",
		   atomic_long_read(&s->allocs), atomic_long_read(&s->hits));
	KUNIT_EXPECT_EQ(test, atomic_read(&s->dup_ids), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->stale_finds), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->bad_errnos), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->alloc_errors), 0);
	KUNIT_EXPECT_GT(test, atomic_long_read(&s->allocs), 0);
	KUNIT_EXPECT_GT(test, atomic_long_read(&s->hits), 0);
	KUNIT_EXPECT_EQ(test, ioasid_set_count(s->sets[0]), 0);
	KUNIT_EXPECT_EQ(test, ioasid_set_count(s->sets[1]), system_count);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(s->live, STRESS_MAX + 1));
}

/*
 * Rates: each thread, in each round, allocates BENCH_OPS IDs in a set of
 * its own, finds each, then frees each, timing each phase.  The figure is
 * the median over every thread's rounds.
 */
#define BENCH_OPS	512
#define BENCH_ROUNDS	15
#define BENCH_THREADS	2

enum { BENCH_ALLOC, BENCH_FIND, BENCH_FREE, BENCH_NR };

struct bench_thread {
	struct ioasid_set *set;
	struct completion *go, *done;
	atomic_t *running;
	ioasid_t ids[BENCH_OPS];
	u64 ns[BENCH_NR][BENCH_ROUNDS];	/* per op */
	int errors;
};

static void bench_round(struct bench_thread *b, int r)
{
	u64 t0, t1, t2, t3;
	int i, id;

	t0 = ktime_get_ns();
	for (i = 0; i < BENCH_OPS; i++) {
		id = ioasid_alloc(b->set, 1, IOASID_MAX, b);
		b->ids[i] = id;
		if (id < 0)
			b->errors++;
	}
	t1 = ktime_get_ns();
	for (i = 0; i < BENCH_OPS; i++)
		if (ioasid_find(b->set, b->ids[i], NULL) != b)
			b->errors++;
	t2 = ktime_get_ns();
	for (i = 0; i < BENCH_OPS; i++)
		if (ioasid_put(b->set, b->ids[i]) != 1)
			b->errors++;
	t3 = ktime_get_ns();
	b->ns[BENCH_ALLOC][r] = div_u64(t1 - t0, BENCH_OPS);
	b->ns[BENCH_FIND][r] = div_u64(t2 - t1, BENCH_OPS);
	b->ns[BENCH_FREE][r] = div_u64(t3 - t2, BENCH_OPS);
}

static int bench_thread_fn(void *arg)
{
	struct bench_thread *b = arg;
	int r;

	wait_for_completion(b->go);
	for (r = 0; r < BENCH_ROUNDS; r++) {
		bench_round(b, r);
		cond_resched();
	}
	if (atomic_dec_and_test(b->running))
		complete(b->done);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 bench_median(struct bench_thread *b, int nr, int what)
{
	u64 all[BENCH_THREADS * BENCH_ROUNDS];
	int i, n = 0;

	for (i = 0; i < nr; i++) {
		memcpy(&all[n], b[i].ns[what], sizeof(b[i].ns[what]));
		n += BENCH_ROUNDS;
	}
	sort(all, n, sizeof(all[0]), cmp_u64, NULL);
	return all[n / 2];
}

struct bench_case {
	const char *name;
	int threads;
};

static const struct bench_case bench_cases[] = {
	{ "1-thread", 1 },
	{ "2-threads", 2 },
};

KUNIT_ARRAY_PARAM_DESC(bench, bench_cases, name);

static void alloc_free_find_rates(struct kunit *test)
{
	const struct bench_case *c = test->param_value;
	struct bench_thread *b = kunit_kcalloc(test, c->threads, sizeof(*b),
					       GFP_KERNEL);
	DECLARE_COMPLETION_ONSTACK(go);
	DECLARE_COMPLETION_ONSTACK(done);
	atomic_t running = ATOMIC_INIT(c->threads);
	struct task_struct *task;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, b);
	for (i = 0; i < c->threads; i++) {
		b[i].set = stress_set(test, BENCH_OPS);
		b[i].go = &go;
		b[i].done = &done;
		b[i].running = &running;
	}
	for (i = 0; i < c->threads; i++) {
		task = kthread_run(bench_thread_fn, &b[i], "ioasid-bench/%d", i);
		if (IS_ERR(task)) {
			/* The ones started wait for go: let them finish. */
			atomic_sub(c->threads - i, &running);
			complete_all(&go);
			if (i)
				wait_for_completion(&done);
			KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(task));
			return;
		}
	}
	complete_all(&go);
	wait_for_completion(&done);

	for (i = 0; i < c->threads; i++)
		KUNIT_EXPECT_EQ(test, b[i].errors, 0);
	kunit_info(test, "ioasid median ns/op, %d thread(s), %d rounds x %d ops: alloc %llu free %llu find %llu\n",
		   c->threads, BENCH_ROUNDS, BENCH_OPS,
		   bench_median(b, c->threads, BENCH_ALLOC),
		   bench_median(b, c->threads, BENCH_FREE),
		   bench_median(b, c->threads, BENCH_FIND));
}

static struct kunit_case ioasid_stress_cases[] = {
	KUNIT_CASE(concurrent_alloc_free_find),
	KUNIT_CASE_PARAM(alloc_free_find_rates, bench_gen_params),
	{}
};

static struct kunit_suite ioasid_stress_suite = {
	.name = "ioasid-stress",
	.test_cases = ioasid_stress_cases,
};

kunit_test_suite(ioasid_stress_suite);

MODULE_DESCRIPTION("KUnit stress and rate cases for the ioasid allocator");
MODULE_LICENSE("GPL");
