// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fail-nth KUnit suite for the IOMMU core: every slab allocation of a core
 * call fails in turn (fail-nth.h) until the call gets through, and after
 * each failure the call must have returned -ENOMEM and left everything as
 * it was: the device's group and domain, the group's ownership, the
 * driver's counts of live devices and domains.  What a failed call leaked
 * without any count seeing it, kmemleak reports on the debug kernel.
 *
 * Each path is one row of a table: prepare (not failing), the call under
 * test, a check of its success, the undo of a success, and the clean-up
 * of what prepare made.  Every path runs on a fresh mock IOMMU with a
 * group of two devices (a, b) with PASIDs, and two paging domains.
 *
 * The paths use the public API and run on any core, except the sysfs
 * default domain change, which reaches the attribute through our core's
 * private header and skips elsewhere.
 */
#include <kunit/test.h>
#include <linux/iommu.h>

#include "../iommu-priv.h"
#include "fail-nth.h"
#include "iommu-mock.h"

#define FIXTURE_GROUP	2	/* a and b */
#define NEW_GROUP	3	/* a probe's device alone */
#define TEST_PASID	7

static int owner_cookie;

struct fail_ctx {
	struct kunit *test;
	struct iommu_mock *mock;
	struct device *a, *b;
	struct iommu_group *group;
	struct iommu_domain *dom1, *dom2;
	struct device *new_dev;		/* made by prepare, for probe paths */
	struct iommu_domain *new_dom;	/* made by the call, for alloc paths */
};

/* What a failed call must leave as it was. */
struct fail_state {
	int nr_domains, nr_devices;
	struct iommu_domain *dom_a, *dom_b;	/* core's view */
	struct iommu_domain *att_a, *att_b;	/* driver's view */
	unsigned int nr_pasids, group_size;
	bool claimed, new_probed;
	int def_type;
};

static int count_dev(struct device *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

static void fail_state_get(struct fail_ctx *c, struct fail_state *s)
{
	struct iommu_domain *def = iommu_get_domain_for_dev(c->a);

	memset(s, 0, sizeof(*s));
	s->nr_domains = atomic_read(&c->mock->nr_domains);
	s->nr_devices = atomic_read(&c->mock->nr_devices);
	s->dom_a = def;
	s->dom_b = iommu_get_domain_for_dev(c->b);
	s->att_a = iommu_mock_dev(c->a)->attached;
	s->att_b = iommu_mock_dev(c->b)->attached;
	s->nr_pasids = iommu_mock_dev(c->a)->nr_pasids;
	iommu_group_for_each_dev(c->group, &s->group_size, count_dev);
	s->claimed = iommu_group_dma_owner_claimed(c->group);
	s->new_probed = c->new_dev && device_iommu_mapped(c->new_dev);
	s->def_type = def ? def->type : 0;
}

static void fail_state_expect(struct kunit *test, const struct fail_state *s,
			      const struct fail_state *want, unsigned int nth)
{
	KUNIT_EXPECT_EQ_MSG(test, s->nr_domains, want->nr_domains, "nth %u", nth);
	KUNIT_EXPECT_EQ_MSG(test, s->nr_devices, want->nr_devices, "nth %u", nth);
	KUNIT_EXPECT_PTR_EQ_MSG(test, s->dom_a, want->dom_a, "nth %u", nth);
	KUNIT_EXPECT_PTR_EQ_MSG(test, s->dom_b, want->dom_b, "nth %u", nth);
	KUNIT_EXPECT_PTR_EQ_MSG(test, s->att_a, want->att_a, "nth %u", nth);
	KUNIT_EXPECT_PTR_EQ_MSG(test, s->att_b, want->att_b, "nth %u", nth);
	KUNIT_EXPECT_EQ_MSG(test, s->nr_pasids, want->nr_pasids, "nth %u", nth);
	KUNIT_EXPECT_EQ_MSG(test, s->group_size, want->group_size, "nth %u", nth);
	KUNIT_EXPECT_EQ_MSG(test, s->claimed, want->claimed, "nth %u", nth);
	KUNIT_EXPECT_EQ_MSG(test, s->new_probed, want->new_probed, "nth %u", nth);
	KUNIT_EXPECT_EQ_MSG(test, s->def_type, want->def_type, "nth %u", nth);
}

/* Probe paths: a device whose bus-notifier probe was refused, probed now. */
static void add_unprobed(struct fail_ctx *c, unsigned int group_id, int type)
{
	struct iommu_mock_dev_cfg cfg = {
		.group_id = group_id,
		.def_domain_type = type,
		.refuse_probe = true,
	};

	c->new_dev = iommu_mock_add_device_cfg(c->test, c->mock, &cfg);
	KUNIT_ASSERT_FALSE(c->test, device_iommu_mapped(c->new_dev));
	KUNIT_ASSERT_EQ(c->test, 0, iommu_mock_allow_probe(c->mock, c->new_dev));
}

static void prep_new_group(struct fail_ctx *c)
{
	add_unprobed(c, NEW_GROUP, 0);
}

static void prep_join_group(struct fail_ctx *c)
{
	add_unprobed(c, FIXTURE_GROUP, 0);
}

static void prep_identity(struct fail_ctx *c)
{
	add_unprobed(c, NEW_GROUP, IOMMU_DOMAIN_IDENTITY);
}

static int call_probe(struct fail_ctx *c)
{
	return iommu_probe_device(c->new_dev);
}

static void check_probed(struct fail_ctx *c)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(c->new_dev);
	struct iommu_group *group = iommu_group_get(c->new_dev);

	KUNIT_EXPECT_NOT_NULL(c->test, group);
	KUNIT_EXPECT_NOT_NULL(c->test, dom);
	KUNIT_EXPECT_PTR_EQ(c->test, iommu_mock_dev(c->new_dev)->attached, dom);
	if (iommu_mock_dev(c->new_dev)->group_id == FIXTURE_GROUP)
		KUNIT_EXPECT_PTR_EQ(c->test, group, c->group);
	iommu_group_put(group);
}

