// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd vIOMMU and vDEVICE objects (IOMMU_VIOMMU_ALLOC, IOMMU_VDEVICE_ALLOC)
 * on the mock IOMMU driver: allocation and teardown orders, the errnos of
 * the UAPI, several vIOMMUs per device, ID reuse, nested HWPTs allocated on
 * a vIOMMU and invalidations through it, and the virt_id -> device lookup
 * drivers use (through IOMMU_TEST_OP_VIOMMU_FIND_DEV).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iommufd_utils.h"

/* iommufd_utils.h's globals; these cases map no memory */
static __attribute__((constructor)) void setup_globals(void)
{
	PAGE_SIZE = sysconf(_SC_PAGE_SIZE);
	BUFFER_SIZE = 0;
	buffer = NULL;
}

static int _test_cmd_viommu_alloc(int fd, __u32 dev_id, __u32 hwpt_id,
				  __u32 type, __u32 flags, __u32 *viommu_id)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.type = type,
		.dev_id = dev_id,
		.hwpt_id = hwpt_id,
	};
	int ret;

	ret = ioctl(fd, IOMMU_VIOMMU_ALLOC, &cmd);
	if (ret)
		return ret;
	if (viommu_id)
		*viommu_id = cmd.out_viommu_id;
	return 0;
}

#define test_cmd_viommu_alloc(dev_id, hwpt_id, type, viommu_id)              \
	({                                                                   \
		__u32 *__viommu_id = (viommu_id);                            \
									     \
		ASSERT_EQ(0, _test_cmd_viommu_alloc(self->fd, dev_id, hwpt_id, \
						    type, 0, __viommu_id));    \
		ASSERT_NE(0, *__viommu_id);                                  \
	})
#define test_err_viommu_alloc(_errno, dev_id, hwpt_id, type, flags)          \
	EXPECT_ERRNO(_errno, _test_cmd_viommu_alloc(self->fd, dev_id, hwpt_id, \
						    type, flags, NULL))

static int _test_cmd_vdevice_alloc(int fd, __u32 viommu_id, __u32 dev_id,
				   __u64 virt_id, __u32 *vdev_id)
{
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.dev_id = dev_id,
		.virt_id = virt_id,
	};
	int ret;

	ret = ioctl(fd, IOMMU_VDEVICE_ALLOC, &cmd);
	if (ret)
		return ret;
	if (vdev_id)
		*vdev_id = cmd.out_vdevice_id;
	return 0;
}

#define test_cmd_vdevice_alloc(viommu_id, dev_id, virt_id, vdev_id)           \
	({                                                                    \
		__u32 *__vdev_id = (vdev_id);                                 \
									      \
		ASSERT_EQ(0, _test_cmd_vdevice_alloc(self->fd, viommu_id,     \
						     dev_id, virt_id,         \
						     __vdev_id));             \
		ASSERT_NE(0, *__vdev_id);                                     \
	})
#define test_err_vdevice_alloc(_errno, viommu_id, dev_id, virt_id)            \
	EXPECT_ERRNO(_errno, _test_cmd_vdevice_alloc(self->fd, viommu_id,     \
						     dev_id, virt_id, NULL))

static int _test_cmd_find_dev(int fd, __u32 viommu_id, __u32 dev_id,
			      __u64 virt_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_VIOMMU_FIND_DEV,
		.id = viommu_id,
		.viommu_find_dev = { .dev_id = dev_id, .virt_id = virt_id },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

#define test_cmd_find_dev(viommu_id, dev_id, virt_id) \
	ASSERT_EQ(0, _test_cmd_find_dev(self->fd, viommu_id, dev_id, virt_id))
#define test_err_find_dev(_errno, viommu_id, dev_id, virt_id)            \
	EXPECT_ERRNO(_errno, _test_cmd_find_dev(self->fd, viommu_id, dev_id, \
						virt_id))

#define test_err_destroy(_errno, id) \
	EXPECT_ERRNO(_errno, _test_ioctl_destroy(self->fd, id))

FIXTURE(viommu)
{
	int fd;
	__u32 ioas_id;
	/* Two devices behind the first mock IOMMU, one behind the second */
	__u32 stdev_id, idev_id;
	__u32 stdev2_id, idev2_id;
	__u32 stdev_o_id, idev_o_id;
	__u32 hwpt_id;	/* the first device's automatic, not a nest parent */
	__u32 parent_id;
};

FIXTURE_SETUP(viommu)
{
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	test_cmd_mock_domain(self->ioas_id, &self->stdev_id, &self->hwpt_id,
			     &self->idev_id);
	test_cmd_mock_domain(self->ioas_id, &self->stdev2_id, NULL,
			     &self->idev2_id);
	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_IOMMU2,
				   &self->stdev_o_id, NULL, &self->idev_o_id);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &self->parent_id);
}

