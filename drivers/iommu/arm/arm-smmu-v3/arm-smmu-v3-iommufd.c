// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd for the SMMUv3: what a VMM needs to give its guest a virtual SMMU
 * whose stage-1 tables this SMMU walks on top of the VMM's stage 2.
 *
 * - IOMMU_GET_HW_INFO reports the raw ID registers; the VMM masks them.
 * - A nesting parent is a stage-2 domain (arm_smmu_domain_alloc_user()).
 * - A vIOMMU (struct arm_vsmmu) sits on one nesting parent and owns its
 *   VMID: one vIOMMU per parent, so no two guests' ASIDs ever share a VMID.
 * - A nested domain is a guest STE, validated here; attaching it installs
 *   an STE that combines the guest's stage 1 (its CD table is an IPA that
 *   stage 2 translates) with the parent's stage 2, under the vIOMMU's VMID.
 * - The guest's invalidation commands are forwarded with the VMID set to
 *   the vIOMMU's and each virtual StreamID replaced by the physical one of
 *   the vDEVICE that has it.
 *
 * The parent's own invalidations (unmaps on stage 2) flush the whole VMID,
 * stage 1 included: see arm_smmu_tlb_inv_range_domain().
 */
#include <linux/module.h>
#include <uapi/linux/iommufd.h>

#include "arm-smmu-v3.h"

MODULE_IMPORT_NS(IOMMUFD);

/* Guest invalidation commands issued per queue batch */
#define ARM_VSMMU_INV_BATCH	32

void *arm_smmu_hw_info(struct device *dev, u32 *length, u32 *type)
{
	struct arm_smmu_master *master = dev_iommu_priv_get(dev);
	void __iomem *base = master->smmu->base;
	struct iommu_hw_info_arm_smmuv3 *info;
	unsigned int i;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < ARRAY_SIZE(info->idr); i++)
		info->idr[i] = readl_relaxed(base + ARM_SMMU_IDR0 + i * 4);
	info->iidr = readl_relaxed(base + ARM_SMMU_IIDR);
	info->aidr = readl_relaxed(base + ARM_SMMU_AIDR);

	*length = sizeof(*info);
	*type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	return info;
}

/* The STE a nested domain gives a device of @master */
static void arm_smmu_make_nested_ste(struct arm_smmu_ste *target,
				     struct arm_smmu_master *master,
				     struct arm_smmu_nested_domain *nested,
				     bool ats_enabled)
{
	struct arm_smmu_domain *s2_parent = nested->vsmmu->s2_parent;
	unsigned int cfg = FIELD_GET(STRTAB_STE_0_CFG,
				     le64_to_cpu(nested->ste[0]));

	if (!(nested->ste[0] & cpu_to_le64(STRTAB_STE_0_V)))
		cfg = STRTAB_STE_0_CFG_ABORT;

	switch (cfg) {
	case STRTAB_STE_0_CFG_S1_TRANS:
		arm_smmu_make_s2_domain_ste(target, master, s2_parent,
					    ats_enabled);
		target->data[0] = (nested->ste[0] &
				   ~cpu_to_le64(STRTAB_STE_0_CFG)) |
				  cpu_to_le64(STRTAB_STE_0_V |
					      FIELD_PREP(STRTAB_STE_0_CFG,
							 STRTAB_STE_0_CFG_NESTED));
		target->data[1] |= nested->ste[1];
		break;
	case STRTAB_STE_0_CFG_BYPASS:
		/* The guest bypasses its stage 1: the VMM's stage 2 stays */
		arm_smmu_make_s2_domain_ste(target, master, s2_parent,
					    ats_enabled);
		break;
	default:
		arm_smmu_make_abort_ste(target);
		break;
	}
}

static int arm_smmu_attach_dev_nested(struct iommu_domain *domain,
				      struct device *dev)
{
	struct arm_smmu_nested_domain *nested = to_smmu_nested_domain(domain);
	struct arm_smmu_master *master = dev_iommu_priv_get(dev);
	struct arm_smmu_attach_state state = {
		.master = master,
		.old_domain = iommu_get_domain_for_dev(dev),
		.ssid = IOMMU_NO_PASID,
		.disable_ats = !nested->enable_ats,
	};
	struct arm_smmu_ste ste;
	int ret;

