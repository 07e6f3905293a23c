// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd vDEVICE objects: a bound device's virtual ID on a vIOMMU of its
 * own physical IOMMU.
 *
 * A vDEVICE is in its vIOMMU's xarray at its virt_id (unique per vIOMMU)
 * and on its device's vdev_list (at most one per vIOMMU), and holds users
 * references on both.  Unbinding the device destroys its vDEVICEs first:
 * iommufd_device_destroy_vdevices() closes the list to new vDEVICEs and
 * removes each one as IOMMU_DESTROY would, waiting for those another thread
 * is already destroying.
 *
 * The lock order is written at iommufd_device::vdev_lock.
 */
#include <linux/wait_bit.h>

#include "iommufd_private.h"

int iommufd_vdevice_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_vdevice_alloc *cmd = ucmd->cmd;
	struct iommufd_vdevice *vdev, *cur;
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	u64 virt_id = cmd->virt_id;
	int rc;

	/* The virt_id indexes an xarray */
	if (virt_id > ULONG_MAX)
		return -EINVAL;

	viommu = iommufd_get_viommu(ucmd, cmd->viommu_id);
	if (IS_ERR(viommu))
		return PTR_ERR(viommu);

	idev = iommufd_get_device(ucmd, cmd->dev_id);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto out_put_viommu;
	}

	/* Only a device behind the vIOMMU's physical IOMMU */
	if (viommu->iommu_dev != __iommu_get_iommu_dev(idev->dev)) {
		rc = -EINVAL;
		goto out_put_idev;
	}

	vdev = iommufd_object_alloc(ucmd->ictx, vdev, IOMMUFD_OBJ_VDEVICE);
	if (IS_ERR(vdev)) {
		rc = PTR_ERR(vdev);
		goto out_put_idev;
	}
	vdev->ictx = ucmd->ictx;
	vdev->viommu = viommu;
	vdev->idev = idev;
	vdev->virt_id = virt_id;

	/*
	 * Link and finalize under vdev_lock: a vDEVICE on the list is then
	 * always one iommufd_device_destroy_vdevices() can find and remove.
	 */
	mutex_lock(&idev->vdev_lock);
	if (idev->vdev_closed) {
		rc = -ENOENT;
		goto out_unlock_abort;
	}
	list_for_each_entry(cur, &idev->vdev_list, idev_item) {
		if (cur->viommu == viommu) {
			rc = -EEXIST;
			goto out_unlock_abort;
		}
	}
	cur = xa_cmpxchg(&viommu->vdevs, virt_id, NULL, vdev, GFP_KERNEL);
	if (cur) {
		rc = xa_is_err(cur) ? xa_err(cur) : -EEXIST;
		goto out_unlock_abort;
	}

	cmd->out_vdevice_id = vdev->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		xa_cmpxchg(&viommu->vdevs, virt_id, vdev, NULL, GFP_KERNEL);
		goto out_unlock_abort;
	}

	list_add_tail(&vdev->idev_item, &idev->vdev_list);
	refcount_inc(&viommu->obj.users);
	refcount_inc(&idev->obj.users);
	iommufd_object_finalize(ucmd->ictx, &vdev->obj);
	mutex_unlock(&idev->vdev_lock);
	goto out_put_idev;

out_unlock_abort:
	mutex_unlock(&idev->vdev_lock);
	iommufd_object_abort(ucmd->ictx, &vdev->obj);
out_put_idev:
	iommufd_put_object(ucmd->ictx, &idev->obj);
out_put_viommu:
	iommufd_put_object(ucmd->ictx, &viommu->obj);
	return rc;
}

void iommufd_vdevice_destroy(struct iommufd_object *obj)
{
	struct iommufd_vdevice *vdev =
		container_of(obj, struct iommufd_vdevice, obj);
	struct iommufd_viommu *viommu = vdev->viommu;
	struct iommufd_device *idev = vdev->idev;

	/* Lookups stop finding it before idev can go */
	xa_cmpxchg(&viommu->vdevs, vdev->virt_id, vdev, NULL, GFP_KERNEL);

	mutex_lock(&idev->vdev_lock);
	list_del(&vdev->idev_item);
	mutex_unlock(&idev->vdev_lock);
	wake_up_var(&idev->vdev_list);

	refcount_dec(&viommu->obj.users);
	refcount_dec(&idev->obj.users);
}

static bool iommufd_device_vdevs_empty(struct iommufd_device *idev)
{
	bool empty;

	mutex_lock(&idev->vdev_lock);
	empty = list_empty(&idev->vdev_list);
	mutex_unlock(&idev->vdev_lock);
	return empty;
}

/*
 * Destroy every vDEVICE of @idev, before its unbind.  No new vDEVICE can be
 * made for it afterwards.
 */
void iommufd_device_destroy_vdevices(struct iommufd_device *idev)
{
	struct iommufd_ctx *ictx = idev->ictx;
	struct iommufd_vdevice *vdev;
	struct iommufd_object *obj;

	mutex_lock(&idev->vdev_lock);
	idev->vdev_closed = true;
	for (;;) {
		obj = NULL;
		list_for_each_entry(vdev, &idev->vdev_list, idev_item) {
			/* One being destroyed elsewhere is waited for below */
			if (iommufd_object_tryget(ictx, &vdev->obj)) {
				obj = &vdev->obj;
				break;
			}
		}
		if (!obj)
			break;
		mutex_unlock(&idev->vdev_lock);
		/* Nothing else holds a vDEVICE past shortterm users */
		if (WARN_ON(iommufd_object_remove(ictx, obj, obj->id,
						  REMOVE_WAIT_SHORTTERM)))
			return;
		mutex_lock(&idev->vdev_lock);
	}
	mutex_unlock(&idev->vdev_lock);

	wait_var_event(&idev->vdev_list, iommufd_device_vdevs_empty(idev));
}
