// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for DMA ownership (drivers/iommu/core/owner.c).
 *
 * The state machine is driven through table-driven sequences of calls,
 * each with the errno it must return, and the group's state is checked
 * after each sequence: owner_cnt, owner, and which domain the members are
 * on.  Around it: each reason a group refuses a claim, the refusal of a
 * group whose members have different IOMMU drivers, a device hot-added to
 * a claimed group, PASIDs blocking a claim, the bus path with and without
 * driver_managed_dma, and claims racing from several threads.
 *
 * It uses the design's names for DMA ownership, which only our core has
 * (the Kconfig builds it with our core only), and reads the group's state
 * through the core's test seam (iommu-group-state.h).
 */
#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/platform_device.h>

#include "../iommu-group-state.h"
#include "iommu-mock.h"

/* The group's state now; the case fails if the core cannot tell it. */
static struct iommu_group_state group_state(struct kunit *test,
					    struct iommu_group *group)
{
	struct iommu_group_state state;

	KUNIT_ASSERT_EQ_MSG(test, 0, iommu_group_get_state(group, &state, NULL),
			    "the core has no group state seam");
	return state;
}

enum owner_op {
	USE,		/* iommu_device_use_dma_api(dev) */
	UNUSE,		/* iommu_device_unuse_dma_api(dev) */
	CLAIM,		/* iommu_device_claim_dma_owner(dev, owner) */
	RELEASE,	/* iommu_device_release_dma_owner(dev) */
	GROUP_SET,	/* iommu_group_set_dma_owner(group, owner) */
	GROUP_CLAIM,	/* iommu_group_claim_dma_owner(group, owner) */
	GROUP_RELEASE,	/* iommu_group_release_dma_owner(group) */
	ATTACH,		/* iommu_attach_group(paging domain, group) */
	DETACH,		/* iommu_detach_group(paging domain, group) */
};

struct owner_step {
	enum owner_op op;
	int dev;	/* which of the group's two devices */
	int owner;	/* 1 or 2: two distinct cookies */
	int ret;
};

enum where { ON_DEFAULT, ON_BLOCKING, ON_PAGING };

struct owner_case {
	const char *name;
	struct owner_step steps[8];
	unsigned int nr_steps;
	unsigned int owner_cnt;
	int owner;		/* 0: kernel or nobody */
	enum where where;
};

#define STEP(o, d, w, r) { .op = o, .dev = d, .owner = w, .ret = r }

static const struct owner_case owner_cases[] = {
	{ "kernel-user-refuses-claims",
	  { STEP(USE, 0, 0, 0), STEP(CLAIM, 1, 1, -EPERM),
	    STEP(GROUP_SET, 0, 1, -EPERM) }, 3, 1, 0, ON_DEFAULT },
	{ "user-owner-refuses-kernel",
	  { STEP(CLAIM, 0, 1, 0), STEP(USE, 1, 0, -EBUSY) },
	  2, 1, 1, ON_BLOCKING },
	{ "same-owner-is-counted",
	  { STEP(CLAIM, 0, 1, 0), STEP(CLAIM, 1, 1, 0), STEP(RELEASE, 0, 0, 0) },
	  3, 1, 1, ON_BLOCKING },
	{ "last-release-restores-default",
	  { STEP(CLAIM, 0, 1, 0), STEP(CLAIM, 1, 1, 0), STEP(RELEASE, 0, 0, 0),
	    STEP(RELEASE, 1, 0, 0) }, 4, 0, 0, ON_DEFAULT },
	{ "other-owner-refused",
	  { STEP(CLAIM, 0, 1, 0), STEP(CLAIM, 1, 2, -EPERM),
	    STEP(GROUP_SET, 0, 2, -EPERM) }, 3, 1, 1, ON_BLOCKING },
	{ "group-claims-are-counted",
	  { STEP(GROUP_SET, 0, 1, 0), STEP(GROUP_SET, 0, 1, 0),
	    STEP(GROUP_RELEASE, 0, 0, 0) }, 3, 1, 1, ON_BLOCKING },
	{ "base-group-claim-is-exclusive",
	  { STEP(GROUP_CLAIM, 0, 1, 0), STEP(GROUP_CLAIM, 1, 1, -EPERM),
	    STEP(GROUP_CLAIM, 0, 2, -EPERM) }, 3, 1, 1, ON_BLOCKING },
	{ "base-group-claim-refuses-kernel-users",
	  { STEP(USE, 0, 0, 0), STEP(GROUP_CLAIM, 1, 1, -EPERM) },
	  2, 1, 0, ON_DEFAULT },
	{ "base-group-release-is-whole",
	  { STEP(GROUP_CLAIM, 0, 1, 0), STEP(GROUP_RELEASE, 0, 0, 0),
	    STEP(GROUP_CLAIM, 1, 2, 0) }, 3, 1, 2, ON_BLOCKING },
	{ "group-release",
	  { STEP(GROUP_SET, 0, 1, 0), STEP(CLAIM, 1, 1, 0),
	    STEP(GROUP_RELEASE, 0, 0, 0), STEP(RELEASE, 1, 0, 0) },
	  4, 0, 0, ON_DEFAULT },
	{ "kernel-users-are-counted",
	  { STEP(USE, 0, 0, 0), STEP(USE, 1, 0, 0), STEP(UNUSE, 0, 0, 0),
	    STEP(CLAIM, 1, 1, -EPERM), STEP(UNUSE, 1, 0, 0),
	    STEP(CLAIM, 1, 1, 0) }, 6, 1, 1, ON_BLOCKING },
	{ "own-domain-blocks-claim-and-kernel",
	  { STEP(ATTACH, 0, 0, 0), STEP(CLAIM, 0, 1, -EBUSY),
	    STEP(USE, 1, 0, -EBUSY) }, 3, 0, 0, ON_PAGING },
	{ "owner-attaches-its-domain",
	  { STEP(CLAIM, 0, 1, 0), STEP(ATTACH, 0, 0, 0),
	    STEP(CLAIM, 1, 1, 0), STEP(DETACH, 0, 0, 0) },
	  4, 2, 1, ON_BLOCKING },
};

