// SPDX-License-Identifier: GPL-2.0-only
/*
 * Arming failslab for the fail-nth KUnit cases (see fail-nth.h).  Its
 * knobs exist only as debugfs files, so they are set through the
 * variables behind those files and restored by a KUnit action.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <kunit/resource.h>

#include "fail-nth.h"

struct failslab_knobs {
	bool *ignore_gfp_wait, old_ignore;
	unsigned long *verbose, old_verbose;
};

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

static void failslab_restore(void *arg)
{
	struct failslab_knobs *k = arg;

	fail_nth_set(0);
	*k->ignore_gfp_wait = k->old_ignore;
	*k->verbose = k->old_verbose;
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
	struct failslab_knobs *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct dentry *dir;

	KUNIT_ASSERT_NOT_NULL(test, k);
	if (!IS_ENABLED(CONFIG_FAILSLAB) ||
	    !IS_ENABLED(CONFIG_FAULT_INJECTION_DEBUG_FS))
		kunit_skip(test, "needs CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS");
	dir = debugfs_lookup("failslab", NULL);
	if (IS_ERR_OR_NULL(dir))
		kunit_skip(test, "no failslab directory in debugfs");
	k->ignore_gfp_wait = debugfs_var(dir, "ignore-gfp-wait");
	k->verbose = debugfs_var(dir, "verbose");
	dput(dir);
	if (!k->ignore_gfp_wait || !k->verbose)
		kunit_skip(test, "failslab's debugfs knobs not found");
	k->old_ignore = *k->ignore_gfp_wait;
	k->old_verbose = *k->verbose;
	*k->ignore_gfp_wait = false;
	*k->verbose = 0;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   failslab_restore, k));
}
