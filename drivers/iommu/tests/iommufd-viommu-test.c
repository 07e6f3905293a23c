// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for iommufd's vIOMMU and vDEVICE objects on the mock IOMMU
 * driver of CONFIG_IOMMUFD_TEST, through the ioctls user space calls: the
 * iommufd comes from iommufd_kunit_open() and the ioctl structures live in
 * user memory of an mm the test attaches around each ioctl.  The selftest
 * ioctl's structures come from iommufd_test.h, the ABI the kselftests
 * include too.
 *
 * - object rules: each argument IOMMU_VIOMMU_ALLOC and IOMMU_VDEVICE_ALLOC
 *   refuse gets its errno, and a refused call leaves nothing behind;
 * - ID uniqueness: a virt_id names one device per vIOMMU, a device has one
 *   vDEVICE per vIOMMU, no two objects share an ID;
 * - teardown: every order of destroying a vDEVICE, a nested HWPT, their
 *   vIOMMU, its parent and the device, each destroy answered as a model of
 *   which object holds which says;
 * - fail-nth: each allocation a step of a vIOMMU's life makes fails in
 *   turn; the step fails, changes nothing, and goes through when retried.
 *
 * "Leaves nothing behind" is read from the object IDs: iommufd hands out
 * the lowest free one, so an object a failed call left in the table moves
 * the next ID.  Every case ends by closing the file with what it left
 * live; the debug kernel's kmemleak and KASAN judge that part.
 */
#include <kunit/test.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommufd.h>
#include <linux/kthread.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/iommufd.h>

#include "../iommufd/iommufd_test.h"
#include "fail-nth.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* The ioctl's structure at the start of the user page, its data after it */
#define VT_DATA_OFFSET	2048

/**
 * struct vt - One case's iommufd and the objects every case starts from
 * @test: the case
 * @filp: the iommufd, closed by a KUnit action unless the case closed it
 * @mm: the address space of @uarg and @udata, attached to the test's
 *	thread only around a copy or an ioctl
 * @uarg: user memory the ioctl structures are copied to and back from
 * @udata: user memory for the data an ioctl structure points at
 * @nth: fail the nth allocation of the next ioctl; 0 for none
 * @nth_left: what was left of @nth when that ioctl returned
 * @ioas_id: the IOAS the mock devices are attached to
 * @stdev_id: the first mock device, behind the first mock IOMMU
 * @idev_id: its iommufd device
 * @hwpt_id: its automatic HWPT on @ioas_id, not a nesting parent
 * @stdev2_id: a second mock device behind the first mock IOMMU
 * @idev2_id: its iommufd device
 * @stdev_o_id: a mock device behind the second mock IOMMU
 * @idev_o_id: its iommufd device
 * @parent_id: a nesting parent HWPT on @ioas_id
 */
struct vt {
	struct kunit *test;
	struct file *filp;
	struct mm_struct *mm;
	void __user *uarg;
	void __user *udata;
	unsigned int nth, nth_left;
	u32 ioas_id;
	u32 stdev_id, idev_id, hwpt_id;
	u32 stdev2_id, idev2_id;
	u32 stdev_o_id, idev_o_id;
	u32 parent_id;
};

/*
 * The ioctl, with the failure @vt->nth armed around it if there is one.
 * Nothing in here may end the thread (no KUNIT_ASSERT): it must not exit
 * with @vt->mm attached.
 */
static int vt_ioctl(struct vt *vt, unsigned int cmd, void *arg, size_t size)
{
	unsigned int nth = vt->nth;
	long rc = -EFAULT;

	kthread_use_mm(vt->mm);
	if (copy_to_user(vt->uarg, arg, size))
		goto unuse;
	fail_nth_set(nth);
	rc = vt->filp->f_op->unlocked_ioctl(vt->filp, cmd,
					    (unsigned long)vt->uarg);
	if (nth) {
		vt->nth_left = fail_nth_left();
		fail_nth_set(0);
		vt->nth = 0;
	}
	if (copy_from_user(arg, vt->uarg, size))
		rc = -EFAULT;
unuse:
	kthread_unuse_mm(vt->mm);
	return rc;
}

static u64 vt_user_data(struct vt *vt, const void *data, size_t len)
{
	unsigned long left;

	if (!len)
		return 0;
	kthread_use_mm(vt->mm);
	left = copy_to_user(vt->udata, data, len);
	kthread_unuse_mm(vt->mm);
	KUNIT_ASSERT_EQ(vt->test, 0, left);
	return (u64)(uintptr_t)vt->udata;
}

static int vt_destroy(struct vt *vt, u32 id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return vt_ioctl(vt, IOMMU_DESTROY, &cmd, sizeof(cmd));
}

static int vt_ioas_alloc(struct vt *vt, u32 *ioas_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = vt_ioctl(vt, IOMMU_IOAS_ALLOC, &cmd, sizeof(cmd));

	*ioas_id = cmd.out_ioas_id;
	return rc;
}

