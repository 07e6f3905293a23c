// SPDX-License-Identifier: GPL-2.0
/*
 * The edu device's user-space driver through VFIO: see edu.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "edu.h"
#include "vfio-dev.h"

int failures;
const char *sabotage = "";

void check(int ok, const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	printf("%s: ", ok ? "ok" : "FAILED");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok && err)
		printf(" (errno %d: %s)", err, strerror(err));
	printf("\n");
	failures += !ok;
	errno = 0;
}

/* A step the case cannot go on without. */
void must(int ok, const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	if (ok)
		return;
	printf("FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (errno %d: %s)\n", err, strerror(err));
	exit(1);
}

void skip(const char *why)
{
	printf("SKIP: %s\n", why);
	exit(77);
}

/* Fill @len bytes at @p with a pattern that @tag makes unique. */
void fill(void *p, size_t len, uint32_t tag)
{
	uint32_t *w = p;
	size_t i;

	for (i = 0; i < len / 4; i++)
		w[i] = tag * 0x9e3779b1u ^ (uint32_t)i * 0x85ebca6bu;
}

void *pages(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* --- the device: registers, bus mastering, transfers --- */

uint32_t reg_read(struct edu *e, uint64_t reg)
{
	uint32_t v = 0;

	must(pread(e->device, &v, 4, e->bar0 + reg) == 4, "read edu register %#lx",
	     (unsigned long)reg);
	return v;
}

void reg_write(struct edu *e, uint64_t reg, uint32_t v)
{
	must(pwrite(e->device, &v, 4, e->bar0 + reg) == 4,
	     "write edu register %#lx", (unsigned long)reg);
}

static uint64_t region_offset(struct edu *e, uint32_t index)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };

	must(!ioctl(e->device, VFIO_DEVICE_GET_REGION_INFO, &info),
	     "VFIO_DEVICE_GET_REGION_INFO %u", index);
	return info.offset;
}

static void device_setup(struct edu *e)
{
	uint16_t cmd;

	e->bar0 = region_offset(e, VFIO_PCI_BAR0_REGION_INDEX);
	e->config = region_offset(e, VFIO_PCI_CONFIG_REGION_INDEX);
	must(reg_read(e, EDU_IDENT) == EDU_IDENT_VALUE, "%s is an edu device (%#x)",
	     e->bdf, reg_read(e, EDU_IDENT));
	must(pread(e->device, &cmd, 2, e->config + PCI_COMMAND) == 2,
	     "read PCI_COMMAND");
	cmd |= PCI_COMMAND_MASTER;
	must(pwrite(e->device, &cmd, 2, e->config + PCI_COMMAND) == 2,
	     "enable bus mastering");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * One transfer of @len bytes between IOVA @iova and the device's buffer at
 * offset @off, towards RAM if @to_ram.  The device masks the IOVA to its
 * 28 bits, so none of ours is above.
 */
static void edu_dma(struct edu *e, int to_ram, uint64_t iova, uint64_t off,
		    uint32_t len)
{
	double start = now();

	must(!(iova & ~EDU_DMA_MASK) && off + len <= PAGE, "transfer in range");
	reg_write(e, to_ram ? EDU_DMA_SRC : EDU_DMA_DST, EDU_BUF + off);
	reg_write(e, to_ram ? EDU_DMA_DST : EDU_DMA_SRC, iova);
	reg_write(e, EDU_DMA_CNT, len);
	reg_write(e, EDU_DMA_CMD, EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0));
	while (reg_read(e, EDU_DMA_CMD) & EDU_CMD_RUN) {
		must(now() - start < DMA_DONE_SECONDS,
		     "edu finished a transfer within %d s", DMA_DONE_SECONDS);
		usleep(2000);
	}
}

void to_device(struct edu *e, uint64_t iova, uint64_t off, uint32_t len)
{
	edu_dma(e, 0, iova, off, len);
}

void to_ram(struct edu *e, uint64_t off, uint64_t iova, uint32_t len)
{
	edu_dma(e, 1, iova, off, len);
}