FIXTURE_TEARDOWN(viommu)
{
	/* Closing with whatever a case left frees it all */
	close(self->fd);
}

TEST_F(viommu, alloc_destroy)
{
	__u32 viommu_id, vdev_id;

	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);
	test_cmd_vdevice_alloc(viommu_id, self->idev_id, 0x10, &vdev_id);
	test_cmd_find_dev(viommu_id, self->idev_id, 0x10);

	/* Held: the parent by the vIOMMU, the vIOMMU by the vDEVICE */
	test_err_destroy(EBUSY, self->parent_id);
	test_err_destroy(EBUSY, viommu_id);
	test_err_destroy(EBUSY, self->ioas_id);

	test_ioctl_destroy(vdev_id);
	test_err_find_dev(ENOENT, viommu_id, self->idev_id, 0x10);
	test_err_destroy(ENOENT, vdev_id);
	test_err_destroy(EBUSY, self->parent_id);
	test_ioctl_destroy(viommu_id);
	test_err_destroy(ENOENT, viommu_id);
	test_ioctl_destroy(self->parent_id);
}

TEST_F(viommu, driver_type)
{
	__u32 viommu_id, vdev_id;

	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);
	test_cmd_vdevice_alloc(viommu_id, self->idev2_id, 7, &vdev_id);
	test_cmd_find_dev(viommu_id, self->idev2_id, 7);
	test_ioctl_destroy(vdev_id);
	test_ioctl_destroy(viommu_id);
	test_ioctl_destroy(self->parent_id);
}

TEST_F(viommu, viommu_alloc_errors)
{
	struct iommu_viommu_alloc cmd = {
		.size = offsetof(struct iommu_viommu_alloc, out_viommu_id),
		.dev_id = self->idev_id,
		.hwpt_id = self->parent_id,
	};
	__u32 nested_id;

	/* Reserved: no driver backs it */
	test_err_viommu_alloc(EOPNOTSUPP, self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_DEFAULT, 0);
	test_err_viommu_alloc(EOPNOTSUPP, self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, 1);
	test_err_viommu_alloc(EOPNOTSUPP, self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, 1U << 31);
	/* A type the driver does not back */
	test_err_viommu_alloc(EOPNOTSUPP, self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 0);
	/* Not a nesting parent */
	test_err_viommu_alloc(EINVAL, self->idev_id, self->hwpt_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, 0);
	/* Not a paging HWPT, not a device, no such object */
	test_err_viommu_alloc(ENOENT, self->idev_id, self->ioas_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, 0);
	test_err_viommu_alloc(ENOENT, self->stdev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, 0);
	test_err_viommu_alloc(ENOENT, self->ioas_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, 0);
	test_err_viommu_alloc(ENOENT, self->idev_id, 9999,
			      IOMMU_VIOMMU_TYPE_SELFTEST, 0);
	/* A nested HWPT is not a paging one */
	test_cmd_hwpt_alloc_nested(self->idev_id, self->parent_id, 0,
				   &nested_id, IOMMU_HWPT_DATA_SELFTEST,
				   &(struct iommu_hwpt_selftest){
					   .iotlb = IOMMU_TEST_IOTLB_DEFAULT },
				   sizeof(struct iommu_hwpt_selftest));
	test_err_viommu_alloc(ENOENT, self->idev_id, nested_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, 0);
	test_ioctl_destroy(nested_id);
	/* Too short for the output */
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_VIOMMU_ALLOC, &cmd));
	/* A longer struct with non-zero trailing bytes */
	{
		struct {
			struct iommu_viommu_alloc cmd;
			__u64 extra;
		} big = {
			.cmd = { .size = sizeof(big), .dev_id = self->idev_id,
				 .hwpt_id = self->parent_id },
			.extra = 1,
		};

		EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOMMU_VIOMMU_ALLOC, &big));
	}

	/* None of it took a reference on the parent */
	test_ioctl_destroy(self->parent_id);
}

