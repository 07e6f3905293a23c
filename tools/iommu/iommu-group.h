/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tools/iommu programs read of a device's IOMMU group in sysfs,
 * written once: each program is a single static binary built on its own.
 */
#ifndef _TOOLS_IOMMU_GROUP_H
#define _TOOLS_IOMMU_GROUP_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The IOMMU group number of PCI device @bdf, or -1 if it has none. */
static inline int pci_iommu_group_id(const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	return atoi(strrchr(target, '/') + 1);
}

#endif /* _TOOLS_IOMMU_GROUP_H */
