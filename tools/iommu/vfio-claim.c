// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-claim: take a PCI device bound to vfio-pci from user space, the
 * way a VMM does, map and unmap DMA through it, let it go, and check the
 * group's DMA ownership (sysfs dma_owner) at each step, and that only root
 * may read which process owns it (dma_owner_task).
 *
 *   vfio-claim container BDF   group + container + type1 IOMMU
 *   vfio-claim cdev BDF        /dev/vfio/devices/vfioN bound to /dev/iommu,
 *                              an IOAS attached as the device's page table
 *   vfio-claim refused BDF     the group is not viable and a claim through
 *                              either interface fails
 *
 * Prints what it does; exits 0 if every step behaved, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "vfio-dev.h"

#define BUF_SIZE	0x100000UL		/* 1 MiB */
#define BUF_IOVA	0x100000000UL		/* 4 GiB */

static const char *bdf;
static int failures;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAILED");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok)
		printf(" (errno %d: %s)", errno, strerror(errno));
	printf("\n");
	failures += !ok;
}

static int group_id(void)
{
	return pci_iommu_group_id(bdf);
}

static void check_owner(const char *want)
{
	char buf[128];

	/* Set on the base's core, which has no dma_owner attribute. */
	if (getenv("VFIO_CLAIM_NO_OWNER")) {
		printf("skip: group %d dma_owner check (no such attribute)\n",
		       group_id());
		return;
	}
	group_dma_owner(bdf, buf, sizeof(buf));
	check(!strncmp(buf, want, strlen(want)), "group %d dma_owner \"%s\", want \"%s\"",
	      group_id(), buf, want);
}

/*
 * Which process owns the group is root's to read: dma_owner_task names this
 * one for root and refuses another user (EACCES), who sees only "user 1"
 * in dma_owner.
 */
static void check_owner_task(void)
{
	char buf[128], want[64];
	int status, denied;
	pid_t child;

	if (getenv("VFIO_CLAIM_NO_OWNER")) {
		printf("skip: group %d dma_owner_task check (no such attribute)\n",
		       group_id());
		return;
	}
	snprintf(want, sizeof(want), "vfio-claim[%d]", getpid());
	group_attr(bdf, "dma_owner_task", buf, sizeof(buf));
	check(!strcmp(buf, want), "group %d dma_owner_task \"%s\" for root, want \"%s\"",
	      group_id(), buf, want);

	fflush(stdout);
	child = fork();
	if (!child) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		errno = 0;
		group_attr(bdf, "dma_owner_task", buf, sizeof(buf));
		denied = errno == EACCES;
		group_dma_owner(bdf, buf, sizeof(buf));
		_exit(denied && !strcmp(buf, "user 1") ? 0 : 1);
	}
	check(child > 0 && waitpid(child, &status, 0) == child &&
	      WIFEXITED(status) && !WEXITSTATUS(status),
	      "as uid 65534: dma_owner_task refused with EACCES, dma_owner \"user 1\" alone");
}

static void *dma_buffer(void)
{
	void *buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(buf, 0x5a, BUF_SIZE);
	return buf;
}

/* The container way: what QEMU does with -device vfio-pci,host=BDF. */
static int open_container_group(int *container)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int group;

	*container = open("/dev/vfio/vfio", O_RDWR);
	check(*container >= 0, "open /dev/vfio/vfio");
	check(ioctl(*container, VFIO_GET_API_VERSION) == VFIO_API_VERSION,
	      "VFIO_GET_API_VERSION");
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_id());
	group = open(path, O_RDWR);
	check(group >= 0, "open %s", path);
	check(!ioctl(group, VFIO_GROUP_GET_STATUS, &status), "VFIO_GROUP_GET_STATUS");
	printf("group %d viable: %s\n", group_id(),
	       status.flags & VFIO_GROUP_FLAGS_VIABLE ? "yes" : "no");
	return group;
}