TEST_F(viommu, vdevice_alloc_errors)
{
	__u32 viommu_id, vdev_id, vdev2_id;

	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);

	/* A device behind another IOMMU instance */
	test_err_vdevice_alloc(EINVAL, viommu_id, self->idev_o_id, 1);
	/* Not a vIOMMU, not a device */
	test_err_vdevice_alloc(ENOENT, self->parent_id, self->idev_id, 1);
	test_err_vdevice_alloc(ENOENT, 9999, self->idev_id, 1);
	test_err_vdevice_alloc(ENOENT, viommu_id, self->stdev_id, 1);
	test_err_vdevice_alloc(ENOENT, viommu_id, viommu_id, 1);

	test_cmd_vdevice_alloc(viommu_id, self->idev_id, 1, &vdev_id);
	/* virt_id taken, by another device or the same */
	test_err_vdevice_alloc(EEXIST, viommu_id, self->idev2_id, 1);
	/* The device already has a vDEVICE on this vIOMMU */
	test_err_vdevice_alloc(EEXIST, viommu_id, self->idev_id, 2);
	test_err_find_dev(ENOENT, viommu_id, self->idev_id, 2);
	/* The failures changed nothing */
	test_cmd_find_dev(viommu_id, self->idev_id, 1);
	test_err_find_dev(EINVAL, viommu_id, self->idev2_id, 1);
	test_cmd_vdevice_alloc(viommu_id, self->idev2_id, 2, &vdev2_id);
	test_cmd_find_dev(viommu_id, self->idev2_id, 2);

	test_ioctl_destroy(vdev_id);
	test_ioctl_destroy(vdev2_id);
	test_ioctl_destroy(viommu_id);
	test_ioctl_destroy(self->parent_id);
}

TEST_F(viommu, large_virt_id)
{
	__u32 viommu_id, vdev_id;

	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);
	test_cmd_vdevice_alloc(viommu_id, self->idev_id, 0xffffffffULL,
			       &vdev_id);
	test_cmd_find_dev(viommu_id, self->idev_id, 0xffffffffULL);
	test_err_find_dev(ENOENT, viommu_id, self->idev_id, 0);
	test_ioctl_destroy(vdev_id);
}

TEST_F(viommu, other_iommu)
{
	__u32 viommu_id, viommu_o_id, vdev_id;

	/* A vIOMMU of the second instance, on the same parent */
	test_cmd_viommu_alloc(self->idev_o_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_o_id);
	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);
	test_err_vdevice_alloc(EINVAL, viommu_o_id, self->idev_id, 1);
	test_err_vdevice_alloc(EINVAL, viommu_o_id, self->idev2_id, 1);
	test_err_vdevice_alloc(EINVAL, viommu_id, self->idev_o_id, 1);
	/* The same virt_id on different vIOMMUs names different devices */
	test_cmd_vdevice_alloc(viommu_o_id, self->idev_o_id, 1, &vdev_id);
	test_cmd_find_dev(viommu_o_id, self->idev_o_id, 1);
	test_err_find_dev(ENOENT, viommu_id, self->idev_o_id, 1);
	test_err_destroy(EBUSY, viommu_o_id);
	test_ioctl_destroy(viommu_id);
	/* Left to the close */
}

TEST_F(viommu, several_viommus_per_device)
{
	__u32 viommu_ids[3], vdev_ids[3];
	int i;

	for (i = 0; i != 3; i++)
		test_cmd_viommu_alloc(self->idev_id, self->parent_id,
				      IOMMU_VIOMMU_TYPE_SELFTEST,
				      &viommu_ids[i]);
	/* The same virt_id, then different ones */
	test_cmd_vdevice_alloc(viommu_ids[0], self->idev_id, 5, &vdev_ids[0]);
	test_cmd_vdevice_alloc(viommu_ids[1], self->idev_id, 5, &vdev_ids[1]);
	test_cmd_vdevice_alloc(viommu_ids[2], self->idev_id, 6, &vdev_ids[2]);
	test_cmd_find_dev(viommu_ids[0], self->idev_id, 5);
	test_cmd_find_dev(viommu_ids[1], self->idev_id, 5);
	test_cmd_find_dev(viommu_ids[2], self->idev_id, 6);
	test_err_find_dev(ENOENT, viommu_ids[2], self->idev_id, 5);

	/* Destroying one leaves the others */
	test_ioctl_destroy(vdev_ids[1]);
	test_ioctl_destroy(viommu_ids[1]);
	test_cmd_find_dev(viommu_ids[0], self->idev_id, 5);
	test_cmd_find_dev(viommu_ids[2], self->idev_id, 6);
	for (i = 0; i < 3; i += 2) {
		test_err_destroy(EBUSY, viommu_ids[i]);
		test_ioctl_destroy(vdev_ids[i]);
		test_ioctl_destroy(viommu_ids[i]);
	}
	test_ioctl_destroy(self->parent_id);
}