/* A mock device bound to the iommufd and attached to @pt_id */
static void vt_mock_device(struct vt *vt, u32 pt_id, u32 dev_flags,
			   u32 *stdev_id, u32 *hwpt_id, u32 *idev_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = pt_id,
		.mock_domain_flags = { .dev_flags = dev_flags },
	};

	KUNIT_ASSERT_EQ(vt->test, 0,
			vt_ioctl(vt, IOMMU_TEST_CMD, &cmd, sizeof(cmd)));
	*stdev_id = cmd.mock_domain_flags.out_stdev_id;
	if (hwpt_id)
		*hwpt_id = cmd.mock_domain_flags.out_hwpt_id;
	*idev_id = cmd.mock_domain_flags.out_idev_id;
}

static int vt_replace(struct vt *vt, u32 stdev_id, u32 pt_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev_id,
		.mock_domain_replace = { .pt_id = pt_id },
	};

	return vt_ioctl(vt, IOMMU_TEST_CMD, &cmd, sizeof(cmd));
}

static int vt_hwpt_alloc(struct vt *vt, u32 dev_id, u32 pt_id, u32 flags,
			 u32 data_type, const void *data, u32 data_len,
			 u32 *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = data_type,
		.data_len = data_len,
		.data_uptr = vt_user_data(vt, data, data_len),
	};
	int rc = vt_ioctl(vt, IOMMU_HWPT_ALLOC, &cmd, sizeof(cmd));

	*hwpt_id = cmd.out_hwpt_id;
	return rc;
}

/* A nested HWPT of the mock on @pt_id, a vIOMMU or a nesting parent */
static int vt_nested_alloc(struct vt *vt, u32 dev_id, u32 pt_id, u32 *id)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };

	return vt_hwpt_alloc(vt, dev_id, pt_id, 0, IOMMU_HWPT_DATA_SELFTEST,
			     &data, sizeof(data), id);
}

/* IOMMU_VIOMMU_ALLOC's arguments besides the objects */
struct vt_viommu_args {
	u32 type, flags;
	/* 0 for sizeof(struct iommu_viommu_alloc) */
	u32 size;
	/* The last byte of a longer struct set: a field the kernel lacks */
	bool tail_set;
};

#define VT_VIOMMU_LONGER	(sizeof(struct iommu_viommu_alloc) + 8)

static int vt_viommu_alloc_args(struct vt *vt, const struct vt_viommu_args *a,
				u32 dev_id, u32 hwpt_id, u32 *viommu_id)
{
	u8 buf[VT_VIOMMU_LONGER] = {};
	struct iommu_viommu_alloc *cmd = (void *)buf;
	int rc;

	*cmd = (struct iommu_viommu_alloc){
		.size = a->size ?: sizeof(*cmd),
		.flags = a->flags,
		.type = a->type,
		.dev_id = dev_id,
		.hwpt_id = hwpt_id,
	};
	if (a->tail_set)
		buf[a->size - 1] = 1;
	rc = vt_ioctl(vt, IOMMU_VIOMMU_ALLOC, buf, sizeof(buf));
	*viommu_id = cmd->out_viommu_id;
	return rc;
}

static int vt_viommu_alloc(struct vt *vt, u32 dev_id, u32 hwpt_id,
			   u32 *viommu_id)
{
	static const struct vt_viommu_args mock = {
		.type = IOMMU_VIOMMU_TYPE_SELFTEST,
	};

	return vt_viommu_alloc_args(vt, &mock, dev_id, hwpt_id, viommu_id);
}

static int vt_vdevice_alloc(struct vt *vt, u32 viommu_id, u32 dev_id,
			    u64 virt_id, u32 *vdev_id)
{
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.dev_id = dev_id,
		.virt_id = virt_id,
	};
	int rc = vt_ioctl(vt, IOMMU_VDEVICE_ALLOC, &cmd, sizeof(cmd));

	*vdev_id = cmd.out_vdevice_id;
	return rc;
}

/* 0 if @viommu_id's vDEVICE at @virt_id is @dev_id's, -ENOENT, -EINVAL */
static int vt_find_dev(struct vt *vt, u32 viommu_id, u32 dev_id, u64 virt_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_VIOMMU_FIND_DEV,
		.id = viommu_id,
		.viommu_find_dev = { .dev_id = dev_id, .virt_id = virt_id },
	};

	return vt_ioctl(vt, IOMMU_TEST_CMD, &cmd, sizeof(cmd));
}

static int vt_invalidate(struct vt *vt, u32 id, u32 num)
{
	static const struct iommu_hwpt_invalidate_selftest inv[] = {
		{ .iotlb_id = 0 },
		{ .flags = IOMMU_TEST_INVALIDATE_FLAG_ALL },
	};
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = id,
		.data_uptr = vt_user_data(vt, inv, sizeof(inv)),
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		.entry_len = sizeof(*inv),
		.entry_num = min_t(u32, num, ARRAY_SIZE(inv)),
	};
	int rc = vt_ioctl(vt, IOMMU_HWPT_INVALIDATE, &cmd, sizeof(cmd));

	if (!rc)
		KUNIT_EXPECT_EQ(vt->test, num, cmd.entry_num);
	return rc;
}

