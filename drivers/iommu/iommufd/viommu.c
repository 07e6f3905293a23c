// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd vIOMMU objects: a slice of one physical IOMMU instance given to a
 * VM, nesting on a paging HWPT.  Its vDEVICEs (vdevice.c) give the devices
 * behind it their virtual IDs, the guest's own tables come in as nested
 * HWPTs allocated on it, and the guest's invalidations go through it.
 *
 * Only the IOMMU driver can back a vIOMMU: its viommu_alloc op allocates
 * the driver's structure with the object embedded (iommufd_viommu_alloc()),
 * then the core fills the common part.  A vIOMMU holds a users reference on
 * its nesting parent HWPT, a reference on the driver module and on the
 * IOMMU instance's sysfs device.  Each of its vDEVICEs and nested HWPTs
 * holds a users reference on it, so IOMMU_DESTROY of a vIOMMU still in use
 * fails with EBUSY, and closing the iommufd destroys those first.
 */
#include <linux/device.h>
#include <linux/module.h>

#include "iommufd_private.h"

/**
 * __iommufd_viommu_alloc - Allocate a vIOMMU object for an IOMMU driver
 * @ictx: the iommufd context the viommu_alloc op was given
 * @size: the size of the driver's structure, the object first in it
 * @ops: the driver's vIOMMU ops
 *
 * Use iommufd_viommu_alloc(), which checks the structure's layout.  The
 * object is reserved, not yet visible to the user; the core publishes it
 * or destroys it once the viommu_alloc op returns.
 *
 * Context: Process context, may sleep.
 * Return: the zeroed structure, or ERR_PTR(-ENOMEM) or another errno.
 */
struct iommufd_viommu *
__iommufd_viommu_alloc(struct iommufd_ctx *ictx, size_t size,
		       const struct iommufd_viommu_ops *ops)
{
	struct iommufd_viommu *viommu;
	struct iommufd_object *obj;

	if (WARN_ON(size < sizeof(*viommu)))
		return ERR_PTR(-EINVAL);
	obj = _iommufd_object_alloc(ictx, size, IOMMUFD_OBJ_VIOMMU);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	viommu = container_of(obj, struct iommufd_viommu, obj);
	viommu->ops = ops;
	return viommu;
}
EXPORT_SYMBOL_NS_GPL(__iommufd_viommu_alloc, IOMMUFD);

/* Fill what the core owns of a vIOMMU the driver just allocated */
static void iommufd_viommu_init(struct iommufd_viommu *viommu,
				struct iommufd_ucmd *ucmd,
				struct iommufd_device *idev,
				struct iommufd_hwpt_paging *hwpt_paging)
{
	struct iommu_viommu_alloc *cmd = ucmd->cmd;

	viommu->ictx = ucmd->ictx;
	viommu->type = cmd->type;
	viommu->iommu_dev = __iommu_get_iommu_dev(idev->dev);
	if (viommu->iommu_dev->dev)
		get_device(viommu->iommu_dev->dev);
	viommu->hwpt = hwpt_paging;
	refcount_inc(&hwpt_paging->common.obj.users);
	xa_init(&viommu->vdevs);
}

int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_viommu_alloc *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	const struct iommu_ops *ops;
	int rc;

	/* No driver backs the reserved default type */
	if (cmd->flags || cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
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
	if (!ops->viommu_alloc) {
		rc = -EOPNOTSUPP;
		goto out_put_hwpt;
	}
	if (!try_module_get(ops->owner)) {
		rc = -ENODEV;
		goto out_put_hwpt;
	}

	viommu = ops->viommu_alloc(idev->dev, hwpt_paging->common.domain,
				   ucmd->ictx, cmd->type);
	if (IS_ERR(viommu)) {
		rc = PTR_ERR(viommu);
		goto out_put_module;
	}
	/* From here on iommufd_viommu_destroy() undoes everything */
	iommufd_viommu_init(viommu, ucmd, idev, hwpt_paging);

	cmd->out_viommu_id = viommu->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx, &viommu->obj);
		goto out_put_hwpt;
	}
	iommufd_object_finalize(ucmd->ictx, &viommu->obj);
	goto out_put_hwpt;

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
	struct module *owner = viommu->iommu_dev->ops->owner;

	/* Every vDEVICE and nested HWPT holds a users reference on it */
	WARN_ON(!xa_empty(&viommu->vdevs));
	if (viommu->ops && viommu->ops->destroy)
		viommu->ops->destroy(viommu);
	xa_destroy(&viommu->vdevs);
	refcount_dec(&viommu->hwpt->common.obj.users);
	if (viommu->iommu_dev->dev)
		put_device(viommu->iommu_dev->dev);
	module_put(owner);
}