TEST_F(viommu, id_reuse)
{
	__u32 viommu_id, vdev_id;
	int i;

	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);
	for (i = 0; i != 4; i++) {
		/* The same device and virt_id again once destroyed */
		test_cmd_vdevice_alloc(viommu_id, self->idev_id, 3, &vdev_id);
		test_cmd_find_dev(viommu_id, self->idev_id, 3);
		test_ioctl_destroy(vdev_id);
		/* ... and the virt_id for another device */
		test_cmd_vdevice_alloc(viommu_id, self->idev2_id, 3, &vdev_id);
		test_cmd_find_dev(viommu_id, self->idev2_id, 3);
		test_ioctl_destroy(vdev_id);
	}
	test_ioctl_destroy(viommu_id);
	/* A new vIOMMU on the same parent */
	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);
	test_cmd_vdevice_alloc(viommu_id, self->idev_id, 3, &vdev_id);
	test_ioctl_destroy(vdev_id);
	test_ioctl_destroy(viommu_id);
	test_ioctl_destroy(self->parent_id);
}

TEST_F(viommu, unbind_destroys_vdevices)
{
	__u32 viommu_id, viommu2_id, vdev_id, vdev2_id, vdev3_id;

	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);
	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu2_id);
	test_cmd_vdevice_alloc(viommu_id, self->idev2_id, 1, &vdev_id);
	test_cmd_vdevice_alloc(viommu2_id, self->idev2_id, 1, &vdev2_id);
	test_cmd_vdevice_alloc(viommu_id, self->idev_id, 2, &vdev3_id);

	/* Unbind the second device: its vDEVICEs go, the others stay */
	test_ioctl_destroy(self->stdev2_id);
	test_err_destroy(ENOENT, vdev_id);
	test_err_destroy(ENOENT, vdev2_id);
	test_cmd_find_dev(viommu_id, self->idev_id, 2);
	test_err_vdevice_alloc(ENOENT, viommu_id, self->idev2_id, 1);
	test_ioctl_destroy(viommu2_id);
	test_err_destroy(EBUSY, viommu_id);

	/* Unbind the first one with the vIOMMU live */
	test_ioctl_destroy(self->stdev_id);
	test_err_destroy(ENOENT, vdev3_id);
	test_ioctl_destroy(viommu_id);
	test_ioctl_destroy(self->parent_id);
}

TEST_F(viommu, close_with_everything_live)
{
	__u32 viommu_id, viommu2_id, vdev_id;

	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);
	test_cmd_viommu_alloc(self->idev_o_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu2_id);
	test_cmd_vdevice_alloc(viommu_id, self->idev_id, 1, &vdev_id);
	test_cmd_vdevice_alloc(viommu_id, self->idev2_id, 2, &vdev_id);
	test_cmd_vdevice_alloc(viommu2_id, self->idev_o_id, 1, &vdev_id);
	/* The teardown closes the iommufd */
}

TEST_F(viommu, ioas_and_parent_order)
{
	__u32 viommu_id, vdev_id;

	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);
	test_cmd_vdevice_alloc(viommu_id, self->idev_id, 1, &vdev_id);
	/* Detach every device from the IOAS: the vIOMMU is unaffected */
	test_cmd_mock_domain_replace(self->stdev_id, self->parent_id);
	test_err_destroy(EBUSY, self->parent_id);
	test_cmd_find_dev(viommu_id, self->idev_id, 1);
	test_ioctl_destroy(vdev_id);
	test_ioctl_destroy(viommu_id);
	test_err_destroy(EBUSY, self->parent_id);	/* still attached */
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(self->parent_id);
}