	if (nested->vsmmu->smmu != master->smmu)
		return -EINVAL;
	/* The guest owns the CD table now: our PASIDs would be lost */
	if (arm_smmu_ssids_in_use(&master->cd_table))
		return -EBUSY;

	mutex_lock(&arm_smmu_asid_lock);
	ret = arm_smmu_attach_prepare(&state, domain);
	if (ret)
		goto out_unlock;
	arm_smmu_make_nested_ste(&ste, master, nested, state.ats_enabled);
	arm_smmu_install_ste_for_dev(master, &ste);
	arm_smmu_clear_cd(master, IOMMU_NO_PASID);
	arm_smmu_attach_commit(&state);
out_unlock:
	mutex_unlock(&arm_smmu_asid_lock);
	return ret;
}

static void arm_smmu_domain_nested_free(struct iommu_domain *domain)
{
	kfree(to_smmu_nested_domain(domain));
}

static const struct iommu_domain_ops arm_smmu_nested_ops = {
	.attach_dev = arm_smmu_attach_dev_nested,
	.free = arm_smmu_domain_nested_free,
};

/* The fields a guest STE may set; see struct iommu_hwpt_arm_smmuv3 */
#define ARM_VSMMU_STE0_ALLOWED                                            \
	(STRTAB_STE_0_V | STRTAB_STE_0_CFG | STRTAB_STE_0_S1FMT |         \
	 STRTAB_STE_0_S1CTXPTR_MASK | STRTAB_STE_0_S1CDMAX)
#define ARM_VSMMU_STE1_ALLOWED                                            \
	(STRTAB_STE_1_EATS | STRTAB_STE_1_S1DSS | STRTAB_STE_1_S1CIR |    \
	 STRTAB_STE_1_S1COR | STRTAB_STE_1_S1CSH | STRTAB_STE_1_S1STALLD)

static int arm_vsmmu_validate_ste(const struct iommu_hwpt_arm_smmuv3 *arg)
{
	u64 ste0 = le64_to_cpu(arg->ste[0]), ste1 = le64_to_cpu(arg->ste[1]);
	unsigned int eats = FIELD_GET(STRTAB_STE_1_EATS, ste1);

	if ((ste0 & ~ARM_VSMMU_STE0_ALLOWED) ||
	    (ste1 & ~ARM_VSMMU_STE1_ALLOWED))
		return -EIO;
	if (eats != 0 && eats != STRTAB_STE_1_EATS_TRANS)
		return -EIO;
	if (!(ste0 & STRTAB_STE_0_V))
		return 0;
	switch (FIELD_GET(STRTAB_STE_0_CFG, ste0)) {
	case STRTAB_STE_0_CFG_ABORT:
	case STRTAB_STE_0_CFG_BYPASS:
	case STRTAB_STE_0_CFG_S1_TRANS:
		return 0;
	default:
		return -EIO;
	}
}

static struct iommu_domain *
arm_vsmmu_alloc_domain_nested(struct iommufd_viommu *viommu, u32 flags,
			      const struct iommu_user_data *user_data)
{
	struct arm_vsmmu *vsmmu = container_of(viommu, struct arm_vsmmu, core);
	struct arm_smmu_nested_domain *nested;
	struct iommu_hwpt_arm_smmuv3 arg;
	u64 ste0;
	int ret;

	if (flags)
		return ERR_PTR(-EOPNOTSUPP);
	ret = iommu_copy_struct_from_user(&arg, user_data,
					  IOMMU_HWPT_DATA_ARM_SMMUV3, ste);
	if (ret)
		return ERR_PTR(ret);
	ret = arm_vsmmu_validate_ste(&arg);
	if (ret)
		return ERR_PTR(ret);

	nested = kzalloc(sizeof(*nested), GFP_KERNEL_ACCOUNT);
	if (!nested)
		return ERR_PTR(-ENOMEM);
	nested->domain.type = IOMMU_DOMAIN_NESTED;
	nested->domain.ops = &arm_smmu_nested_ops;
	nested->vsmmu = vsmmu;
	ste0 = le64_to_cpu(arg.ste[0]);
	/* No ATS with an abort STE (see arm_smmu_attach_prepare()) */
	nested->enable_ats =
		FIELD_GET(STRTAB_STE_1_EATS, le64_to_cpu(arg.ste[1])) ==
			STRTAB_STE_1_EATS_TRANS &&
		(ste0 & STRTAB_STE_0_V) &&
		FIELD_GET(STRTAB_STE_0_CFG, ste0) != STRTAB_STE_0_CFG_ABORT;
	nested->ste[0] = arg.ste[0];
	/* The attach sets EATS from the outcome of the ATS decision */
	nested->ste[1] = arg.ste[1] & ~cpu_to_le64(STRTAB_STE_1_EATS);
	return &nested->domain;
}