/* The ID the next object gets: an IOAS allocated and destroyed to see */
static u32 vt_next_id(struct vt *vt)
{
	u32 id;

	KUNIT_ASSERT_EQ(vt->test, 0, vt_ioas_alloc(vt, &id));
	KUNIT_ASSERT_EQ(vt->test, 0, vt_destroy(vt, id));
	return id;
}

static void vt_close(void *arg)
{
	struct vt *vt = arg;

	/* Closed at once: fput() would leave it to a workqueue */
	if (vt->filp)
		__fput_sync(vt->filp);
	vt->filp = NULL;
}

/* Open an iommufd and make the objects every case starts from in it */
static void vt_open(struct vt *vt)
{
	struct kunit *test = vt->test;
	struct file *filp = iommufd_kunit_open();

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, filp);
	vt->filp = filp;
	KUNIT_ASSERT_EQ(test, 0, vt_ioas_alloc(vt, &vt->ioas_id));
	vt_mock_device(vt, vt->ioas_id, 0, &vt->stdev_id, &vt->hwpt_id,
		       &vt->idev_id);
	vt_mock_device(vt, vt->ioas_id, 0, &vt->stdev2_id, NULL,
		       &vt->idev2_id);
	vt_mock_device(vt, vt->ioas_id, MOCK_FLAGS_DEVICE_IOMMU2,
		       &vt->stdev_o_id, NULL, &vt->idev_o_id);
	KUNIT_ASSERT_EQ(test, 0,
			vt_hwpt_alloc(vt, vt->idev_id, vt->ioas_id,
				      IOMMU_HWPT_ALLOC_NEST_PARENT,
				      IOMMU_HWPT_DATA_NONE, NULL, 0,
				      &vt->parent_id));
}

static void vt_mmput(void *mm)
{
	mmput(mm);
}

/*
 * A page of user memory in an mm of the case's own.  Not kunit_vm_mmap():
 * it attaches its mm to the thread until the thread exits, and 6.12 then
 * leaks the mm (kmemleak: the mm_struct, its pgd and counters, per case).
 */
static void vt_user_memory(struct vt *vt)
{
	struct kunit *test = vt->test;
	struct mm_struct *mm = mm_alloc();
	unsigned long uaddr;

	KUNIT_ASSERT_NOT_NULL(test, mm);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, vt_mmput, mm));
	mm->task_size = TASK_SIZE;
	arch_pick_mmap_layout(mm, &current->signal->rlim[RLIMIT_STACK]);
	kthread_use_mm(mm);
	uaddr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			MAP_ANONYMOUS | MAP_PRIVATE, 0);
	kthread_unuse_mm(mm);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(uaddr),
			       "no user memory for the ioctls: %ld",
			       (long)uaddr);
	vt->mm = mm;
	vt->uarg = (void __user *)uaddr;
	vt->udata = (void __user *)(uaddr + VT_DATA_OFFSET);
}

static int vt_init(struct kunit *test)
{
	struct vt *vt = kunit_kzalloc(test, sizeof(*vt), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, vt);
	vt->test = test;
	vt_user_memory(vt);
	/* Whatever file the case has open at its end */
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, vt_close, vt));
	vt_open(vt);
	test->priv = vt;
	return 0;
}

/* The objects a table row names by kind */
enum vt_obj {
	VT_IDEV,	/* the first device */
	VT_IDEV2,	/* the second, behind the same mock IOMMU */
	VT_IDEV_O,	/* the device behind the other mock IOMMU */
	VT_STDEV,	/* the selftest's object for the first device */
	VT_IOAS,
	VT_HWPT,	/* a paging HWPT that is not a nesting parent */
	VT_PARENT,
	VT_NESTED,	/* a nested HWPT on the parent */
	VT_VIOMMU,	/* the case's vIOMMU, where it has one */
	VT_NONE,	/* an ID no object has */
};

static u32 vt_obj_id(struct vt *vt, enum vt_obj obj, u32 viommu_id,
		     u32 *nested_id)
{
	switch (obj) {
	case VT_IDEV:
		return vt->idev_id;
	case VT_IDEV2:
		return vt->idev2_id;
	case VT_IDEV_O:
		return vt->idev_o_id;
	case VT_STDEV:
		return vt->stdev_id;
	case VT_IOAS:
		return vt->ioas_id;
	case VT_HWPT:
		return vt->hwpt_id;
	case VT_PARENT:
		return vt->parent_id;
	case VT_NESTED:
		KUNIT_ASSERT_EQ(vt->test, 0,
				vt_nested_alloc(vt, vt->idev_id, vt->parent_id,
						nested_id));
		return *nested_id;
	case VT_VIOMMU:
		return viommu_id;
	case VT_NONE:
		break;
	}
	return 9999;
}

/* What IOMMU_VIOMMU_ALLOC refuses; the first rows are good calls */
struct viommu_alloc_case {
	const char *desc;
	struct vt_viommu_args args;
	enum vt_obj dev, hwpt;
	int err;
};