TEST_F(viommu, nested_hwpt)
{
	struct iommu_hwpt_selftest data = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
	};
	__u32 viommu_id, viommu2_id, nested_id, id;

	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);
	test_cmd_hwpt_alloc_nested(self->idev_id, viommu_id, 0, &nested_id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	/* The nested HWPT holds the vIOMMU, the vIOMMU the parent */
	test_err_destroy(EBUSY, viommu_id);
	test_err_destroy(EBUSY, self->parent_id);

	/* A device of another IOMMU, flags and data the vIOMMU refuses */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_o_id, viommu_id, 0, &id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, viommu_id,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, &id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, viommu_id, 0,
				   &id, IOMMU_HWPT_DATA_NONE, NULL, 0);
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, viommu_id, 0,
				   &id, IOMMU_HWPT_DATA_VTD_S1, &data,
				   sizeof(data));

	/* Attached, it is busy; detached, it goes and frees the vIOMMU */
	test_cmd_mock_domain_replace(self->stdev_id, nested_id);
	test_err_destroy(EBUSY, nested_id);
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested_id);
	test_ioctl_destroy(viommu_id);

	/* Several vIOMMUs, each with its nested HWPTs, torn down by close */
	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);
	test_cmd_viommu_alloc(self->idev_o_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu2_id);
	test_cmd_hwpt_alloc_nested(self->idev_id, viommu_id, 0, &nested_id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	test_cmd_hwpt_alloc_nested(self->idev_o_id, viommu2_id, 0, &id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	test_cmd_mock_domain_replace(self->stdev2_id, nested_id);
}

TEST_F(viommu, invalidate)
{
	struct iommu_hwpt_invalidate_selftest inv[3] = {
		{ .iotlb_id = 0 },
		{ .flags = IOMMU_TEST_INVALIDATE_FLAG_ALL },
		{ .flags = 1U << 31 },	/* not a flag */
	};
	struct iommu_hwpt_selftest data = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
	};
	__u32 viommu_id, nested_id, num;

	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);
	/* An empty array asks whether the type is taken */
	num = 0;
	test_cmd_hwpt_invalidate(viommu_id, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(*inv), &num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, viommu_id, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				 sizeof(*inv), &num);
	EXPECT_EQ(0, num);
	/* Two good entries, then a bad one: two handled */
	num = 3;
	test_err_hwpt_invalidate(EOPNOTSUPP, viommu_id, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(*inv), &num);
	EXPECT_EQ(2, num);
	num = 2;
	test_cmd_hwpt_invalidate(viommu_id, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(*inv), &num);
	EXPECT_EQ(2, num);

	/* Neither a nested HWPT nor a vIOMMU */
	num = 1;
	test_err_hwpt_invalidate(ENOENT, self->parent_id, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(*inv), &num);
	EXPECT_EQ(0, num);
	/* A nested HWPT of the vIOMMU still takes its own invalidations */
	test_cmd_hwpt_alloc_nested(self->idev_id, viommu_id, 0, &nested_id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	num = 1;
	test_cmd_hwpt_invalidate(nested_id, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(*inv), &num);
	EXPECT_EQ(1, num);
}

/*
 * Lookups racing every way a vDEVICE goes: IOMMU_DESTROY of the vDEVICE,
 * unbinding its device, and the vIOMMU going after them.  The lookup
 * reads the vIOMMU's xarray under its lock and the device's binding
 * through the vDEVICE; a lookup may only ever find the right device or
 * nothing.  The debug kernel's KASAN and lockdep judge the kernel side.
 */
struct race {
	int fd;
	/* Read and written with __atomic_*(): the threads race on them */
	__u32 viommu_id, idev_id;
	int stop;
	unsigned long found, missed, wrong;
};