/* Under the vDEVICEs' lock, so the device stays bound while we look */
static int arm_vsmmu_vsid_to_sid(struct arm_vsmmu *vsmmu, u32 vsid, u32 *sid)
{
	struct arm_smmu_master *master;
	struct device *dev;
	int ret = 0;

	xa_lock(&vsmmu->core.vdevs);
	dev = iommufd_viommu_find_dev(&vsmmu->core, vsid);
	if (!dev) {
		ret = -EIO;
		goto out_unlock;
	}
	master = dev_iommu_priv_get(dev);
	/* A guest sees one vSID per device: its first stream */
	*sid = master->streams[0].id;
out_unlock:
	xa_unlock(&vsmmu->core.vdevs);
	return ret;
}

/* Rewrite one guest command for this SMMU: the VMID, or the StreamID */
static int arm_vsmmu_convert_cmd(struct arm_vsmmu *vsmmu, u64 *cmd)
{
	u32 sid;
	int ret;

	switch (FIELD_GET(CMDQ_0_OP, cmd[0])) {
	case CMDQ_OP_TLBI_NSNH_ALL:
		/* The guest's "all" is everything of its VMID */
		cmd[0] &= ~CMDQ_0_OP;
		cmd[0] |= FIELD_PREP(CMDQ_0_OP, CMDQ_OP_TLBI_NH_ALL);
		fallthrough;
	case CMDQ_OP_TLBI_NH_ALL:
	case CMDQ_OP_TLBI_NH_VA:
	case CMDQ_OP_TLBI_NH_VAA:
	case CMDQ_OP_TLBI_NH_ASID:
		cmd[0] &= ~CMDQ_TLBI_0_VMID;
		cmd[0] |= FIELD_PREP(CMDQ_TLBI_0_VMID, vsmmu->vmid);
		return 0;
	case CMDQ_OP_ATC_INV:
	case CMDQ_OP_CFGI_CD:
	case CMDQ_OP_CFGI_CD_ALL:
		/* CMDQ_ATC_0_SID is the same field */
		ret = arm_vsmmu_vsid_to_sid(vsmmu,
					    FIELD_GET(CMDQ_CFGI_0_SID, cmd[0]),
					    &sid);
		if (ret)
			return ret;
		cmd[0] &= ~CMDQ_CFGI_0_SID;
		cmd[0] |= FIELD_PREP(CMDQ_CFGI_0_SID, sid);
		return 0;
	default:
		return -EIO;
	}
}

static int arm_vsmmu_get_cmd(struct arm_vsmmu *vsmmu,
			     struct iommu_user_data_array *array,
			     unsigned int index, u64 *cmd)
{
	struct iommu_viommu_arm_smmuv3_invalidate inv;
	int ret;

	ret = iommu_copy_struct_from_user_array(&inv, array,
						IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
						index, cmd);
	if (ret)
		return ret;
	cmd[0] = le64_to_cpu(inv.cmd[0]);
	cmd[1] = le64_to_cpu(inv.cmd[1]);
	return arm_vsmmu_convert_cmd(vsmmu, cmd);
}

