// SPDX-License-Identifier: GPL-2.0-only
/*
 * Concurrency stress for the IOMMU core: kthreads at once probe and remove
 * devices in a group that another thread claims and
 * releases for a user owner, bind and unbind a kernel DMA API user that
 * competes with a user owner who attaches, maps and detaches its own
 * domain, and attach and detach global PASIDs on two devices of a group.
 *
 * While holding the group mutex each thread checks the invariants the
 * design promises (DESIGN.md section 5): every member is attached, as the
 * driver sees it, to the group's domain; a claimed group is never on its
 * default domain; a group in kernel use is on it.  At the end every group
 * is back on its default domain, unowned, and the driver counts no device,
 * domain or PASID more than the fixture made.
 *
 * The work is bounded, never the time: the two probe-remove threads each
 * make STRESS_PROBES devices, and every other thread works at least
 * STRESS_MIN_OPS times and then for as long as one of them still does
 * (at most STRESS_MAX_OPS times), so a slow machine makes the case longer,
 * not smaller.
 *
 * The invariants read the group through the core's test seam
 * (iommu-group-state.h), which the base's core lacks: the harness does not
 * run this suite there.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/iommu.h>
#include <linux/kthread.h>

#include "../iommu-group-state.h"
#include "../iommu-priv.h"
#include "iommu-mock.h"

#define STRESS_PROBES	400	/* per probe-remove thread: the pace */
#define STRESS_MIN_OPS	100
#define STRESS_MAX_OPS	20000

enum {
	CHURN_GROUP = 1,	/* probe/remove against claim/release */
	OWNER_GROUP,		/* kernel use against a user owner's attach */
	PASID_GROUP,		/* PASID attach/detach from two threads */
};

static int user_cookie[2];

struct stress_ctx {
	struct iommu_mock *mock;
	struct device *churn_dev, *owner_dev[2], *pasid_dev[2];
	struct iommu_domain *user_dom, *pasid_dom;
	atomic_t pacers;	/* probe-remove threads still at work */
	atomic_t broken;	/* invariant violations seen */
	atomic_t errors;	/* calls that failed where they must not */
};

struct stress_thread {
	struct stress_ctx *ctx;
	int (*fn)(struct stress_thread *t);
	const char *name;
	unsigned int arg;
	bool pacer;
	bool contended;		/* refused while another thread has the group */
	unsigned long ops, refused;
	struct completion done;
};

/* Each member is attached, as the driver sees it, to the group's domain. */
static bool member_consistent(struct device *dev,
			      const struct iommu_group_state *state)
{
	return iommu_mock_dev(dev)->attached == state->domain;
}

/* The design's invariants, all read at one moment. */
static bool group_consistent(struct iommu_group *group)
{
	struct iommu_group_state state;

	if (iommu_group_get_state(group, &state, member_consistent))
		return false;
	if (state.owner_cnt && state.owner)
		return state.domain != state.default_domain;
	if (state.owner_cnt)
		return state.domain == state.default_domain;
	return true;
}

static void stress_check(struct stress_ctx *ctx, struct iommu_group *group)
{
	if (!group_consistent(group))
		atomic_inc(&ctx->broken);
}

/* Devices come and go in the group the claimer claims and releases. */
static int stress_probe(struct stress_thread *t)
{
	struct iommu_mock_dev_cfg cfg = { .group_id = CHURN_GROUP };
	struct platform_device *pdev;

	pdev = iommu_mock_new_device(t->ctx->mock, &cfg);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	if (!device_iommu_mapped(&pdev->dev))
		atomic_inc(&t->ctx->errors);
	else
		stress_check(t->ctx, pdev->dev.iommu_group);
	platform_device_unregister(pdev);
	return 0;
}

static int stress_claim(struct stress_thread *t)
{
	struct device *dev = t->ctx->churn_dev;
	int ret;

	ret = iommu_device_claim_dma_owner(dev, &user_cookie[0]);
	if (ret)
		return ret;
	stress_check(t->ctx, dev->iommu_group);
	iommu_device_release_dma_owner(dev);
	return 0;
}