KUNIT_ARRAY_PARAM_DESC(owner, owner_cases, name);

static int owner_cookie[3];

static int run_step(struct device **devs, struct iommu_domain *paging,
		    const struct owner_step *s)
{
	struct device *dev = devs[s->dev];
	void *owner = &owner_cookie[s->owner];

	switch (s->op) {
	case USE:
		return iommu_device_use_dma_api(dev);
	case UNUSE:
		iommu_device_unuse_dma_api(dev);
		return 0;
	case CLAIM:
		return iommu_device_claim_dma_owner(dev, owner);
	case RELEASE:
		iommu_device_release_dma_owner(dev);
		return 0;
	case GROUP_SET:
		return iommu_group_set_dma_owner(dev->iommu_group, owner);
	case GROUP_CLAIM:
		return iommu_group_claim_dma_owner(dev->iommu_group, owner);
	case GROUP_RELEASE:
		iommu_group_release_dma_owner(dev->iommu_group);
		return 0;
	case ATTACH:
		return iommu_attach_group(paging, dev->iommu_group);
	case DETACH:
		iommu_detach_group(paging, dev->iommu_group);
		return 0;
	}
	return -EINVAL;
}

/*
 * Put @dev's group back to nobody, whatever a failed case left behind:
 * kernel users are dropped as unbinding would, claims released.  Bounded,
 * as a call that no longer counts down must not hang the suite.
 */
static void owner_reset(void *data)
{
	struct device *dev = data;
	struct iommu_group *group = dev->iommu_group;
	struct iommu_group_state state;
	int i;

	for (i = 0; i < 64; i++) {
		if (iommu_group_get_state(group, &state, NULL) ||
		    !state.owner_cnt)
			break;
		if (state.owner)
			iommu_group_release_dma_owner(group);
		else
			iommu_device_unuse_dma_api(dev);
	}
	iommu_detach_group(NULL, group);
}

static void ownership_state_machine(struct kunit *test)
{
	const struct owner_case *c = test->param_value;
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *devs[2];
	struct iommu_domain *paging, *want;
	struct iommu_group_state state;
	struct iommu_group *group;
	unsigned int i;

	devs[0] = iommu_mock_add_device(test, mock, 1, 0);
	devs[1] = iommu_mock_add_device(test, mock, 1, 0);
	group = devs[0]->iommu_group;
	paging = iommu_mock_paging_domain(test, devs[0]);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, owner_reset,
							   devs[0]));

	for (i = 0; i < c->nr_steps; i++)
		KUNIT_EXPECT_EQ_MSG(test, run_step(devs, paging, &c->steps[i]),
				    c->steps[i].ret, "step %u", i);

	state = group_state(test, group);
	KUNIT_EXPECT_EQ(test, state.owner_cnt, c->owner_cnt);
	KUNIT_EXPECT_PTR_EQ(test, state.owner,
			    c->owner ? (void *)&owner_cookie[c->owner] : NULL);
	want = c->where == ON_DEFAULT ? state.default_domain :
	       c->where == ON_BLOCKING ? state.blocking_domain : paging;
	KUNIT_EXPECT_PTR_EQ(test, state.domain, want);
	for (i = 0; i < ARRAY_SIZE(devs); i++)
		KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(devs[i])->attached, want);
}