static void *race_lookup(void *arg)
{
	struct race *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		__u32 viommu_id = __atomic_load_n(&r->viommu_id, __ATOMIC_RELAXED);
		__u32 idev_id = __atomic_load_n(&r->idev_id, __ATOMIC_RELAXED);
		int ret = _test_cmd_find_dev(r->fd, viommu_id, idev_id, 9);

		if (!ret)
			__atomic_add_fetch(&r->found, 1, __ATOMIC_RELAXED);
		else if (errno == ENOENT || errno == EINVAL)
			__atomic_add_fetch(&r->missed, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&r->wrong, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * Let the lookups find the vDEVICE before it goes: on one CPU they run
 * only when this thread gives way, and a vDEVICE destroyed at once was
 * never seen (0 found in 120,000 lookups on the arm64 debug kernel).
 * Bounded by yields, not by time.
 */
static void let_lookups_find(struct race *r)
{
	unsigned long before = __atomic_load_n(&r->found, __ATOMIC_RELAXED);
	unsigned int i;

	for (i = 0; i < 1000; i++) {
		if (__atomic_load_n(&r->found, __ATOMIC_RELAXED) != before)
			return;
		sched_yield();
	}
}

TEST_F(viommu, lookup_races)
{
	struct race r = { .fd = self->fd };
	pthread_t threads[3];
	__u32 stdev_id, idev_id, viommu_id, vdev_id;
	unsigned int i, t;

	for (t = 0; t < ARRAY_SIZE(threads); t++)
		ASSERT_EQ(0, pthread_create(&threads[t], NULL, race_lookup, &r));
	/* A bounded amount of work, not a time: 100 rounds of each kind */
	for (i = 0; i < 300; i++) {
		test_cmd_mock_domain(self->ioas_id, &stdev_id, NULL, &idev_id);
		test_cmd_viommu_alloc(idev_id, self->parent_id,
				      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);
		__atomic_store_n(&r.viommu_id, viommu_id, __ATOMIC_RELAXED);
		__atomic_store_n(&r.idev_id, idev_id, __ATOMIC_RELAXED);
		test_cmd_vdevice_alloc(viommu_id, idev_id, 9, &vdev_id);
		let_lookups_find(&r);
		switch (i % 3) {
		case 0:	/* the vDEVICE destroyed, then the device unbound */
			test_ioctl_destroy(vdev_id);
			test_ioctl_destroy(stdev_id);
			break;
		case 1:	/* the device unbound with its vDEVICE */
			test_ioctl_destroy(stdev_id);
			test_err_destroy(ENOENT, vdev_id);
			break;
		default: /* the vDEVICE, then the vIOMMU, the device last */
			test_ioctl_destroy(vdev_id);
			break;
		}
		test_ioctl_destroy(viommu_id);
		if (i % 3 == 2)
			test_ioctl_destroy(stdev_id);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	for (t = 0; t < ARRAY_SIZE(threads); t++)
		ASSERT_EQ(0, pthread_join(threads[t], NULL));
	printf("# lookups: %lu found, %lu missed, %lu wrong\n", r.found,
	       r.missed, r.wrong);
	EXPECT_EQ(0, r.wrong);
	/* Otherwise no lookup raced a vDEVICE that was there */
	EXPECT_NE(0, r.found);
}

TEST_F(viommu, find_dev_reserved)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_VIOMMU_FIND_DEV,
		.viommu_find_dev = { .dev_id = self->idev_id,
				     .__reserved = 1 },
	};
	__u32 viommu_id;

	test_cmd_viommu_alloc(self->idev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &viommu_id);
	cmd.id = viommu_id;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_TEST_CMD, &cmd));
}

/*
 * Fail each fault injection point (fail-nth: iommufd_should_fail() and the
 * allocations) of a vIOMMU/vDEVICE sequence in turn.  Whatever fails, the
 * close must free everything; splats are what the harness looks for.
 */
