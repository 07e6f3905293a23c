// SPDX-License-Identifier: GPL-2.0
/*
 * lsiommu: list IOMMU groups, like lspci for the IOMMU's view.
 *
 *   group 1: type DMA, dma_owner kernel 1
 *       0000:00:01.0 [1af4:1001] virtio-pci
 *
 * For each group in /sys/kernel/iommu_groups: its default domain type, who
 * owns its DMA ("none", "kernel N" or "user N"; "?" on kernels
 * without the dma_owner attribute), and each member device with its
 * vendor:device IDs (PCI) and the driver bound to it ("-" if none).  Then
 * the PCI devices that are in no group (no IOMMU translates for them, or
 * its firmware table leaves them out), if any:
 *
 *   no IOMMU group:
 *       0000:01:01.0 [1af4:1001] virtio-pci
 *
 * Usage: lsiommu [SYSFS_ROOT]   (default /sys, for testing on a copy)
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *sysfs = "/sys";

/* BUF = A/B; false if it does not fit. */
static int join(char *buf, size_t len, const char *a, const char *b)
{
	int n = snprintf(buf, len, "%s/%s", a, b);

	return n >= 0 && (size_t)n < len;
}

/* Read the first line of DIR/NAME into BUF; "?" if it cannot be read. */
static const char *read_attr(const char *dir, const char *name, char *buf,
			     size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	f = join(path, sizeof(path), dir, name) ? fopen(path, "r") : NULL;
	if (!f || !fgets(buf, len, f)) {
		snprintf(buf, len, "?");
	} else {
		buf[strcspn(buf, "\n")] = '\0';
		/* PCI IDs come as 0x1af4: keep the digits. */
		if (!strncmp(buf, "0x", 2))
			memmove(buf, buf + 2, strlen(buf + 2) + 1);
	}
	if (f)
		fclose(f);
	return buf;
}

static const char *driver_of(const char *dev, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *name;
	ssize_t n;

	if (!join(path, sizeof(path), dev, "driver"))
		return "-";
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return "-";
	target[n] = '\0';
	name = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	return snprintf(buf, len, "%s", name) < (int)len ? buf : "?";
}

static int by_number(const struct dirent **a, const struct dirent **b)
{
	return atoi((*a)->d_name) - atoi((*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* One device line: name, PCI IDs if it has them, driver. */
static void list_device(const char *dir, const char *name)
{
	char dev[PATH_MAX], ven[16], did[16], drv[256];

	if (!join(dev, sizeof(dev), dir, name))
		return;
	read_attr(dev, "vendor", ven, sizeof(ven));
	read_attr(dev, "device", did, sizeof(did));
	if (strcmp(ven, "?"))
		printf("    %s [%s:%s] %s\n", name, ven, did,
		       driver_of(dev, drv, sizeof(drv)));
	else
		printf("    %s %s\n", name, driver_of(dev, drv, sizeof(drv)));
}

static void list_group(const char *groups, const char *id)
{
	char gdir[PATH_MAX], ddir[PATH_MAX], type[64], owner[128];
	struct dirent **devs;
	int n, i;

	if (!join(gdir, sizeof(gdir), groups, id) ||
	    !join(ddir, sizeof(ddir), gdir, "devices"))
		return;
	printf("group %s: type %s, dma_owner %s\n", id,
	       read_attr(gdir, "type", type, sizeof(type)),
	       read_attr(gdir, "dma_owner", owner, sizeof(owner)));

	n = scandir(ddir, &devs, skip_dots, alphasort);
	for (i = 0; i < n; i++) {
		list_device(ddir, devs[i]->d_name);
		free(devs[i]);
	}
	if (n >= 0)
		free(devs);
}

/* The PCI devices without an iommu_group link. */
static void list_ungrouped(void)
{
	char pci[PATH_MAX], dev[PATH_MAX], link[PATH_MAX];
	struct dirent **devs;
	int n, i, shown = 0;

	if (!join(pci, sizeof(pci), sysfs, "bus/pci/devices"))
		return;
	n = scandir(pci, &devs, skip_dots, alphasort);
	for (i = 0; i < n; i++) {
		if (join(dev, sizeof(dev), pci, devs[i]->d_name) &&
		    join(link, sizeof(link), dev, "iommu_group") &&
		    access(link, F_OK)) {
			if (!shown++)
				printf("no IOMMU group:\n");
			list_device(pci, devs[i]->d_name);
		}
		free(devs[i]);
	}
	if (n >= 0)
		free(devs);
}

int main(int argc, char **argv)
{
	char groups[PATH_MAX];
	struct dirent **ids;
	int n, i;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: %s [SYSFS_ROOT]\n", argv[0]);
		return 2;
	}
	if (argc == 2)
		sysfs = argv[1];
	if (!join(groups, sizeof(groups), sysfs, "kernel/iommu_groups"))
		return 1;
	n = scandir(groups, &ids, skip_dots, by_number);
	if (n < 0) {
		fprintf(stderr, "lsiommu: %s: %s\n", groups, strerror(errno));
		return 1;
	}
	if (!n)
		printf("no IOMMU groups\n");
	for (i = 0; i < n; i++) {
		list_group(groups, ids[i]->d_name);
		free(ids[i]);
	}
	free(ids);
	list_ungrouped();
	return 0;
}