/* --- the IOMMU side: claim, map, unmap, attach --- */

static void container_claim(struct edu *e)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];

	e->container = open("/dev/vfio/vfio", O_RDWR);
	must(e->container >= 0, "open /dev/vfio/vfio");
	snprintf(path, sizeof(path), "/dev/vfio/%d", pci_iommu_group_id(e->bdf));
	e->group = open(path, O_RDWR);
	must(e->group >= 0, "open %s", path);
	must(!ioctl(e->group, VFIO_GROUP_GET_STATUS, &status) &&
	     (status.flags & VFIO_GROUP_FLAGS_VIABLE), "group is viable");
	must(!ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &e->container),
	     "VFIO_GROUP_SET_CONTAINER");
	must(!ioctl(e->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU),
	     "VFIO_SET_IOMMU type1v2");
	e->device = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, e->bdf);
	must(e->device >= 0, "VFIO_GROUP_GET_DEVICE_FD");
}

/* The type1 IOMMU's allowed IOVA ranges, from its info capability chain. */
static void container_ranges(struct edu *e)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *cap;
	struct vfio_iommu_type1_info_cap_iova_range *r;
	size_t size = 4096;
	uint32_t i, j;

	info = calloc(1, size);
	must(!!info, "calloc");
	info->argsz = size;
	must(!ioctl(e->container, VFIO_IOMMU_GET_INFO, info) && info->argsz <= size,
	     "VFIO_IOMMU_GET_INFO");
	for (i = info->cap_offset; (info->flags & VFIO_IOMMU_INFO_CAPS) && i;
	     i = cap->next) {
		cap = (void *)((char *)info + i);
		if (cap->id != VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
			continue;
		r = (void *)cap;
		for (j = 0; j < r->nr_iovas && e->nr_ranges < MAX_RANGES; j++)
			e->ranges[e->nr_ranges++] = (struct iova_range) {
				r->iova_ranges[j].start, r->iova_ranges[j].end };
		break;
	}
	free(info);
}

uint32_t ioas_alloc(struct edu *e)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	must(!ioctl(e->iommufd, IOMMU_IOAS_ALLOC, &alloc), "IOMMU_IOAS_ALLOC");
	return alloc.out_ioas_id;
}

int cdev_attach(struct edu *e, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach), .pt_id = pt_id,
	};

	return ioctl(e->device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
}

int cdev_detach(struct edu *e)
{
	struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(detach) };

	return ioctl(e->device, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
}

static void cdev_claim(struct edu *e)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	char node[PATH_MAX];

	e->iommufd = open("/dev/iommu", O_RDWR);
	must(e->iommufd >= 0, "open /dev/iommu");
	must(vfio_cdev_path(e->bdf, node, sizeof(node)), "%s has a VFIO cdev", e->bdf);
	e->device = open(node, O_RDWR);
	must(e->device >= 0, "open %s", node);
	bind.iommufd = e->iommufd;
	must(!ioctl(e->device, VFIO_DEVICE_BIND_IOMMUFD, &bind),
	     "VFIO_DEVICE_BIND_IOMMUFD");
	e->dev_id = bind.out_devid;
	e->ioas = ioas_alloc(e);
	must(!cdev_attach(e, e->ioas), "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
}

/* The IOAS's allowed ranges: known once a device is attached. */
static void cdev_ranges(struct edu *e)
{
	struct iommu_iova_range r[MAX_RANGES];
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = e->ioas, .num_iovas = MAX_RANGES,
		.allowed_iovas = (uintptr_t)r,
	};
	uint32_t i;

	must(!ioctl(e->iommufd, IOMMU_IOAS_IOVA_RANGES, &q), "IOMMU_IOAS_IOVA_RANGES");
	for (i = 0; i < q.num_iovas && i < MAX_RANGES; i++)
		e->ranges[e->nr_ranges++] = (struct iova_range) { r[i].start, r[i].last };
}