#define MOCK	IOMMU_VIOMMU_TYPE_SELFTEST

static const struct viommu_alloc_case viommu_alloc_cases[] = {
	{ "good", { MOCK }, VT_IDEV, VT_PARENT },
	{ "second mock IOMMU, same parent", { MOCK }, VT_IDEV_O, VT_PARENT },
	{ "longer struct, zero tail", { MOCK, 0, VT_VIOMMU_LONGER }, VT_IDEV,
	  VT_PARENT },
	{ "type DEFAULT is reserved", { IOMMU_VIOMMU_TYPE_DEFAULT }, VT_IDEV,
	  VT_PARENT, -EOPNOTSUPP },
	{ "type of another driver", { IOMMU_VIOMMU_TYPE_ARM_SMMUV3 }, VT_IDEV,
	  VT_PARENT, -EOPNOTSUPP },
	{ "flag bit 0", { MOCK, 1 }, VT_IDEV, VT_PARENT, -EOPNOTSUPP },
	{ "flag bit 31", { MOCK, 1U << 31 }, VT_IDEV, VT_PARENT, -EOPNOTSUPP },
	{ "HWPT not a nesting parent", { MOCK }, VT_IDEV, VT_HWPT, -EINVAL },
	{ "HWPT nested", { MOCK }, VT_IDEV, VT_NESTED, -ENOENT },
	{ "HWPT an IOAS", { MOCK }, VT_IDEV, VT_IOAS, -ENOENT },
	{ "HWPT no object", { MOCK }, VT_IDEV, VT_NONE, -ENOENT },
	{ "device a selftest object", { MOCK }, VT_STDEV, VT_PARENT, -ENOENT },
	{ "device an IOAS", { MOCK }, VT_IOAS, VT_PARENT, -ENOENT },
	{ "device no object", { MOCK }, VT_NONE, VT_PARENT, -ENOENT },
	{ "struct short of the output",
	  { MOCK, 0, offsetof(struct iommu_viommu_alloc, out_viommu_id) },
	  VT_IDEV, VT_PARENT, -EINVAL },
	{ "longer struct, non-zero tail", { MOCK, 0, VT_VIOMMU_LONGER, true },
	  VT_IDEV, VT_PARENT, -E2BIG },
};

#undef MOCK