static void hot_add_joins_claimed_domain(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *a = iommu_mock_add_device(test, mock, 2, 0);
	struct iommu_group *group = a->iommu_group;
	struct iommu_domain *def = iommu_get_domain_for_dev(a);
	struct device *b;

	KUNIT_ASSERT_EQ(test, 0, iommu_device_claim_dma_owner(a, &owner_cookie[1]));
	b = iommu_mock_add_device(test, mock, 2, 0);
	KUNIT_ASSERT_PTR_EQ(test, b->iommu_group, group);
	/* Never the default domain: that maps kernel memory. */
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(b)->attached,
			    group_state(test, group).blocking_domain);
	KUNIT_EXPECT_PTR_NE(test, iommu_mock_dev(b)->attached, def);
	KUNIT_EXPECT_EQ(test, iommu_mock_dev(b)->nr_attach, 1);

	iommu_device_release_dma_owner(a);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(a)->attached, def);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(b)->attached, def);
}

/* Without a blocking domain from the driver, an empty paging one blocks. */
static void blocking_falls_back_to_empty_paging(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct iommu_group *group;
	struct iommu_domain *blocking;
	struct device *dev;

	mock->ops.blocked_domain = NULL;
	dev = iommu_mock_add_device(test, mock, 5, 0);
	group = dev->iommu_group;
	KUNIT_ASSERT_EQ(test, 0, iommu_device_claim_dma_owner(dev, &owner_cookie[1]));
	blocking = group_state(test, group).blocking_domain;
	KUNIT_ASSERT_NOT_NULL(test, blocking);
	KUNIT_EXPECT_EQ(test, blocking->type, IOMMU_DOMAIN_UNMANAGED);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(dev)->attached, blocking);
	KUNIT_EXPECT_EQ(test, to_mock_domain(blocking)->nr_map_calls, 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(blocking, SZ_1M), 0);
	iommu_device_release_dma_owner(dev);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(dev)->attached,
			    group_state(test, group).default_domain);
	/* Made once, kept for the next claim, freed with the group. */
	KUNIT_EXPECT_PTR_EQ(test, group_state(test, group).blocking_domain,
			    blocking);
}

static void pasid_blocks_claim(struct kunit *test)
{
	struct iommu_mock_dev_cfg cfg = { .group_id = 3, .pasid_bits = 8 };
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device_cfg(test, mock, &cfg);
	struct iommu_domain *domain = iommu_mock_paging_domain(test, dev);

	KUNIT_ASSERT_EQ(test, dev->iommu->max_pasids, 256);
	KUNIT_ASSERT_EQ(test, 0, iommu_attach_device_pasid(domain, dev, 7, NULL));
	KUNIT_EXPECT_EQ(test, iommu_mock_dev(dev)->nr_pasids, 1);
	KUNIT_EXPECT_EQ(test, -EBUSY,
			iommu_device_claim_dma_owner(dev, &owner_cookie[1]));
	/* Out of the device's PASID range, and the reserved "no PASID". */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			iommu_attach_device_pasid(domain, dev, 256, NULL));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			iommu_attach_device_pasid(domain, dev, IOMMU_NO_PASID, NULL));
	KUNIT_EXPECT_EQ(test, -EBUSY,
			iommu_attach_device_pasid(domain, dev, 7, NULL));

	iommu_detach_device_pasid(domain, dev, 7);
	KUNIT_EXPECT_EQ(test, iommu_mock_dev(dev)->nr_pasids, 0);
	KUNIT_EXPECT_EQ(test, 0,
			iommu_device_claim_dma_owner(dev, &owner_cookie[1]));
	iommu_device_release_dma_owner(dev);
}

static int mock_drv_probe(struct platform_device *pdev)
{
	return 0;
}

struct bus_case {
	const char *name;
	bool driver_managed_dma;
	unsigned int owner_cnt;	/* while the driver is bound */
	int claim_ret;		/* a claim while it is bound */
};