static void remove_new_dev(struct fail_ctx *c)
{
	iommu_mock_remove_device(c->test, c->new_dev);
	c->new_dev = NULL;
}

static int call_domain_alloc(struct fail_ctx *c)
{
	c->new_dom = iommu_paging_domain_alloc(c->a);
	return PTR_ERR_OR_ZERO(c->new_dom);
}

static void check_domain(struct fail_ctx *c)
{
	KUNIT_EXPECT_EQ(c->test, c->new_dom->type, IOMMU_DOMAIN_UNMANAGED);
}

static void free_domain(struct fail_ctx *c)
{
	iommu_domain_free(c->new_dom);
}

static int call_attach(struct fail_ctx *c)
{
	return iommu_attach_group(c->dom1, c->group);
}

static void check_on_dom1(struct fail_ctx *c)
{
	KUNIT_EXPECT_PTR_EQ(c->test, iommu_get_domain_for_dev(c->a), c->dom1);
	KUNIT_EXPECT_PTR_EQ(c->test, iommu_mock_dev(c->a)->attached, c->dom1);
	KUNIT_EXPECT_PTR_EQ(c->test, iommu_mock_dev(c->b)->attached, c->dom1);
}

static void detach_dom1(struct fail_ctx *c)
{
	iommu_detach_group(c->dom1, c->group);
}

static void prep_on_dom2(struct fail_ctx *c)
{
	KUNIT_ASSERT_EQ(c->test, 0, iommu_attach_group(c->dom2, c->group));
}

static int call_replace(struct fail_ctx *c)
{
	return iommu_group_replace_domain(c->group, c->dom1);
}

static int call_attach_pasid(struct fail_ctx *c)
{
	return iommu_attach_device_pasid(c->dom1, c->a, TEST_PASID, NULL);
}

static void check_pasid(struct fail_ctx *c)
{
	KUNIT_EXPECT_EQ(c->test, iommu_mock_dev(c->a)->nr_pasids, 1);
}

static void detach_pasid(struct fail_ctx *c)
{
	iommu_detach_device_pasid(c->dom1, c->a, TEST_PASID);
}

static int call_claim(struct fail_ctx *c)
{
	return iommu_device_claim_dma_owner(c->a, &owner_cookie);
}

static void check_claimed(struct fail_ctx *c)
{
	struct iommu_domain *def = iommu_group_default_domain(c->group);

	KUNIT_EXPECT_TRUE(c->test, iommu_group_dma_owner_claimed(c->group));
	/* Claimed: off the default domain, onto one without kernel memory. */
	KUNIT_EXPECT_PTR_NE(c->test, iommu_mock_dev(c->a)->attached, def);
	KUNIT_EXPECT_PTR_NE(c->test, iommu_mock_dev(c->b)->attached, def);
}

static void release(struct fail_ctx *c)
{
	iommu_device_release_dma_owner(c->a);
}

static int call_group_claim(struct fail_ctx *c)
{
	return iommu_group_claim_dma_owner(c->group, &owner_cookie);
}

