// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd vIOMMU objects: a slice of one physical IOMMU instance given to a
 * VM, nesting on a paging HWPT.  Its vDEVICEs (vdevice.c) give the devices
 * behind it their virtual IDs.
 *
 * A vIOMMU holds a users reference on its nesting parent HWPT, a reference
 * on the driver module and on the IOMMU instance's sysfs device.  Each of
 * its vDEVICEs holds a users reference on it, so IOMMU_DESTROY of a vIOMMU
 * with vDEVICEs fails with EBUSY and closing the iommufd destroys the
 * vDEVICEs first.
 */
#include <linux/device.h>
#include <linux/module.h>

#include "iommufd_private.h"

int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_viommu_alloc *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	const struct iommu_ops *ops;
	void *priv = NULL;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	idev = iommufd_get_device(ucmd, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);

	hwpt_paging = iommufd_get_hwpt_paging(ucmd, cmd->hwpt_id);
	if (IS_ERR(hwpt_paging)) {
		rc = PTR_ERR(hwpt_paging);
		goto out_put_idev;
	}

	ops = dev_iommu_ops(idev->dev);
	if (!hwpt_paging->nest_parent ||
	    hwpt_paging->common.domain->owner != ops) {
		rc = -EINVAL;
		goto out_put_hwpt;
	}
	/* The default type needs nothing of the driver */
	if (cmd->type != IOMMU_VIOMMU_TYPE_DEFAULT &&
	    (!ops->viommu_alloc || !ops->viommu_free)) {
		rc = -EOPNOTSUPP;
		goto out_put_hwpt;
	}

	if (!try_module_get(ops->owner)) {
		rc = -ENODEV;
		goto out_put_hwpt;
	}
	if (cmd->type != IOMMU_VIOMMU_TYPE_DEFAULT) {
		rc = ops->viommu_alloc(idev->dev, hwpt_paging->common.domain,
				       cmd->type, &priv);
		if (rc)
			goto out_put_module;
	}

	viommu = iommufd_object_alloc(ucmd->ictx, viommu, IOMMUFD_OBJ_VIOMMU);
	if (IS_ERR(viommu)) {
		rc = PTR_ERR(viommu);
		goto out_free_priv;
	}
	/* From here on iommufd_viommu_destroy() undoes everything */
	viommu->ictx = ucmd->ictx;
	viommu->type = cmd->type;
	viommu->ops = ops;
	viommu->priv = priv;
	viommu->iommu_dev = __iommu_get_iommu_dev(idev->dev);
	if (viommu->iommu_dev->dev)
		get_device(viommu->iommu_dev->dev);
	viommu->hwpt = hwpt_paging;
	refcount_inc(&hwpt_paging->common.obj.users);
	xa_init(&viommu->vdevs);

	cmd->out_viommu_id = viommu->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx, &viommu->obj);
		goto out_put_hwpt;
	}
	iommufd_object_finalize(ucmd->ictx, &viommu->obj);
	goto out_put_hwpt;

out_free_priv:
	if (cmd->type != IOMMU_VIOMMU_TYPE_DEFAULT)
		ops->viommu_free(priv);
out_put_module:
	module_put(ops->owner);
out_put_hwpt:
	iommufd_put_object(ucmd->ictx, &hwpt_paging->common.obj);
out_put_idev:
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}

void iommufd_viommu_destroy(struct iommufd_object *obj)
{
	struct iommufd_viommu *viommu =
		container_of(obj, struct iommufd_viommu, obj);

	/* Every vDEVICE holds a users reference on the vIOMMU */
	WARN_ON(!xa_empty(&viommu->vdevs));
	xa_destroy(&viommu->vdevs);
	if (viommu->type != IOMMU_VIOMMU_TYPE_DEFAULT)
		viommu->ops->viommu_free(viommu->priv);
	refcount_dec(&viommu->hwpt->common.obj.users);
	if (viommu->iommu_dev->dev)
		put_device(viommu->iommu_dev->dev);
	module_put(viommu->ops->owner);
}

/**
 * iommufd_viommu_find_dev - The device a vIOMMU gave a virtual ID
 * @viommu: the vIOMMU
 * @virt_id: the virtual device ID (e.g. a vSID or vRID)
 *
 * Safe against a concurrent destroy of the vDEVICE, the vIOMMU's other
 * vDEVICEs or an unbind: the vDEVICE leaves @viommu's xarray, under its
 * lock, before it drops its reference on the bound device.
 *
 * Context: Process or softirq context; takes the xarray's spinlock, does
 * not sleep.  Not from a hard interrupt handler: the writers take that
 * lock with interrupts enabled.
 * Return: the device with a reference the caller drops with put_device(),
 * or NULL if no vDEVICE of @viommu has @virt_id.
 */
struct device *iommufd_viommu_find_dev(struct iommufd_viommu *viommu,
				       u64 virt_id)
{
	struct iommufd_vdevice *vdev;
	struct device *dev = NULL;

	if (virt_id > ULONG_MAX)
		return NULL;
	xa_lock(&viommu->vdevs);
	vdev = xa_load(&viommu->vdevs, virt_id);
	if (vdev)
		dev = get_device(vdev->idev->dev);
	xa_unlock(&viommu->vdevs);
	return dev;
}
EXPORT_SYMBOL_NS_GPL(iommufd_viommu_find_dev, IOMMUFD);