void edu_open(struct edu *e, enum way how, const char *bdf)
{
	int i;

	memset(e, 0, sizeof(*e));
	e->bdf = bdf;
	e->way = how;
	if (how == CONTAINER) {
		container_claim(e);
		container_ranges(e);
	} else {
		cdev_claim(e);
		cdev_ranges(e);
	}
	device_setup(e);
	printf("claimed %s the %s way; IOVAs allowed:", bdf,
	       how == CONTAINER ? "container" : "cdev");
	for (i = 0; i < e->nr_ranges; i++)
		printf(" %#lx-%#lx", (unsigned long)e->ranges[i].start,
		       (unsigned long)e->ranges[i].last);
	printf("\n");
}

void edu_close(struct edu *e)
{
	close(e->device);
	if (e->way == CONTAINER) {
		close(e->group);
		close(e->container);
	} else {
		close(e->iommufd);
	}
}

int iova_allowed(struct edu *e, uint64_t iova, uint64_t len)
{
	int i;

	for (i = 0; i < e->nr_ranges; i++)
		if (iova >= e->ranges[i].start && iova + len - 1 <= e->ranges[i].last)
			return 1;
	return 0;
}

/* Map @len bytes at @va to @iova in @ioas (cdev) or the container. */
int map_in(struct edu *e, uint32_t ioas, uint64_t iova, void *va,
	   uint64_t len, int writable)
{
	struct vfio_iommu_type1_dma_map vmap = {
		.argsz = sizeof(vmap), .vaddr = (uintptr_t)va, .iova = iova,
		.size = len, .flags = VFIO_DMA_MAP_FLAG_READ |
				      (writable ? VFIO_DMA_MAP_FLAG_WRITE : 0),
	};
	struct iommu_ioas_map imap = {
		.size = sizeof(imap), .ioas_id = ioas,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 (writable ? IOMMU_IOAS_MAP_WRITEABLE : 0),
		.user_va = (uintptr_t)va, .length = len, .iova = iova,
	};

	if (e->way == CONTAINER)
		return ioctl(e->container, VFIO_IOMMU_MAP_DMA, &vmap);
	return ioctl(e->iommufd, IOMMU_IOAS_MAP, &imap);
}

void map(struct edu *e, uint64_t iova, void *va, uint64_t len, int writable)
{
	must(iova_allowed(e, iova, len), "IOVA %#lx+%#lx is allowed",
	     (unsigned long)iova, (unsigned long)len);
	must(!map_in(e, e->ioas, iova, va, len, writable), "%#lx bytes mapped at %#lx%s",
	     (unsigned long)len, (unsigned long)iova, writable ? "" : " read-only");
}

/* Unmap @len bytes at @iova; returns how many bytes went. */
uint64_t unmap_in(struct edu *e, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_unmap vunmap = {
		.argsz = sizeof(vunmap), .iova = iova, .size = len,
	};
	struct iommu_ioas_unmap iunmap = {
		.size = sizeof(iunmap), .ioas_id = ioas, .iova = iova, .length = len,
	};

	if (!strcmp(sabotage, "skip-unmap"))
		return len;
	if (e->way == CONTAINER)
		return ioctl(e->container, VFIO_IOMMU_UNMAP_DMA, &vunmap) ? 0 : vunmap.size;
	return ioctl(e->iommufd, IOMMU_IOAS_UNMAP, &iunmap) ? 0 : iunmap.length;
}

void unmap(struct edu *e, uint64_t iova, uint64_t len)
{
	must(unmap_in(e, e->ioas, iova, len) == len, "%#lx bytes unmapped at %#lx",
	     (unsigned long)len, (unsigned long)iova);
}

/* @buf holds @len bytes that a fill() with @tag made. */
int holds(const void *buf, size_t len, uint32_t tag)
{
	void *want = malloc(len);
	int same;

	must(!!want, "malloc");
	fill(want, len, tag);
	same = !memcmp(buf, want, len);
	free(want);
	return same;
}