/* A driver binding: refused while the user owner has the group. */
static int stress_kernel_use(struct stress_thread *t)
{
	struct device *dev = t->ctx->owner_dev[0];
	int ret;

	ret = iommu_device_use_default_domain(dev);
	if (ret)
		return ret;
	stress_check(t->ctx, dev->iommu_group);
	iommu_device_unuse_default_domain(dev);
	return 0;
}

/* A user owner: claim, attach its domain, map and read back, undo. */
static int stress_user_attach(struct stress_thread *t)
{
	struct stress_ctx *ctx = t->ctx;
	struct device *dev = ctx->owner_dev[1];
	unsigned long iova = SZ_1M;
	int ret;

	ret = iommu_device_claim_dma_owner(dev, &user_cookie[1]);
	if (ret)
		return ret;
	ret = iommu_attach_group(ctx->user_dom, dev->iommu_group);
	if (ret) {
		atomic_inc(&ctx->errors);
		goto release;
	}
	stress_check(ctx, dev->iommu_group);
	if (iommu_map(ctx->user_dom, iova, SZ_2M, SZ_4K,
		      IOMMU_READ | IOMMU_WRITE, GFP_KERNEL) ||
	    iommu_iova_to_phys(ctx->user_dom, iova) != SZ_2M ||
	    iommu_unmap(ctx->user_dom, iova, SZ_4K) != SZ_4K)
		atomic_inc(&ctx->errors);
	iommu_detach_group(ctx->user_dom, dev->iommu_group);
release:
	iommu_device_release_dma_owner(dev);
	return 0;
}

static int stress_pasid(struct stress_thread *t)
{
	struct stress_ctx *ctx = t->ctx;
	struct device *dev = ctx->pasid_dev[t->arg];
	ioasid_t pasid = iommu_alloc_global_pasid(dev);
	struct iommu_attach_handle handle = {};
	int ret;

	if (pasid == IOMMU_PASID_INVALID)
		return -ENOSPC;
	ret = iommu_attach_device_pasid(ctx->pasid_dom, dev, pasid, &handle);
	if (ret) {
		atomic_inc(&ctx->errors);
	} else {
		if (iommu_attach_handle_get(dev->iommu_group, pasid, 0) !=
		    &handle || handle.domain != ctx->pasid_dom)
			atomic_inc(&ctx->broken);
		iommu_detach_device_pasid(ctx->pasid_dom, dev, pasid);
	}
	iommu_free_global_pasid(pasid);
	return 0;
}

static bool stress_more(struct stress_thread *t, unsigned long i)
{
	if (t->pacer)
		return i < STRESS_PROBES;
	return i < STRESS_MIN_OPS ||
	       (atomic_read(&t->ctx->pacers) && i < STRESS_MAX_OPS);
}

/* As in 6.12: a kernel DMA user is refused -EBUSY, a claim -EPERM. */
static bool stress_refusal(int ret)
{
	return ret == -EBUSY || ret == -EPERM;
}