static void viommu_alloc_case_desc(const struct viommu_alloc_case *c,
				   char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(viommu_alloc, viommu_alloc_cases, viommu_alloc_case_desc);

static void viommu_alloc_refused(struct kunit *test)
{
	const struct viommu_alloc_case *c = test->param_value;
	struct vt *vt = test->priv;
	u32 nested_id = 0, viommu_id, next, dev_id, hwpt_id;
	int rc;

	dev_id = vt_obj_id(vt, c->dev, 0, &nested_id);
	hwpt_id = vt_obj_id(vt, c->hwpt, 0, &nested_id);
	next = vt_next_id(vt);

	rc = vt_viommu_alloc_args(vt, &c->args, dev_id, hwpt_id, &viommu_id);
	KUNIT_EXPECT_EQ(test, c->err, rc);
	if (!rc) {
		KUNIT_EXPECT_EQ(test, next, viommu_id);
		/* It holds its parent */
		KUNIT_EXPECT_EQ(test, -EBUSY, vt_destroy(vt, vt->parent_id));
		KUNIT_EXPECT_EQ(test, 0, vt_destroy(vt, viommu_id));
	}

	/* Nothing is left: no object, no reference on the parent */
	KUNIT_EXPECT_EQ(test, next, vt_next_id(vt));
	if (nested_id)
		KUNIT_EXPECT_EQ(test, 0, vt_destroy(vt, nested_id));
	KUNIT_EXPECT_EQ(test, 0, vt_destroy(vt, vt->parent_id));
}

/*
 * What IOMMU_VDEVICE_ALLOC refuses, on a vIOMMU that has the first
 * device's vDEVICE at virt_id 1; the first row is a good call.
 */
struct vdevice_alloc_case {
	const char *desc;
	enum vt_obj viommu, dev;
	u64 virt_id;
	int err;
};

static const struct vdevice_alloc_case vdevice_alloc_cases[] = {
	{ "good", VT_VIOMMU, VT_IDEV2, 2, 0 },
	{ "virt_id 0", VT_VIOMMU, VT_IDEV2, 0, 0 },
	{ "virt_id U32_MAX", VT_VIOMMU, VT_IDEV2, U32_MAX, 0 },
	{ "virt_id U64_MAX", VT_VIOMMU, VT_IDEV2, U64_MAX,
	  BITS_PER_LONG == 64 ? 0 : -EINVAL },
	{ "virt_id taken by another device", VT_VIOMMU, VT_IDEV2, 1,
	  -EEXIST },
	{ "device has one on this vIOMMU", VT_VIOMMU, VT_IDEV, 2, -EEXIST },
	{ "device behind another IOMMU", VT_VIOMMU, VT_IDEV_O, 3, -EINVAL },
	{ "vIOMMU a HWPT", VT_PARENT, VT_IDEV2, 3, -ENOENT },
	{ "vIOMMU no object", VT_NONE, VT_IDEV2, 3, -ENOENT },
	{ "device a selftest object", VT_VIOMMU, VT_STDEV, 3, -ENOENT },
	{ "device the vIOMMU", VT_VIOMMU, VT_VIOMMU, 3, -ENOENT },
};

static void vdevice_alloc_case_desc(const struct vdevice_alloc_case *c,
				    char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vdevice_alloc, vdevice_alloc_cases, vdevice_alloc_case_desc);

static void vdevice_alloc_refused(struct kunit *test)
{
	const struct vdevice_alloc_case *c = test->param_value;
	struct vt *vt = test->priv;
	u32 viommu_id, vdev_id, id, next;
	int rc;

	KUNIT_ASSERT_EQ(test, 0, vt_viommu_alloc(vt, vt->idev_id,
						 vt->parent_id, &viommu_id));
	KUNIT_ASSERT_EQ(test, 0, vt_vdevice_alloc(vt, viommu_id, vt->idev_id,
						  1, &vdev_id));
	next = vt_next_id(vt);

	rc = vt_vdevice_alloc(vt, vt_obj_id(vt, c->viommu, viommu_id, NULL),
			      vt_obj_id(vt, c->dev, viommu_id, NULL),
			      c->virt_id, &id);
	KUNIT_EXPECT_EQ(test, c->err, rc);
	if (!rc) {
		KUNIT_EXPECT_EQ(test, next, id);
		KUNIT_EXPECT_EQ(test, 0, vt_find_dev(vt, viommu_id,
						     vt->idev2_id, c->virt_id));
		KUNIT_EXPECT_EQ(test, 0, vt_destroy(vt, id));
		KUNIT_EXPECT_EQ(test, -ENOENT, vt_find_dev(vt, viommu_id,
							   vt->idev2_id,
							   c->virt_id));
	}

	/* The vIOMMU's table is as it was, and no object is left */
	KUNIT_EXPECT_EQ(test, 0, vt_find_dev(vt, viommu_id, vt->idev_id, 1));
	KUNIT_EXPECT_EQ(test, next, vt_next_id(vt));
	KUNIT_EXPECT_EQ(test, 0, vt_destroy(vt, vdev_id));
	KUNIT_EXPECT_EQ(test, 0, vt_destroy(vt, viommu_id));
}

#define VT_NR_VIOMMUS	4

/*
 * Each of four vIOMMUs on one parent has the first device at virt_id 5
 * and the second at 6 + its index; a fifth, of the other mock IOMMU, has
 * its device at 5 too.  A virt_id names one device per vIOMMU only.
 */
static void vdevice_ids_unique(struct kunit *test)
{
	struct vt *vt = test->priv;
	u32 viommu[VT_NR_VIOMMUS], vdev[VT_NR_VIOMMUS][2];
	u32 viommu_o, vdev_o, ids[3 * VT_NR_VIOMMUS + 2];
	unsigned int i, j, n = 0;

	for (i = 0; i < VT_NR_VIOMMUS; i++) {
		KUNIT_ASSERT_EQ(test, 0, vt_viommu_alloc(vt, vt->idev_id,
							 vt->parent_id,
							 &viommu[i]));
		KUNIT_ASSERT_EQ(test, 0,
				vt_vdevice_alloc(vt, viommu[i], vt->idev_id,
						 5, &vdev[i][0]));
		KUNIT_ASSERT_EQ(test, 0,
				vt_vdevice_alloc(vt, viommu[i], vt->idev2_id,
						 6 + i, &vdev[i][1]));
		ids[n++] = viommu[i];
		ids[n++] = vdev[i][0];
		ids[n++] = vdev[i][1];
	}
	KUNIT_ASSERT_EQ(test, 0, vt_viommu_alloc(vt, vt->idev_o_id,
						 vt->parent_id, &viommu_o));
	KUNIT_ASSERT_EQ(test, 0, vt_vdevice_alloc(vt, viommu_o, vt->idev_o_id,
						  5, &vdev_o));
	ids[n++] = viommu_o;
	ids[n++] = vdev_o;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			KUNIT_EXPECT_NE(test, ids[i], ids[j]);

	for (i = 0; i < VT_NR_VIOMMUS; i++) {
		KUNIT_EXPECT_EQ(test, 0, vt_find_dev(vt, viommu[i],
						     vt->idev_id, 5));
		KUNIT_EXPECT_EQ(test, -EINVAL, vt_find_dev(vt, viommu[i],
							   vt->idev2_id, 5));
		for (j = 0; j < VT_NR_VIOMMUS; j++)
			KUNIT_EXPECT_EQ(test, i == j ? 0 : -ENOENT,
					vt_find_dev(vt, viommu[i],
						    vt->idev2_id, 6 + j));
	}
	KUNIT_EXPECT_EQ(test, 0, vt_find_dev(vt, viommu_o, vt->idev_o_id, 5));
	KUNIT_EXPECT_EQ(test, -EINVAL, vt_find_dev(vt, viommu_o, vt->idev_id,
						   5));

	/* One vDEVICE gone: its virt_id is free on its vIOMMU only */
	KUNIT_EXPECT_EQ(test, 0, vt_destroy(vt, vdev[1][0]));
	KUNIT_EXPECT_EQ(test, -ENOENT, vt_find_dev(vt, viommu[1],
						   vt->idev_id, 5));
	for (i = 0; i < VT_NR_VIOMMUS; i += 2)
		KUNIT_EXPECT_EQ(test, 0, vt_find_dev(vt, viommu[i],
						     vt->idev_id, 5));
	/* Not by the second device, which has one there (at 7); the first can */
	KUNIT_EXPECT_EQ(test, -EEXIST, vt_vdevice_alloc(vt, viommu[1],
							vt->idev2_id, 5,
							&vdev[1][0]));
	KUNIT_EXPECT_EQ(test, 0, vt_vdevice_alloc(vt, viommu[1], vt->idev_id,
						  5, &vdev[1][0]));
	/* The file is closed with all of it live */
}

/*
 * Teardown orders.  The objects: a vDEVICE of the second device, a nested
 * HWPT on the vIOMMU with that device attached to it, the vIOMMU, its
 * parent, and the device itself (its selftest object: destroying it
 * unbinds the device).  Who holds whom, as the UAPI has it:
 */
enum vt_teardown_obj {
	VT_TD_VDEVICE,	/* goes with its device's unbind */
	VT_TD_NESTED,	/* busy while the device is attached to it */
	VT_TD_VIOMMU,	/* busy while a vDEVICE or a nested HWPT holds it */
	VT_TD_PARENT,	/* busy while the vIOMMU holds it */
	VT_TD_DEVICE,	/* never refused */
	VT_TD_NR,
};

static const char * const vt_teardown_names[VT_TD_NR] = {
	"vdevice", "nested", "viommu", "parent", "device",
};

static bool vt_teardown_busy(enum vt_teardown_obj obj, const bool *live)
{
	switch (obj) {
	case VT_TD_NESTED:
		return live[VT_TD_DEVICE];
	case VT_TD_VIOMMU:
		return live[VT_TD_VDEVICE] || live[VT_TD_NESTED];
	case VT_TD_PARENT:
		return live[VT_TD_VIOMMU];
	default:
		return false;
	}
}

#define VT_NR_ORDERS	120	/* 5! */

struct vt_order {
	u8 obj[VT_TD_NR];
};

static struct vt_order vt_orders[VT_NR_ORDERS];

/* The next permutation in lexicographic order; false after the last */
static bool vt_next_order(u8 *a, int n)
{
	int i = n - 2, j = n - 1;

	while (i >= 0 && a[i] > a[i + 1])
		i--;
	if (i < 0)
		return false;
	while (a[j] < a[i])
		j--;
	swap(a[i], a[j]);
	for (i++, j = n - 1; i < j; i++, j--)
		swap(a[i], a[j]);
	return true;
}

static void vt_fill_orders(void)
{
	u8 a[VT_TD_NR] = { 0, 1, 2, 3, 4 };
	unsigned int n = 0;

	do {
		memcpy(vt_orders[n++].obj, a, sizeof(a));
	} while (n < VT_NR_ORDERS && vt_next_order(a, VT_TD_NR));
}

static const void *teardown_order_gen(const void *prev, char *desc)
{
	const struct vt_order *o = prev;
	unsigned int i, len = 0;

	if (!o) {
		vt_fill_orders();
		o = vt_orders;
	} else if (++o == vt_orders + VT_NR_ORDERS) {
		return NULL;
	}
	for (i = 0; i < VT_TD_NR; i++)
		len += scnprintf(desc + len, KUNIT_PARAM_DESC_SIZE - len, "%s%s",
				 i ? "," : "", vt_teardown_names[o->obj[i]]);
	return o;
}

static unsigned int vt_teardown_nr_live(const bool *live)
{
	unsigned int i, n = 0;

	for (i = 0; i < VT_TD_NR; i++)
		n += live[i];
	return n;
}

static void vt_teardown_check_lookup(struct vt *vt, const bool *live,
				     const u32 *id, u32 idev_id)
{
	if (!live[VT_TD_VIOMMU] || !live[VT_TD_DEVICE])
		return;
	KUNIT_EXPECT_EQ(vt->test, live[VT_TD_VDEVICE] ? 0 : -ENOENT,
			vt_find_dev(vt, id[VT_TD_VIOMMU], idev_id, 1));
}

/*
 * Destroy in the order given; what is refused is tried again on the next
 * pass, so every order ends with everything gone, in at most five passes.
 */
static void teardown_orders(struct kunit *test)
{
	const struct vt_order *o = test->param_value;
	bool live[VT_TD_NR] = { true, true, true, true, true };
	struct vt *vt = test->priv;
	u32 id[VT_TD_NR], idev_id, first;
	unsigned int pass, i;

	/* All of them the case's, so that their IDs are @first and above */
	first = vt_next_id(vt);
	vt_mock_device(vt, vt->ioas_id, 0, &id[VT_TD_DEVICE], NULL, &idev_id);
	KUNIT_ASSERT_EQ(test, 0, vt_hwpt_alloc(vt, idev_id, vt->ioas_id,
					       IOMMU_HWPT_ALLOC_NEST_PARENT,
					       IOMMU_HWPT_DATA_NONE, NULL, 0,
					       &id[VT_TD_PARENT]));
	KUNIT_ASSERT_EQ(test, 0, vt_viommu_alloc(vt, idev_id, id[VT_TD_PARENT],
						 &id[VT_TD_VIOMMU]));
	KUNIT_ASSERT_EQ(test, 0, vt_vdevice_alloc(vt, id[VT_TD_VIOMMU], idev_id,
						  1, &id[VT_TD_VDEVICE]));
	KUNIT_ASSERT_EQ(test, 0, vt_nested_alloc(vt, idev_id, id[VT_TD_VIOMMU],
						 &id[VT_TD_NESTED]));
	KUNIT_ASSERT_EQ(test, 0, vt_replace(vt, id[VT_TD_DEVICE],
					    id[VT_TD_NESTED]));

	for (pass = 0; vt_teardown_nr_live(live) && pass < VT_TD_NR; pass++) {
		for (i = 0; i < VT_TD_NR; i++) {
			enum vt_teardown_obj obj = o->obj[i];
			int want, rc;

			if (!live[obj])
				continue;
			want = vt_teardown_busy(obj, live) ? -EBUSY : 0;
			rc = vt_destroy(vt, id[obj]);
			KUNIT_EXPECT_EQ_MSG(test, want, rc, "destroying the %s",
					    vt_teardown_names[obj]);
			if (rc)
				continue;
			live[obj] = false;
			if (obj == VT_TD_DEVICE && live[VT_TD_VDEVICE]) {
				KUNIT_EXPECT_EQ(test, -ENOENT,
						vt_destroy(vt, id[VT_TD_VDEVICE]));
				live[VT_TD_VDEVICE] = false;
			}
			vt_teardown_check_lookup(vt, live, id, idev_id);
		}
	}
	KUNIT_EXPECT_EQ(test, 0, vt_teardown_nr_live(live));
	KUNIT_EXPECT_EQ(test, first, vt_next_id(vt));
}

/*
 * A vIOMMU's life, one ioctl a step, for fail-nth: the case given step k
 * runs the steps before it, fails each allocation of step k in turn, then
 * runs the steps after it.
 */
struct vt_seq {
	u32 viommu_id, viommu2_id, vdev_id, vdev2_id, nested_id;
};

struct vt_step {
	const char *desc;
	int (*run)(struct vt *vt, struct vt_seq *s);
	bool allocates;
};

static int step_viommu(struct vt *vt, struct vt_seq *s)
{
	return vt_viommu_alloc(vt, vt->idev_id, vt->parent_id, &s->viommu_id);
}

static int step_viommu2(struct vt *vt, struct vt_seq *s)
{
	return vt_viommu_alloc(vt, vt->idev_o_id, vt->parent_id,
			       &s->viommu2_id);
}

static int step_vdevice(struct vt *vt, struct vt_seq *s)
{
	return vt_vdevice_alloc(vt, s->viommu_id, vt->idev_id, 1, &s->vdev_id);
}

static int step_vdevice2(struct vt *vt, struct vt_seq *s)
{
	return vt_vdevice_alloc(vt, s->viommu2_id, vt->idev_o_id, 1,
				&s->vdev2_id);
}

static int step_vdevice_on_first(struct vt *vt, struct vt_seq *s)
{
	u32 id;

	return vt_vdevice_alloc(vt, s->viommu_id, vt->idev2_id, 2, &id);
}

static int step_nested(struct vt *vt, struct vt_seq *s)
{
	return vt_nested_alloc(vt, vt->idev_id, s->viommu_id, &s->nested_id);
}

static int step_attach_nested(struct vt *vt, struct vt_seq *s)
{
	return vt_replace(vt, vt->stdev_id, s->nested_id);
}

static int step_invalidate(struct vt *vt, struct vt_seq *s)
{
	return vt_invalidate(vt, s->viommu_id, 2);
}

static int step_detach_nested(struct vt *vt, struct vt_seq *s)
{
	return vt_replace(vt, vt->stdev_id, vt->ioas_id);
}

static int step_destroy_nested(struct vt *vt, struct vt_seq *s)
{
	return vt_destroy(vt, s->nested_id);
}

static int step_destroy_vdevice(struct vt *vt, struct vt_seq *s)
{
	return vt_destroy(vt, s->vdev_id);
}

static int step_unbind_second(struct vt *vt, struct vt_seq *s)
{
	return vt_destroy(vt, vt->stdev2_id);
}

static int step_destroy_viommu2(struct vt *vt, struct vt_seq *s)
{
	int rc = vt_destroy(vt, s->vdev2_id);

	return rc ?: vt_destroy(vt, s->viommu2_id);
}

static int step_destroy_viommu(struct vt *vt, struct vt_seq *s)
{
	return vt_destroy(vt, s->viommu_id);
}

static const struct vt_step vt_steps[] = {
	{ "vIOMMU", step_viommu, true },
	{ "vIOMMU of the other IOMMU", step_viommu2, true },
	{ "vDEVICE", step_vdevice, true },
	{ "vDEVICE on the other vIOMMU", step_vdevice2, true },
	{ "second device's vDEVICE", step_vdevice_on_first, true },
	{ "nested HWPT", step_nested, true },
	{ "attach to the nested HWPT", step_attach_nested, false },
	{ "invalidate through the vIOMMU", step_invalidate, false },
	{ "detach from the nested HWPT", step_detach_nested, false },
	{ "destroy the nested HWPT", step_destroy_nested, false },
	{ "destroy the vDEVICE", step_destroy_vdevice, false },
	{ "unbind the second device", step_unbind_second, false },
	{ "destroy the other vIOMMU", step_destroy_viommu2, false },
	{ "destroy the vIOMMU", step_destroy_viommu, false },
};

static void vt_step_desc(const struct vt_step *step, char *desc)
{
	strscpy(desc, step->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vt_step, vt_steps, vt_step_desc);

/* Run the steps from @from to before @to, each of which must succeed */
static void vt_run_steps(struct vt *vt, struct vt_seq *s, unsigned int from,
			 unsigned int to)
{
	for (; from < to; from++)
		KUNIT_ASSERT_EQ_MSG(vt->test, 0, vt_steps[from].run(vt, s),
				    "step %s", vt_steps[from].desc);
}

/*
 * Fail the nth failure point of step @k, from a new iommufd each time: a
 * failure injected where the kernel has a fallback (xarray nodes: GFP_NOWAIT
 * first, then GFP_KERNEL) lets the step succeed, and the next try needs the
 * state from before it.  Returns whether the nth point was reached.
 */
static bool fail_nth_try(struct vt *vt, unsigned int k, unsigned int nth,
			 unsigned int *fallbacks)
{
	const struct vt_step *step = &vt_steps[k];
	struct kunit *test = vt->test;
	struct vt_seq s = {};
	u32 next;
	int rc;

	if (nth > 1) {
		vt_close(vt);
		vt_open(vt);
	}
	vt_run_steps(vt, &s, 0, k);
	next = vt_next_id(vt);
	vt->nth = nth;
	rc = step->run(vt, &s);
	if (vt->nth_left) {
		KUNIT_EXPECT_EQ(test, 0, rc);
		return false;
	}
	if (rc) {
		/* No object left behind, nothing in the way of the retry */
		KUNIT_EXPECT_EQ_MSG(test, next, vt_next_id(vt),
				    "failure point %u: %d", nth, rc);
		KUNIT_ASSERT_EQ_MSG(test, 0, step->run(vt, &s),
				    "retry after failure point %u", nth);
	} else {
		(*fallbacks)++;
	}
	/* What the step did is what the later steps need */
	vt_run_steps(vt, &s, k + 1, ARRAY_SIZE(vt_steps));
	return true;
}

static void fail_nth_step(struct kunit *test)
{
	const struct vt_step *step = test->param_value;
	unsigned int k = step - vt_steps, nth = 1, fallbacks = 0;
	struct vt *vt = test->priv;

	fail_nth_arm_failslab(test);
	fail_nth_quiet(test, "fail_iommufd");
	while (nth < FAIL_NTH_LIMIT && fail_nth_try(vt, k, nth, &fallbacks))
		nth++;
	KUNIT_EXPECT_LT(test, nth, FAIL_NTH_LIMIT);
	if (step->allocates)
		KUNIT_EXPECT_GT(test, nth, 1);
	kunit_info(test, "%u failure points failed in turn, %u of them with a fallback",
		   nth - 1, fallbacks);
}

static struct kunit_case iommufd_viommu_cases[] = {
	KUNIT_CASE_PARAM(viommu_alloc_refused, viommu_alloc_gen_params),
	KUNIT_CASE_PARAM(vdevice_alloc_refused, vdevice_alloc_gen_params),
	KUNIT_CASE(vdevice_ids_unique),
	KUNIT_CASE_PARAM(teardown_orders, teardown_order_gen),
	KUNIT_CASE_PARAM(fail_nth_step, vt_step_gen_params),
	{}
};

static struct kunit_suite iommufd_viommu_suite = {
	.name = "iommufd-viommu",
	.init = vt_init,
	.test_cases = iommufd_viommu_cases,
};

kunit_test_suite(iommufd_viommu_suite);

MODULE_DESCRIPTION("KUnit tests for iommufd's vIOMMU and vDEVICE objects");
MODULE_LICENSE("GPL");