static void group_release(struct fail_ctx *c)
{
	iommu_group_release_dma_owner(c->group);
}

static void prep_claimed(struct fail_ctx *c)
{
	KUNIT_ASSERT_EQ(c->test, 0, call_claim(c));
}

/* Release cannot fail; under failing allocations it still restores. */
static int call_release(struct fail_ctx *c)
{
	release(c);
	return 0;
}

static void check_released(struct fail_ctx *c)
{
	struct iommu_domain *def = iommu_group_default_domain(c->group);

	KUNIT_EXPECT_FALSE(c->test, iommu_group_dma_owner_claimed(c->group));
	KUNIT_EXPECT_PTR_EQ(c->test, iommu_mock_dev(c->a)->attached, def);
	KUNIT_EXPECT_PTR_EQ(c->test, iommu_mock_dev(c->b)->attached, def);
}

static int call_use_dma_api(struct fail_ctx *c)
{
	return iommu_device_use_default_domain(c->a);
}

static void unuse_dma_api(struct fail_ctx *c)
{
	iommu_device_unuse_default_domain(c->a);
}

static int store_type(struct fail_ctx *c, const char *type)
{
	ssize_t ret = iommu_mock_store_group_type(c->a, type);

	return ret < 0 ? ret : 0;
}

static void prep_identity_default(struct fail_ctx *c)
{
	KUNIT_ASSERT_EQ(c->test, 0, store_type(c, "identity"));
}

/* Start from DMA whatever the policy, so that it is the type to return to. */
static void setup_dma_default(struct fail_ctx *c)
{
	KUNIT_ASSERT_EQ(c->test, 0, store_type(c, "DMA"));
}

/*
 * Back to DMA, the direction that allocates (identity domains are static).
 * Not "auto": under a lazy policy a failed DMA-FQ domain falls back to DMA.
 */
static int call_type_dma(struct fail_ctx *c)
{
	return store_type(c, "DMA");
}

static void check_dma_default(struct fail_ctx *c)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(c->a);

	KUNIT_EXPECT_EQ(c->test, dom->type, IOMMU_DOMAIN_DMA);
	KUNIT_EXPECT_PTR_EQ(c->test, iommu_mock_dev(c->a)->attached, dom);
	KUNIT_EXPECT_PTR_EQ(c->test, iommu_mock_dev(c->b)->attached, dom);
}

struct fail_path {
	const char *name;
	void (*setup)(struct fail_ctx *c);	/* of the fixture, once */
	void (*prepare)(struct fail_ctx *c);
	int (*call)(struct fail_ctx *c);
	void (*check)(struct fail_ctx *c);	/* after a success */
	void (*undo)(struct fail_ctx *c);	/* of a success */
	void (*cleanup)(struct fail_ctx *c);	/* of prepare, either way */
	/* Some injected failure must surface (not all are retried inside). */
	bool must_fail;
	bool no_blocked_domain;	/* the driver has no static blocking domain */
	int domains_kept;	/* domains a success leaves cached in the group */
};

static const struct fail_path fail_paths[] = {
	{ .name = "probe-new-group", .prepare = prep_new_group,
	  .call = call_probe, .check = check_probed,
	  .cleanup = remove_new_dev, .must_fail = true },
	{ .name = "probe-join-group", .prepare = prep_join_group,
	  .call = call_probe, .check = check_probed,
	  .cleanup = remove_new_dev, .must_fail = true },
	{ .name = "probe-identity", .prepare = prep_identity,
	  .call = call_probe, .check = check_probed,
	  .cleanup = remove_new_dev, .must_fail = true },
	{ .name = "paging-domain-alloc", .call = call_domain_alloc,
	  .check = check_domain, .undo = free_domain, .must_fail = true },
	{ .name = "attach-group", .call = call_attach,
	  .check = check_on_dom1, .undo = detach_dom1 },
	{ .name = "replace-domain", .prepare = prep_on_dom2,
	  .call = call_replace, .check = check_on_dom1, .undo = detach_dom1 },
	/* The xarray retries a failed node allocation outside its lock. */
	{ .name = "attach-pasid", .call = call_attach_pasid,
	  .check = check_pasid, .undo = detach_pasid },
	{ .name = "claim", .call = call_claim, .check = check_claimed,
	  .undo = release },
	{ .name = "claim-paging-blocking", .call = call_claim,
	  .check = check_claimed, .undo = release, .must_fail = true,
	  .no_blocked_domain = true, .domains_kept = 1 },
	{ .name = "group-claim", .call = call_group_claim,
	  .check = check_claimed, .undo = group_release },
	{ .name = "release", .prepare = prep_claimed, .call = call_release,
	  .check = check_released },
	{ .name = "use-dma-api", .call = call_use_dma_api,
	  .undo = unuse_dma_api },
	{ .name = "default-domain-type", .setup = setup_dma_default,
	  .prepare = prep_identity_default, .call = call_type_dma,
	  .check = check_dma_default, .must_fail = true },
};

