// SPDX-License-Identifier: GPL-2.0-only
/*
 * Arming failslab and quieting fault injection points for the fail-nth
 * KUnit cases (see fail-nth.h).  Their knobs exist only as debugfs files,
 * so they are set through the variables behind those files and restored
 * by a KUnit action.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <kunit/resource.h>

#include "fail-nth.h"

static void *debugfs_var(struct dentry *dir, const char *name)
{
	struct dentry *d = debugfs_lookup(name, dir);
	void *var;

	if (IS_ERR_OR_NULL(d))
		return NULL;
	var = d_inode(d)->i_private;
	dput(d);
	return var;
}

/* The variable behind debugfs file @dir/@name, or skip the test */
static void *fault_attr_var(struct kunit *test, const char *dir,
			    const char *name)
{
	struct dentry *d;
	void *var;

	if (!IS_ENABLED(CONFIG_FAULT_INJECTION_DEBUG_FS))
		kunit_skip(test, "needs CONFIG_FAULT_INJECTION_DEBUG_FS");
	d = debugfs_lookup(dir, NULL);
	if (IS_ERR_OR_NULL(d))
		kunit_skip(test, "no %s directory in debugfs", dir);
	var = debugfs_var(d, name);
	dput(d);
	if (!var)
		kunit_skip(test, "no %s/%s in debugfs", dir, name);
	return var;
}

struct fault_attr_verbose {
	unsigned long *verbose, old;
};

static void fault_attr_verbose_restore(void *arg)
{
	struct fault_attr_verbose *v = arg;

	*v->verbose = v->old;
}

/**
 * fail_nth_quiet() - Keep a fault injection point from logging its failures
 * @test: the test; the point logs again when it ends
 * @dir: the point's debugfs directory, such as "fail_iommufd"
 *
 * A point logs each failure it injects with a stack trace by default,
 * which a console check could take for a splat.  Skips the test, saying
 * why, on a kernel without the point's debugfs knobs.
 *
 * Context: Process context.
 */
void fail_nth_quiet(struct kunit *test, const char *dir)
{
	struct fault_attr_verbose *v = kunit_kzalloc(test, sizeof(*v),
						     GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, v);
	v->verbose = fault_attr_var(test, dir, "verbose");
	v->old = *v->verbose;
	*v->verbose = 0;
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test,
						  fault_attr_verbose_restore, v));
}

struct failslab_gfp_wait {
	bool *ignore, old;
};

static void failslab_restore(void *arg)
{
	struct failslab_gfp_wait *w = arg;

	fail_nth_set(0);
	*w->ignore = w->old;
}

/**
 * fail_nth_arm_failslab() - Let fail-nth fail any slab allocation, quietly
 * @test: the test; the previous settings come back when it ends
 *
 * Skips the test, saying why, on a kernel without failslab's debugfs knobs.
 *
 * Context: Process context.
 */
void fail_nth_arm_failslab(struct kunit *test)
{
	struct failslab_gfp_wait *w = kunit_kzalloc(test, sizeof(*w),
						    GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, w);
	if (!IS_ENABLED(CONFIG_FAILSLAB))
		kunit_skip(test, "needs CONFIG_FAILSLAB");
	fail_nth_quiet(test, "failslab");
	w->ignore = fault_attr_var(test, "failslab", "ignore-gfp-wait");
	w->old = *w->ignore;
	*w->ignore = false;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   failslab_restore, w));
}