static int arm_vsmmu_issue(struct arm_vsmmu *vsmmu, u64 *cmds, int n)
{
	struct arm_smmu_device *smmu = vsmmu->smmu;

	return arm_smmu_cmdq_issue_cmdlist(smmu, &smmu->cmdq, cmds, n, true);
}

/*
 * Commands are issued in batches; a bad entry stops the walk after the
 * batch before it is issued, so entry_num counts exactly what was issued.
 */
static int arm_vsmmu_cache_invalidate(struct iommufd_viommu *viommu,
				      struct iommu_user_data_array *array)
{
	struct arm_vsmmu *vsmmu = container_of(viommu, struct arm_vsmmu, core);
	unsigned int i, n = 0, done = 0;
	int ret = 0, issued;
	u64 *cmds;

	if (array->type != IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3) {
		array->entry_num = 0;
		return -EINVAL;
	}
	cmds = kcalloc(ARM_VSMMU_INV_BATCH, CMDQ_ENT_DWORDS * sizeof(*cmds),
		       GFP_KERNEL);
	if (!cmds) {
		array->entry_num = 0;
		return -ENOMEM;
	}

	for (i = 0; i < array->entry_num; i++) {
		ret = arm_vsmmu_get_cmd(vsmmu, array, i,
					&cmds[n * CMDQ_ENT_DWORDS]);
		if (ret)
			break;
		if (++n < ARM_VSMMU_INV_BATCH)
			continue;
		ret = arm_vsmmu_issue(vsmmu, cmds, n);
		n = 0;
		if (ret)
			break;
		done += ARM_VSMMU_INV_BATCH;
	}
	/* The entries before a bad one still go out; its error stays */
	if (n) {
		issued = arm_vsmmu_issue(vsmmu, cmds, n);
		if (!issued)
			done += n;
		if (!ret)
			ret = issued;
	}

	array->entry_num = done;
	kfree(cmds);
	return ret;
}

static void arm_vsmmu_destroy(struct iommufd_viommu *viommu)
{
	struct arm_vsmmu *vsmmu = container_of(viommu, struct arm_vsmmu, core);

	mutex_lock(&vsmmu->s2_parent->init_mutex);
	vsmmu->s2_parent->vsmmu = NULL;
	mutex_unlock(&vsmmu->s2_parent->init_mutex);
}

static const struct iommufd_viommu_ops arm_vsmmu_ops = {
	.destroy = arm_vsmmu_destroy,
	.alloc_domain_nested = arm_vsmmu_alloc_domain_nested,
	.cache_invalidate = arm_vsmmu_cache_invalidate,
};

struct iommufd_viommu *arm_vsmmu_alloc(struct device *dev,
				       struct iommu_domain *parent,
				       struct iommufd_ctx *ictx,
				       unsigned int viommu_type)
{
	struct arm_smmu_master *master = dev_iommu_priv_get(dev);
	struct arm_smmu_domain *s2_parent = to_smmu_domain(parent);
	struct arm_vsmmu *vsmmu;

	if (viommu_type != IOMMU_VIOMMU_TYPE_ARM_SMMUV3)
		return ERR_PTR(-EOPNOTSUPP);
	if (!(master->smmu->features & ARM_SMMU_FEAT_NESTING))
		return ERR_PTR(-EOPNOTSUPP);
	if (!s2_parent->nest_parent || s2_parent->smmu != master->smmu)
		return ERR_PTR(-EINVAL);

	mutex_lock(&s2_parent->init_mutex);
	if (s2_parent->vsmmu) {
		vsmmu = ERR_PTR(-EBUSY);
		goto out_unlock;
	}
	vsmmu = iommufd_viommu_alloc(ictx, struct arm_vsmmu, core,
				     &arm_vsmmu_ops);
	if (IS_ERR(vsmmu))
		goto out_unlock;
	vsmmu->smmu = master->smmu;
	vsmmu->s2_parent = s2_parent;
	vsmmu->vmid = s2_parent->s2_cfg.vmid;
	s2_parent->vsmmu = vsmmu;
out_unlock:
	mutex_unlock(&s2_parent->init_mutex);
	return IS_ERR(vsmmu) ? ERR_CAST(vsmmu) : &vsmmu->core;
}