static int viommu_sequence(int fd, __u32 idev_id, __u32 idev2_id,
			   __u32 stdev2_id, __u32 parent_id)
{
	struct iommu_hwpt_selftest data = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
	};
	__u32 viommu_id, viommu2_id, vdev_id, vdev2_id, nested_id;

	if (_test_cmd_viommu_alloc(fd, idev_id, parent_id,
				   IOMMU_VIOMMU_TYPE_SELFTEST, 0, &viommu_id) ||
	    _test_cmd_viommu_alloc(fd, idev_id, parent_id,
				   IOMMU_VIOMMU_TYPE_SELFTEST, 0, &viommu2_id) ||
	    _test_cmd_vdevice_alloc(fd, viommu_id, idev_id, 1, &vdev_id) ||
	    _test_cmd_vdevice_alloc(fd, viommu2_id, idev2_id, 1, &vdev2_id) ||
	    _test_cmd_vdevice_alloc(fd, viommu_id, idev2_id, 2, NULL) ||
	    _test_cmd_hwpt_alloc(fd, idev_id, viommu_id, 0, 0, &nested_id,
				 IOMMU_HWPT_DATA_SELFTEST, &data,
				 sizeof(data)) ||
	    /* Left to the close, with the vIOMMU it holds */
	    _test_cmd_hwpt_alloc(fd, idev2_id, viommu_id, 0, 0, NULL,
				 IOMMU_HWPT_DATA_SELFTEST, &data,
				 sizeof(data)) ||
	    _test_ioctl_destroy(fd, nested_id) ||
	    _test_cmd_find_dev(fd, viommu_id, idev_id, 1) ||
	    _test_ioctl_destroy(fd, vdev_id) ||
	    _test_ioctl_destroy(fd, stdev2_id) ||
	    _test_ioctl_destroy(fd, viommu2_id))
		return -1;
	return 0;
}

/*
 * Let fail-nth fail allocations that may sleep too, quietly: failslab's
 * and iommufd's own fault point (object lookups; only with IOMMUFD_TEST,
 * hence optional), which would print a stack trace per injected failure.
 */
static int failslab_setup(void)
{
	static const struct {
		const char *path, *value;
		bool optional;
	} knobs[] = {
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N", false },
		{ "/sys/kernel/debug/failslab/verbose", "0", false },
		{ "/sys/kernel/debug/fail_iommufd/verbose", "0", true },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		int fd = open(knobs[i].path, O_WRONLY);
		ssize_t len = strlen(knobs[i].value);

		if (fd == -1 && knobs[i].optional)
			continue;
		if (fd == -1)
			return -1;
		if (write(fd, knobs[i].value, len) != len) {
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

TEST(viommu_fail_nth)
{
	unsigned int nth;
	char buf[32];
	int nth_fd;

	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd == -1)
		SKIP(return, "no /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION)");
	if (failslab_setup())
		SKIP(return, "failslab's debugfs knobs not writable (CONFIG_FAILSLAB, debugfs)");

	for (nth = 1; nth < 400; nth++) {
		__u32 ioas_id, idev_id, idev2_id, stdev2_id, parent_id;
		ssize_t len;
		int fd, rc;

		fd = open("/dev/iommu", O_RDWR);
		ASSERT_NE(-1, fd);
		ASSERT_EQ(0, _test_ioctl_ioas_alloc(fd, &ioas_id));
		ASSERT_EQ(0, _test_cmd_mock_domain(fd, ioas_id, NULL, NULL,
						   &idev_id));
		ASSERT_EQ(0, _test_cmd_mock_domain(fd, ioas_id, &stdev2_id,
						   NULL, &idev2_id));
		ASSERT_EQ(0, _test_cmd_hwpt_alloc(fd, idev_id, ioas_id, 0,
						  IOMMU_HWPT_ALLOC_NEST_PARENT,
						  &parent_id,
						  IOMMU_HWPT_DATA_NONE, NULL,
						  0));

		len = snprintf(buf, sizeof(buf), "%u", nth);
		ASSERT_EQ(len, pwrite(nth_fd, buf, len, 0));
		rc = viommu_sequence(fd, idev_id, idev2_id, stdev2_id,
				     parent_id);
		len = pread(nth_fd, buf, sizeof(buf) - 1, 0);
		/* The read itself can be the nth (a usercopy fault) */
		if (len == -1 && errno == EFAULT)
			len = snprintf(buf, sizeof(buf), "0");
		if (pwrite(nth_fd, "0", 1, 0) != 1)
			ASSERT_EQ(1, pwrite(nth_fd, "0", 1, 0));
		ASSERT_GT(len, 0);
		buf[len] = 0;
		close(fd);

		/* The nth point was not reached: the sequence ran whole */
		if (atoi(buf) != 0) {
			ASSERT_EQ(0, rc);
			break;
		}
	}
	ASSERT_GT(400, nth);
	ASSERT_LT(1, nth);
	ksft_print_msg("viommu sequence: allocations 1 to %u failed in turn\n",
		       nth - 1);
	close(nth_fd);
}

TEST_HARNESS_MAIN
