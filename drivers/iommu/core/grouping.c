// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which devices share a group: the device_group() helpers for IOMMU
 * drivers.
 *
 * For PCI, devices share a group when the IOMMU cannot tell their DMA
 * apart (a conventional PCI bridge or a DMA alias quirk makes one
 * requester ID serve several devices) or when the fabric lets them reach
 * each other without going through the IOMMU (no ACS isolation on the way
 * up, or functions of one multi-function device without ACS).  Each helper
 * returns a reference to an existing group when the device must share it,
 * and a new group otherwise.
 */
#include <linux/fsl/mc.h>
#include <linux/pci.h>

#include "core.h"

/*
 * ACS must stop a device from spoofing its requester ID (SV), redirect
 * requests and completions upstream (RR, CR) and forward everything
 * upstream (UF) for the IOMMU to see all of its DMA.
 */
#define PCI_GROUP_ACS	(PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF)

static struct iommu_group *pci_group_of_peers(struct pci_dev *pdev,
					      unsigned long *seen, bool slot);

/*
 * @pdev's group if it has one, else one it shares through DMA aliases.
 * @seen holds the devfns of @pdev's bus already visited, which ends
 * alias cycles.
 */
static struct iommu_group *pci_group_via_aliases(struct pci_dev *pdev,
						 unsigned long *seen)
{
	struct iommu_group *group;

	if (test_and_set_bit(pdev->devfn, seen))
		return NULL;
	group = iommu_group_get(&pdev->dev);
	return group ?: pci_group_of_peers(pdev, seen, false);
}

static bool pci_slot_isolated(struct pci_dev *pdev)
{
	return !pdev->multifunction || pci_acs_enabled(pdev, PCI_GROUP_ACS);
}

/*
 * Search @pdev's bus for a group to share.  With @slot, among the other
 * functions of its slot that ACS does not isolate; otherwise among the
 * devices that alias it or that it aliases, and their slot peers.
 */
static struct iommu_group *pci_group_of_peers(struct pci_dev *pdev,
					      unsigned long *seen, bool slot)
{
	struct iommu_group *group = NULL;
	struct pci_dev *peer = NULL;

	if (slot && pci_slot_isolated(pdev))
		return NULL;

	for_each_pci_dev(peer) {
		if (peer == pdev || peer->bus != pdev->bus)
			continue;
		if (slot) {
			if (PCI_SLOT(peer->devfn) == PCI_SLOT(pdev->devfn) &&
			    !pci_acs_enabled(peer, PCI_GROUP_ACS))
				group = pci_group_via_aliases(peer, seen);
		} else if (pci_devs_are_dma_aliases(pdev, peer)) {
			group = pci_group_via_aliases(peer, seen) ?:
				pci_group_of_peers(peer, seen, true);
		}
		if (group) {
			pci_dev_put(peer);	/* for_each_pci_dev() held it */
			return group;
		}
	}
	return NULL;
}

struct pci_alias_walk {
	struct pci_dev *last;
	struct iommu_group *group;
};

/* Stop at the first alias already in a group; remember the last one. */
static int pci_alias_walk_step(struct pci_dev *pdev, u16 alias, void *data)
{
	struct pci_alias_walk *walk = data;

	walk->last = pdev;
	walk->group = iommu_group_get(&pdev->dev);
	return !!walk->group;
}

/**
 * pci_device_group() - Find or make the group of a PCI device
 * @dev: a PCI device being probed
 *
 * Context: Process context, iommu_probe_device_lock held.
 * Return: a reference to the group, or an ERR_PTR.
 */
struct iommu_group *pci_device_group(struct device *dev)
{
	DECLARE_BITMAP(seen, 256) = {};
	struct pci_alias_walk walk = {};
	struct iommu_group *group;
	struct pci_dev *pdev;
	struct pci_bus *bus;

	if (WARN_ON(!dev_is_pci(dev)))
		return ERR_PTR(-EINVAL);

	/*
	 * The IOMMU sees the device's DMA with the requester ID of its
	 * topmost alias, so the device belongs with that alias.
	 */
	if (pci_for_each_dma_alias(to_pci_dev(dev), pci_alias_walk_step, &walk))
		return walk.group;
	pdev = walk.last;

	/* Bridges up to the first ACS-isolated path can reach the device. */
	for (bus = pdev->bus; !pci_is_root_bus(bus); bus = bus->parent) {
		if (!bus->self)
			continue;
		if (pci_acs_path_enabled(bus->self, NULL, PCI_GROUP_ACS))
			break;
		pdev = bus->self;
		group = iommu_group_get(&pdev->dev);
		if (group)
			return group;
	}

	group = pci_group_via_aliases(pdev, seen) ?:
		pci_group_of_peers(pdev, seen, true);
	return group ?: iommu_group_alloc();
}
EXPORT_SYMBOL_GPL(pci_device_group);

/**
 * generic_device_group() - A new group for every device
 * @dev: the device being probed
 *
 * Context: Process context.
 * Return: a new group or an ERR_PTR.
 */
struct iommu_group *generic_device_group(struct device *dev)
{
	return iommu_group_alloc();
}
EXPORT_SYMBOL_GPL(generic_device_group);

/**
 * generic_single_device_group() - One group for all devices of an instance
 * @dev: the device being probed
 *
 * For IOMMUs that cannot isolate their devices from each other.  The
 * instance keeps a reference of its own, dropped on unregistration.
 *
 * Context: Process context, iommu_probe_device_lock held.
 * Return: a reference to the instance's group, or an ERR_PTR.
 */
struct iommu_group *generic_single_device_group(struct device *dev)
{
	struct iommu_device *iommu = dev->iommu->iommu_dev;
	struct iommu_group *group = iommu->singleton_group;

	lockdep_assert_held(&iommu_probe_device_lock);
	if (!group) {
		group = iommu_group_alloc();
		if (IS_ERR(group))
			return group;
		/* The instance keeps this first reference for itself. */
		iommu->singleton_group = group;
	}
	return iommu_group_ref_get(group);
}
EXPORT_SYMBOL_GPL(generic_single_device_group);

/**
 * fsl_mc_device_group() - The group of an fsl-mc device: its container's
 * @dev: an fsl-mc device being probed
 *
 * Context: Process context.
 * Return: a reference to the container's group, a new group, or an ERR_PTR.
 */
struct iommu_group *fsl_mc_device_group(struct device *dev)
{
	struct iommu_group *group = iommu_group_get(fsl_mc_cont_dev(dev));

	return group ?: iommu_group_alloc();
}
EXPORT_SYMBOL_GPL(fsl_mc_device_group);
