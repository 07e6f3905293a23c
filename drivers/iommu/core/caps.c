// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a device's IOMMU can do: capabilities and per-device features.
 *
 * These ask the driver of a probed device; a device without an IOMMU has
 * no capability and no feature, which is an answer, not an error.
 */
#include "core.h"

static const struct iommu_ops *dev_ops_or_null(struct device *dev)
{
	return dev_has_iommu(dev) ? dev_iommu_ops(dev) : NULL;
}

/**
 * device_iommu_capable() - Ask a device's IOMMU about a capability
 * @dev: the device
 * @cap: the capability
 *
 * Context: Process context.
 * Return: true if @dev is behind an IOMMU that has @cap.
 */
bool device_iommu_capable(struct device *dev, enum iommu_cap cap)
{
	const struct iommu_ops *ops = dev_ops_or_null(dev);

	return ops && ops->capable && ops->capable(dev, cap);
}
EXPORT_SYMBOL_GPL(device_iommu_capable);

/**
 * iommu_dev_enable_feature() - Enable an IOMMU feature for a device
 * @dev: the device
 * @feat: the feature
 *
 * Context: Process context.
 * Return: 0, the driver's errno, or -ENODEV if nothing can enable it.
 */
int iommu_dev_enable_feature(struct device *dev, enum iommu_dev_features feat)
{
	const struct iommu_ops *ops = dev_ops_or_null(dev);

	if (!ops || !ops->dev_enable_feat)
		return -ENODEV;
	return ops->dev_enable_feat(dev, feat);
}
EXPORT_SYMBOL_GPL(iommu_dev_enable_feature);

/**
 * iommu_dev_disable_feature() - Disable an IOMMU feature for a device
 * @dev: the device, whose driver already stopped using the feature
 * @feat: the feature
 *
 * Context: Process context.
 * Return: 0, the driver's errno, or -EBUSY if nothing can disable it.
 */
int iommu_dev_disable_feature(struct device *dev, enum iommu_dev_features feat)
{
	const struct iommu_ops *ops = dev_ops_or_null(dev);

	if (!ops || !ops->dev_disable_feat)
		return -EBUSY;
	return ops->dev_disable_feat(dev, feat);
}
EXPORT_SYMBOL_GPL(iommu_dev_disable_feature);