static void container_way(void)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int container, group, device, ret;

	check_owner("none");
	group = open_container_group(&container);
	check(!ioctl(group, VFIO_GROUP_SET_CONTAINER, &container),
	      "VFIO_GROUP_SET_CONTAINER claims the group");
	check_owner("user 1");
	check_owner_task();
	check(!ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU),
	      "VFIO_SET_IOMMU type1v2");

	map.vaddr = (unsigned long)dma_buffer();
	map.iova = BUF_IOVA;
	map.size = BUF_SIZE;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	check(!ioctl(container, VFIO_IOMMU_MAP_DMA, &map), "VFIO_IOMMU_MAP_DMA 1 MiB");
	/* The same IOVA twice is refused and changes nothing. */
	check(ioctl(container, VFIO_IOMMU_MAP_DMA, &map) && errno == EEXIST,
	      "VFIO_IOMMU_MAP_DMA again is EEXIST");

	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	check(device >= 0, "VFIO_GROUP_GET_DEVICE_FD %s", bdf);
	ret = ioctl(device, VFIO_DEVICE_GET_INFO, &info);
	check(!ret && (info.flags & VFIO_DEVICE_FLAGS_PCI),
	      "VFIO_DEVICE_GET_INFO: PCI, %u regions", info.num_regions);

	unmap.iova = BUF_IOVA;
	unmap.size = BUF_SIZE;
	check(!ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) &&
	      unmap.size == BUF_SIZE, "VFIO_IOMMU_UNMAP_DMA unmapped %llu bytes",
	      (unsigned long long)unmap.size);

	close(device);
	check(!ioctl(group, VFIO_GROUP_UNSET_CONTAINER), "VFIO_GROUP_UNSET_CONTAINER");
	close(group);
	close(container);
	check_owner("none");
}

/* The cdev way: what QEMU does with iommufd=... */
static int open_cdev(void)
{
	char node[PATH_MAX];

	check(vfio_cdev_path(bdf, node, sizeof(node)), "%s has a vfio device node", bdf);
	return open(node, O_RDWR);
}

static void cdev_way(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(detach) };
	int iommufd, device;

	check_owner("none");
	iommufd = open("/dev/iommu", O_RDWR);
	check(iommufd >= 0, "open /dev/iommu");
	device = open_cdev();
	check(device >= 0, "open the device's cdev");

	bind.iommufd = iommufd;
	check(!ioctl(device, VFIO_DEVICE_BIND_IOMMUFD, &bind),
	      "VFIO_DEVICE_BIND_IOMMUFD claims the device, dev_id %u", bind.out_devid);
	check_owner("user 1");
	check_owner_task();

	check(!ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc), "IOMMU_IOAS_ALLOC id %u",
	      alloc.out_ioas_id);
	map.ioas_id = alloc.out_ioas_id;
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE;
	map.user_va = (unsigned long)dma_buffer();
	map.length = BUF_SIZE;
	map.iova = BUF_IOVA;
	check(!ioctl(iommufd, IOMMU_IOAS_MAP, &map), "IOMMU_IOAS_MAP 1 MiB");

	attach.pt_id = alloc.out_ioas_id;
	check(!ioctl(device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach),
	      "VFIO_DEVICE_ATTACH_IOMMUFD_PT, hwpt %u", attach.pt_id);
	check_owner("user 1");

	unmap.ioas_id = alloc.out_ioas_id;
	unmap.iova = BUF_IOVA;
	unmap.length = BUF_SIZE;
	check(!ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap) && unmap.length == BUF_SIZE,
	      "IOMMU_IOAS_UNMAP unmapped %llu bytes", (unsigned long long)unmap.length);
	check(!ioctl(device, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach),
	      "VFIO_DEVICE_DETACH_IOMMUFD_PT");
	close(device);
	close(iommufd);
	check_owner("none");
}

/* Another function of the group is bound to a kernel driver. */
static void claim_refused(void)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_group_status status = { .argsz = sizeof(status) };
	int container, group, iommufd, device;

	check_owner("kernel");
	group = open_container_group(&container);
	check(!ioctl(group, VFIO_GROUP_GET_STATUS, &status) &&
	      !(status.flags & VFIO_GROUP_FLAGS_VIABLE), "group is not viable");
	check(ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) && errno == EPERM,
	      "VFIO_GROUP_SET_CONTAINER is refused with EPERM");
	close(group);
	close(container);

	iommufd = open("/dev/iommu", O_RDWR);
	device = open_cdev();
	bind.iommufd = iommufd;
	check(device >= 0 && ioctl(device, VFIO_DEVICE_BIND_IOMMUFD, &bind) &&
	      errno == EPERM, "VFIO_DEVICE_BIND_IOMMUFD is refused with EPERM");
	close(device);
	close(iommufd);
	check_owner("kernel");
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s container|cdev|refused BDF\n", argv[0]);
		return 2;
	}
	bdf = argv[2];
	if (group_id() < 0) {
		fprintf(stderr, "%s is in no IOMMU group\n", bdf);
		return 1;
	}
	if (!strcmp(argv[1], "container"))
		container_way();
	else if (!strcmp(argv[1], "cdev"))
		cdev_way();
	else if (!strcmp(argv[1], "refused"))
		claim_refused();
	else
		return 2;
	printf("%s %s: %d failure(s)\n", argv[1], bdf, failures);
	return failures ? 1 : 0;
}