KUNIT_ARRAY_PARAM_DESC(fail_path, fail_paths, name);

static void fail_ctx_init(struct kunit *test, struct fail_ctx *c,
			  const struct fail_path *p)
{
	struct iommu_mock_dev_cfg cfg = {
		.group_id = FIXTURE_GROUP,
		.pasid_bits = 8,
	};

	c->test = test;
	c->mock = iommu_mock_create(test);
	if (p->no_blocked_domain)
		c->mock->ops.blocked_domain = NULL;
	c->a = iommu_mock_add_device_cfg(test, c->mock, &cfg);
	c->b = iommu_mock_add_device_cfg(test, c->mock, &cfg);
	c->group = c->a->iommu_group;
	KUNIT_ASSERT_NOT_NULL(test, c->group);
	c->dom1 = iommu_mock_paging_domain(test, c->a);
	c->dom2 = iommu_mock_paging_domain(test, c->a);
	if (p->setup)
		p->setup(c);
}

/* One round with the nth allocation failing: 0 once the call got through. */
static int fail_round(struct fail_ctx *c, const struct fail_path *p,
		      unsigned int nth, unsigned int *left)
{
	struct fail_state before, after;
	int ret;

	if (p->prepare)
		p->prepare(c);
	fail_state_get(c, &before);
	fail_nth_set(nth);
	ret = p->call(c);
	*left = fail_nth_left();
	fail_nth_set(0);
	if (ret) {
		KUNIT_EXPECT_EQ_MSG(c->test, ret, -ENOMEM, "nth %u", nth);
		fail_state_get(c, &after);
		fail_state_expect(c->test, &after, &before, nth);
	} else {
		if (p->check)
			p->check(c);
		if (p->undo)
			p->undo(c);
	}
	if (p->cleanup)
		p->cleanup(c);
	return ret;
}

static void fail_nth_core_path(struct kunit *test)
{
	const struct fail_path *p = test->param_value;
	struct fail_state start, end;
	unsigned int nth, left, failed = 0;
	struct fail_ctx c = {};

	fail_ctx_init(test, &c, p);
	fail_nth_arm_failslab(test);
	fail_state_get(&c, &start);
	for (nth = 1; nth <= FAIL_NTH_LIMIT; nth++) {
		if (fail_round(&c, p, nth, &left))
			failed++;
		/* Done once the call got through without reaching nth. */
		else if (left)
			break;
	}
	kunit_info(test, "%s: %u allocation(s) failed in turn: %u returned -ENOMEM, the others were retried inside",
		   p->name, nth - 1, failed);
	KUNIT_EXPECT_LE(test, nth, FAIL_NTH_LIMIT);
	if (p->must_fail)
		KUNIT_EXPECT_GE(test, failed, 1);

	/* Every success was undone: back as it was, but for cached domains. */
	fail_state_get(&c, &end);
	KUNIT_EXPECT_EQ(test, end.nr_domains, start.nr_domains + p->domains_kept);
	KUNIT_EXPECT_EQ(test, end.nr_devices, start.nr_devices);
	KUNIT_EXPECT_EQ(test, end.nr_pasids, start.nr_pasids);
	KUNIT_EXPECT_EQ(test, end.group_size, start.group_size);
	KUNIT_EXPECT_EQ(test, end.claimed, start.claimed);
	KUNIT_EXPECT_EQ(test, end.def_type, start.def_type);
	KUNIT_EXPECT_PTR_EQ(test, end.att_a, end.dom_a);
	KUNIT_EXPECT_PTR_EQ(test, end.att_b, end.dom_a);
}

static struct kunit_case iommu_fail_nth_cases[] = {
	KUNIT_CASE_PARAM(fail_nth_core_path, fail_path_gen_params),
	{}
};

static struct kunit_suite iommu_fail_nth_suite = {
	.name = "iommu-fail-nth",
	.test_cases = iommu_fail_nth_cases,
};

kunit_test_suite(iommu_fail_nth_suite);

MODULE_DESCRIPTION("Fail-nth KUnit suite for the IOMMU core");
MODULE_LICENSE("GPL");