static const struct bus_case bus_cases[] = {
	{ "dma-api-driver", false, 1, -EPERM },
	{ "driver-managed-dma", true, 0, 0 },
};

KUNIT_ARRAY_PARAM_DESC(bus, bus_cases, name);

KUNIT_DEFINE_ACTION_WRAPPER(unregister_drv, platform_driver_unregister,
			    struct platform_driver *);

/* The platform bus calls the kernel side around a real driver binding. */
static void bus_binding_uses_dma_api(struct kunit *test)
{
	const struct bus_case *c = test->param_value;
	struct iommu_mock *mock = iommu_mock_create(test);
	struct device *dev = iommu_mock_add_device(test, mock, 4, 0);
	struct iommu_group *group = dev->iommu_group;
	struct platform_driver *drv;
	int ret;

	drv = kunit_kzalloc(test, sizeof(*drv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, drv);
	drv->probe = mock_drv_probe;
	drv->driver.name = "iommu-mock-dev";
	drv->driver_managed_dma = c->driver_managed_dma;
	KUNIT_ASSERT_EQ(test, 0, platform_driver_register(drv));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, unregister_drv,
							   drv));
	KUNIT_ASSERT_PTR_EQ(test, dev->driver, &drv->driver);
	KUNIT_EXPECT_EQ(test, group_state(test, group).owner_cnt, c->owner_cnt);

	ret = iommu_device_claim_dma_owner(dev, &owner_cookie[1]);
	KUNIT_EXPECT_EQ(test, ret, c->claim_ret);
	if (!ret)
		iommu_device_release_dma_owner(dev);

	kunit_release_action(test, unregister_drv, drv);
	KUNIT_EXPECT_EQ(test, group_state(test, group).owner_cnt, 0);
}

/*
 * Why a group refuses: each reason made on the first of two members, then
 * a claim by a new owner and a kernel DMA user on the second.  Refused,
 * they change nothing; undone, the group is free again.
 */
struct refusal_ctx {
	struct kunit *test;
	struct device *devs[2];
	struct iommu_domain *paging;
	struct platform_driver *drv;
};

struct refusal_case {
	const char *name;
	void (*make)(struct refusal_ctx *ctx);
	void (*undo)(struct refusal_ctx *ctx);
	enum iommu_group_busy busy;
	int claim_ret;	/* iommu_device_claim_dma_owner(devs[1], new owner) */
	int use_ret;	/* iommu_device_use_dma_api(devs[1]) */
};

static void make_user_owner(struct refusal_ctx *ctx)
{
	KUNIT_ASSERT_EQ(ctx->test, 0,
			iommu_device_claim_dma_owner(ctx->devs[0], &owner_cookie[1]));
}

static void undo_user_owner(struct refusal_ctx *ctx)
{
	iommu_device_release_dma_owner(ctx->devs[0]);
}

/* A real binding, of the first member only (driver_override). */
static void make_bound_driver(struct refusal_ctx *ctx)
{
	struct kunit *test = ctx->test;
	struct device *dev = ctx->devs[0];

	ctx->drv = kunit_kzalloc(test, sizeof(*ctx->drv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->drv);
	ctx->drv->probe = mock_drv_probe;
	ctx->drv->driver.name = "iommu-refusal-test";
	KUNIT_ASSERT_EQ(test, 0, device_set_driver_override(dev,
							    ctx->drv->driver.name));
	KUNIT_ASSERT_EQ(test, 0, platform_driver_register(ctx->drv));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, unregister_drv,
							   ctx->drv));
	KUNIT_ASSERT_PTR_EQ(test, dev->driver, &ctx->drv->driver);
	KUNIT_ASSERT_NULL(test, ctx->devs[1]->driver);
}

static void undo_bound_driver(struct refusal_ctx *ctx)
{
	kunit_release_action(ctx->test, unregister_drv, ctx->drv);
}

/* A kernel DMA API user with no driver bound, as during a probe. */
static void make_dma_api_user(struct refusal_ctx *ctx)
{
	KUNIT_ASSERT_EQ(ctx->test, 0, iommu_device_use_dma_api(ctx->devs[0]));
}

static void undo_dma_api_user(struct refusal_ctx *ctx)
{
	iommu_device_unuse_dma_api(ctx->devs[0]);
}

static void make_pasid(struct refusal_ctx *ctx)
{
	int ret = iommu_attach_device_pasid(ctx->paging, ctx->devs[0], 7, NULL);

	KUNIT_ASSERT_EQ(ctx->test, ret, 0);
}