/**
 * iommufd_viommu_alloc_hwpt_nested() - A nested HWPT on a vIOMMU
 * @viommu: the vIOMMU, whose nesting parent becomes the HWPT's parent
 * @idev: the device the user named, which must be behind the vIOMMU
 * @flags: IOMMU_HWPT_ALLOC flags from the user
 * @user_data: the guest's table description, in a format of the vIOMMU's
 *
 * The HWPT holds a users reference on @viommu, not on the parent: the
 * vIOMMU holds that.  The caller publishes or aborts it.
 *
 * Context: Process context, may sleep.
 * Return: the HWPT, or ERR_PTR(-EOPNOTSUPP) for flags or data the vIOMMU
 * does not take, -EINVAL for a device behind another IOMMU, or what the
 * driver refused the data with.
 */
struct iommufd_hwpt_nested *
iommufd_viommu_alloc_hwpt_nested(struct iommufd_viommu *viommu,
				 struct iommufd_device *idev, u32 flags,
				 const struct iommu_user_data *user_data)
{
	struct iommufd_hwpt_nested *hwpt_nested;
	struct iommufd_hw_pagetable *hwpt;
	int rc;

	if ((flags & ~IOMMU_HWPT_FAULT_ID_VALID) || !user_data->len ||
	    !viommu->ops || !viommu->ops->alloc_domain_nested)
		return ERR_PTR(-EOPNOTSUPP);
	if (__iommu_get_iommu_dev(idev->dev) != viommu->iommu_dev)
		return ERR_PTR(-EINVAL);

	hwpt_nested = __iommufd_object_alloc(viommu->ictx, hwpt_nested,
					     IOMMUFD_OBJ_HWPT_NESTED,
					     common.obj);
	if (IS_ERR(hwpt_nested))
		return ERR_CAST(hwpt_nested);
	hwpt = &hwpt_nested->common;
	hwpt_nested->viommu = viommu;
	refcount_inc(&viommu->obj.users);
	hwpt_nested->parent = viommu->hwpt;

	flags &= ~IOMMU_HWPT_FAULT_ID_VALID;
	hwpt->domain = viommu->ops->alloc_domain_nested(viommu, flags,
							user_data);
	if (IS_ERR(hwpt->domain)) {
		rc = PTR_ERR(hwpt->domain);
		hwpt->domain = NULL;
		goto out_abort;
	}
	hwpt->domain->owner = viommu->iommu_dev->ops;
	if (WARN_ON_ONCE(hwpt->domain->type != IOMMU_DOMAIN_NESTED)) {
		rc = -EINVAL;
		goto out_abort;
	}
	return hwpt_nested;

out_abort:
	iommufd_object_abort_and_destroy(viommu->ictx, &hwpt->obj);
	return ERR_PTR(rc);
}

/* IOMMU_HWPT_INVALIDATE on a vIOMMU */
int iommufd_viommu_cache_invalidate(struct iommufd_viommu *viommu,
				    struct iommu_user_data_array *array)
{
	if (!viommu->ops || !viommu->ops->cache_invalidate) {
		array->entry_num = 0;
		return -EOPNOTSUPP;
	}
	return viommu->ops->cache_invalidate(viommu, array);
}

/**
 * iommufd_viommu_find_dev - The device a vIOMMU gave a virtual ID
 * @viommu: the vIOMMU
 * @virt_id: the virtual device ID (e.g. a vSID or vRID)
 *
 * For an IOMMU driver translating a guest's command.  The caller holds
 * @viommu->vdevs' xa_lock: a vDEVICE leaves that xarray, under the lock,
 * before it drops its hold on the device's binding, so the device stays
 * bound, probed and behind @viommu's IOMMU until the caller unlocks.
 *
 * Context: Any context; the caller holds xa_lock(&@viommu->vdevs).
 * Return: the device, or NULL if no vDEVICE of @viommu has @virt_id.
 */
struct device *iommufd_viommu_find_dev(struct iommufd_viommu *viommu,
				       u64 virt_id)
{
	struct iommufd_vdevice *vdev;

	lockdep_assert_held(&viommu->vdevs.xa_lock);
	if (virt_id > ULONG_MAX)
		return NULL;
	vdev = xa_load(&viommu->vdevs, virt_id);
	return vdev ? vdev->idev->dev : NULL;
}
EXPORT_SYMBOL_NS_GPL(iommufd_viommu_find_dev, IOMMUFD);