static int stress_thread_fn(void *data)
{
	struct stress_thread *t = data;
	unsigned long i;
	int ret;

	for (i = 0; stress_more(t, i); i++) {
		ret = t->fn(t);
		if (!ret)
			t->ops++;
		else if (stress_refusal(ret))
			t->refused++;
		else
			atomic_inc(&t->ctx->errors);
		cond_resched();
	}
	if (t->pacer)
		atomic_dec(&t->ctx->pacers);
	complete(&t->done);
	/* Stay for kthread_stop(), which owns the task_struct reference. */
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static void stress_fixture(struct kunit *test, struct stress_ctx *ctx)
{
	struct iommu_mock_dev_cfg pasid_cfg = {
		.group_id = PASID_GROUP,
		.pasid_bits = 20,
	};
	int i;

	ctx->mock = iommu_mock_create(test);
	ctx->churn_dev = iommu_mock_add_device(test, ctx->mock, CHURN_GROUP, 0);
	for (i = 0; i < 2; i++) {
		ctx->owner_dev[i] = iommu_mock_add_device(test, ctx->mock,
							  OWNER_GROUP, 0);
		ctx->pasid_dev[i] = iommu_mock_add_device_cfg(test, ctx->mock,
							      &pasid_cfg);
	}
	ctx->user_dom = iommu_mock_paging_domain(test, ctx->owner_dev[1]);
	ctx->pasid_dom = iommu_mock_paging_domain(test, ctx->pasid_dev[0]);
}

static void stress_expect_settled(struct kunit *test, struct device *dev)
{
	struct iommu_group_state state;

	KUNIT_ASSERT_EQ_MSG(test, 0, iommu_group_get_state(dev->iommu_group, &state,
							   member_consistent),
			    "members off the group's domain, or no group state seam");
	KUNIT_EXPECT_EQ(test, state.owner_cnt, 0);
	KUNIT_EXPECT_PTR_EQ(test, state.domain, state.default_domain);
	KUNIT_EXPECT_FALSE(test, state.has_pasids);
	KUNIT_EXPECT_EQ(test, iommu_mock_dev(dev)->nr_pasids, 0);
}

/*
 * Each kind made progress: nothing deadlocked, and nothing the threads did
 * left a group unusable.  The API promises no fairness between a kernel
 * user and a user owner of one group: either may be refused every time
 * while the other holds it, so one of them that never got in gets one
 * more try, alone, which must succeed.
 */
static void stress_expect_progress(struct kunit *test, struct stress_thread *t)
{
	if (!t->ops && t->contended) {
		KUNIT_EXPECT_EQ_MSG(test, t->fn(t), 0, "%s, alone", t->name);
		return;
	}
	KUNIT_EXPECT_GT_MSG(test, t->ops, 0, "%s", t->name);
}

static void everything_at_once(struct kunit *test)
{
	struct stress_thread threads[] = {
		{ .fn = stress_probe, .name = "probe-remove", .pacer = true },
		{ .fn = stress_probe, .name = "probe-remove", .pacer = true },
		{ .fn = stress_claim, .name = "claim-release" },
		{ .fn = stress_kernel_use, .name = "kernel-use",
		  .contended = true },
		{ .fn = stress_user_attach, .name = "user-attach-map",
		  .contended = true },
		{ .fn = stress_pasid, .name = "pasid", .arg = 0 },
		{ .fn = stress_pasid, .name = "pasid", .arg = 1 },
	};
	struct task_struct *tasks[ARRAY_SIZE(threads)];
	struct stress_ctx ctx = {};
	int nr_devices, nr_domains, i;

	stress_fixture(test, &ctx);
	nr_devices = atomic_read(&ctx.mock->nr_devices);
	nr_domains = atomic_read(&ctx.mock->nr_domains);
	for (i = 0; i < ARRAY_SIZE(threads); i++)
		atomic_add(threads[i].pacer, &ctx.pacers);
	for (i = 0; i < ARRAY_SIZE(threads); i++) {
		threads[i].ctx = &ctx;
		init_completion(&threads[i].done);
		tasks[i] = kthread_run(stress_thread_fn, &threads[i],
				       "iommu-stress/%d", i);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tasks[i]);
	}
	for (i = 0; i < ARRAY_SIZE(threads); i++) {
		wait_for_completion(&threads[i].done);
		kthread_stop(tasks[i]);
		kunit_info(test, "%-16s %6lu done, %6lu refused", threads[i].name,
			   threads[i].ops, threads[i].refused);
	}
	for (i = 0; i < ARRAY_SIZE(threads); i++)
		stress_expect_progress(test, &threads[i]);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx.broken), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx.errors), 0);
	/* Nothing competes with these: a refusal would be a bug. */
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, threads[i].refused, 0);
	stress_expect_settled(test, ctx.churn_dev);
	stress_expect_settled(test, ctx.owner_dev[0]);
	stress_expect_settled(test, ctx.pasid_dev[0]);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx.mock->nr_devices), nr_devices);
	/* The driver's blocking domain is static: no domain was made. */
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx.mock->nr_domains), nr_domains);
}

static struct kunit_case iommu_stress_cases[] = {
	KUNIT_CASE(everything_at_once),
	{}
};

static struct kunit_suite iommu_stress_suite = {
	.name = "iommu-stress",
	.test_cases = iommu_stress_cases,
};

kunit_test_suite(iommu_stress_suite);

MODULE_DESCRIPTION("Concurrency stress KUnit suite for the IOMMU core");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