static void undo_pasid(struct refusal_ctx *ctx)
{
	iommu_detach_device_pasid(ctx->paging, ctx->devs[0], 7);
}

/* A kernel driver that manages DMA itself attaches its own domain. */
static void make_driver_domain(struct refusal_ctx *ctx)
{
	int ret = iommu_attach_group(ctx->paging, ctx->devs[0]->iommu_group);

	KUNIT_ASSERT_EQ(ctx->test, ret, 0);
}

static void undo_driver_domain(struct refusal_ctx *ctx)
{
	iommu_detach_group(ctx->paging, ctx->devs[0]->iommu_group);
}

static const struct refusal_case refusal_cases[] = {
	{ "user-owner", make_user_owner, undo_user_owner,
	  IOMMU_GROUP_BUSY_OWNER, -EPERM, -EBUSY },
	{ "bound-driver", make_bound_driver, undo_bound_driver,
	  IOMMU_GROUP_BUSY_DRIVER, -EPERM, 0 },
	{ "dma-api-user", make_dma_api_user, undo_dma_api_user,
	  IOMMU_GROUP_BUSY_DMA_API, -EPERM, 0 },
	{ "pasid-attached", make_pasid, undo_pasid,
	  IOMMU_GROUP_BUSY_PASID, -EBUSY, -EBUSY },
	{ "driver-domain", make_driver_domain, undo_driver_domain,
	  IOMMU_GROUP_BUSY_DOMAIN, -EBUSY, -EBUSY },
};

KUNIT_ARRAY_PARAM_DESC(refusal, refusal_cases, name);

static void expect_same_state(struct kunit *test,
			      const struct iommu_group_state *a,
			      const struct iommu_group_state *b)
{
	KUNIT_EXPECT_EQ(test, a->owner_cnt, b->owner_cnt);
	KUNIT_EXPECT_PTR_EQ(test, a->owner, b->owner);
	KUNIT_EXPECT_PTR_EQ(test, a->domain, b->domain);
	KUNIT_EXPECT_EQ(test, a->has_pasids, b->has_pasids);
	KUNIT_EXPECT_EQ(test, a->busy, b->busy);
}

static void refusal_says_why(struct kunit *test)
{
	const struct refusal_case *c = test->param_value;
	struct iommu_mock_dev_cfg cfg = { .group_id = 6, .pasid_bits = 8 };
	struct iommu_mock *mock = iommu_mock_create(test);
	struct refusal_ctx ctx = { .test = test };
	struct iommu_group_state before, after;
	struct iommu_group *group;
	int ret;

	ctx.devs[0] = iommu_mock_add_device_cfg(test, mock, &cfg);
	ctx.devs[1] = iommu_mock_add_device_cfg(test, mock, &cfg);
	group = ctx.devs[0]->iommu_group;
	ctx.paging = iommu_mock_paging_domain(test, ctx.devs[0]);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, owner_reset,
							   ctx.devs[0]));
	KUNIT_ASSERT_EQ(test, group_state(test, group).busy, IOMMU_GROUP_FREE);

	c->make(&ctx);
	before = group_state(test, group);
	KUNIT_EXPECT_EQ(test, before.busy, c->busy);
	KUNIT_EXPECT_EQ(test, c->claim_ret,
			iommu_device_claim_dma_owner(ctx.devs[1], &owner_cookie[2]));
	after = group_state(test, group);
	expect_same_state(test, &before, &after);
	/* A kernel user joins kernel users; anything else refuses it. */
	ret = iommu_device_use_dma_api(ctx.devs[1]);
	KUNIT_EXPECT_EQ(test, ret, c->use_ret);
	if (!ret)
		iommu_device_unuse_dma_api(ctx.devs[1]);
	after = group_state(test, group);
	expect_same_state(test, &before, &after);

	c->undo(&ctx);
	after = group_state(test, group);
	KUNIT_EXPECT_EQ(test, after.busy, IOMMU_GROUP_FREE);
	KUNIT_EXPECT_EQ(test, after.owner_cnt, 0);
	KUNIT_EXPECT_PTR_EQ(test, after.domain, after.default_domain);
}

/*
 * An IOMMU driver that puts a device into a group of another driver's
 * devices is refused at probe: the device stays without a group, the
 * group as it was, and the driver gets its device back (release_device).
 */
