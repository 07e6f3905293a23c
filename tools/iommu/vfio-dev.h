/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tools/iommu programs that claim a PCI device through VFIO read
 * of it in sysfs, written once: each program is a single static binary
 * built on its own.
 */
#ifndef _TOOLS_IOMMU_VFIO_DEV_H
#define _TOOLS_IOMMU_VFIO_DEV_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "iommu-group.h"

/*
 * The VFIO cdev of PCI device @bdf (/dev/vfio/devices/vfioN) into @buf;
 * false if vfio-pci has made none.
 */
static inline int vfio_cdev_path(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dir = opendir(path);
	while (dir && (d = readdir(dir)))
		if (!strncmp(d->d_name, "vfio", 4))
			snprintf(buf, len, "/dev/vfio/devices/%s", d->d_name);
	if (dir)
		closedir(dir);
	return buf[0] != '\0';
}

/*
 * Attribute @name of @bdf's IOMMU group, one line without its newline, into
 * @buf; "?" if it cannot be read, errno telling why (no group, no such
 * attribute on the base's core, a root-only one for another user).
 */
static inline const char *group_attr(const char *bdf, const char *name,
				     char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/%s",
		 pci_iommu_group_id(bdf), name);
	f = fopen(path, "r");
	if (!f || !fgets(buf, len, f))
		snprintf(buf, len, "?");
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* The dma_owner attribute of @bdf's group: "none", "kernel 1", "user 1". */
static inline const char *group_dma_owner(const char *bdf, char *buf,
					  size_t len)
{
	return group_attr(bdf, "dma_owner", buf, len);
}

#endif /* _TOOLS_IOMMU_VFIO_DEV_H */