static void mixed_driver_group_refused(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct iommu_mock *other = iommu_mock_create(test);
	struct iommu_mock_dev_cfg cfg = { .group_id = 13, .group_of = mock };
	struct device *a = iommu_mock_add_device(test, mock, 13, 0);
	struct iommu_domain *def = iommu_get_domain_for_dev(a);
	struct iommu_group_state state;
	struct device *o;

	o = iommu_mock_add_device_cfg(test, other, &cfg);
	KUNIT_EXPECT_FALSE(test, device_iommu_mapped(o));
	KUNIT_EXPECT_NULL(test, iommu_group_get(o));
	KUNIT_EXPECT_EQ(test, atomic_read(&other->nr_devices), 0);
	state = group_state(test, a->iommu_group);
	KUNIT_EXPECT_EQ(test, state.nr_devices, 1);
	KUNIT_EXPECT_PTR_EQ(test, state.domain, def);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_dev(a)->attached, def);
}

#define RACE_ATTEMPTS	20000	/* claims each racer tries */

struct claim_racer {
	struct device *dev;
	void *owner;
	unsigned long claimed, broken;
	struct completion done;
};

/*
 * Claim and release a fixed number of times; while claimed, the group must
 * be blocked.  The work is bounded, not the time: on a slow machine the
 * race takes longer, it does not shrink.
 */
static int claim_racer_fn(void *data)
{
	struct claim_racer *r = data;
	struct iommu_group *group = r->dev->iommu_group;
	struct iommu_group_state state;
	unsigned long i;

	for (i = 0; i < RACE_ATTEMPTS; i++) {
		if (iommu_device_claim_dma_owner(r->dev, r->owner))
			continue;
		r->claimed++;
		if (iommu_group_get_state(group, &state, NULL) ||
		    state.owner != r->owner ||
		    state.domain != state.blocking_domain)
			r->broken++;
		iommu_device_release_dma_owner(r->dev);
		cond_resched();
	}
	complete(&r->done);
	/* Stay for kthread_stop(), which owns the task_struct reference. */
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static void concurrent_claims_stay_exclusive(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_create(test);
	struct claim_racer racers[4] = {};
	struct task_struct *tasks[4];
	struct iommu_group_state state;
	struct iommu_group *group;
	unsigned long claimed = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(racers); i++) {
		racers[i].dev = iommu_mock_add_device(test, mock, 9, 0);
		racers[i].owner = &owner_cookie[1 + i % 2];
		init_completion(&racers[i].done);
	}
	group = racers[0].dev->iommu_group;
	for (i = 0; i < ARRAY_SIZE(racers); i++) {
		tasks[i] = kthread_run(claim_racer_fn, &racers[i], "iommu-claim-%d", i);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tasks[i]);
	}
	for (i = 0; i < ARRAY_SIZE(racers); i++) {
		wait_for_completion(&racers[i].done);
		kthread_stop(tasks[i]);
		KUNIT_EXPECT_EQ(test, racers[i].broken, 0);
		claimed += racers[i].claimed;
	}
	kunit_info(test, "%lu claims of %lu attempts over %zu threads\n", claimed,
		   RACE_ATTEMPTS * ARRAY_SIZE(racers), ARRAY_SIZE(racers));
	KUNIT_EXPECT_GT(test, claimed, 0);
	state = group_state(test, group);
	KUNIT_EXPECT_EQ(test, state.owner_cnt, 0);
	KUNIT_EXPECT_PTR_EQ(test, state.domain, state.default_domain);
}

static struct kunit_case iommu_owner_cases[] = {
	KUNIT_CASE_PARAM(ownership_state_machine, owner_gen_params),
	KUNIT_CASE(hot_add_joins_claimed_domain),
	KUNIT_CASE(blocking_falls_back_to_empty_paging),
	KUNIT_CASE(pasid_blocks_claim),
	KUNIT_CASE_PARAM(bus_binding_uses_dma_api, bus_gen_params),
	KUNIT_CASE_PARAM(refusal_says_why, refusal_gen_params),
	KUNIT_CASE(mixed_driver_group_refused),
	KUNIT_CASE(concurrent_claims_stay_exclusive),
	{}
};

static struct kunit_suite iommu_owner_suite = {
	.name = "iommu-dma-owner",
	.test_cases = iommu_owner_cases,
};

kunit_test_suite(iommu_owner_suite);

MODULE_DESCRIPTION("KUnit suite for DMA ownership in the IOMMU core");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
