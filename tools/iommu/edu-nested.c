// SPDX-License-Identifier: GPL-2.0
/*
 * edu-nested: a VMM's use of an SMMUv3 vIOMMU, with QEMU's edu device
 * doing DMA through a "guest's" stage 1 on top of our stage 2.
 *
 *   edu-nested BDF
 *
 * The program plays both parts of a VM with a virtual SMMU.  As the VMM,
 * it binds the edu device's VFIO cdev to iommufd, maps a "guest RAM"
 * buffer at IPA_BASE in an IOAS, allocates a nesting parent (stage 2) on
 * it, a vIOMMU and a vDEVICE whose virtual StreamID differs from the
 * physical one.  As the guest, it writes into that RAM a Context
 * Descriptor and 4 KiB-granule stage-1 tables mapping IOVAs to IPAs, and
 * an STE pointing at the CD by its IPA, which the VMM hands to iommufd as
 * a nested HWPT.  The cases, in order:
 *
 *   - edu's DMA to a stage-1 IOVA lands on the RAM page behind the IPA;
 *   - the guest remaps the IOVA to another IPA and invalidates through
 *     the vIOMMU (TLBI by ASID, CFGI_CD by vSID): the next DMA lands on
 *     the new page (what lands without the invalidation is printed, not
 *     judged: that is the emulator's business);
 *   - DMA to an IOVA the stage 1 does not map lands nowhere (the caller
 *     looks for the SMMU driver's event line);
 *   - an abort STE and an STE with V clear stop all DMA; a bypass STE
 *     leaves the stage 2 alone in place;
 *   - bad STEs and commands are refused with EIO, a second vIOMMU on the
 *     parent with EBUSY, and the objects are destroyed in the orders the
 *     UAPI allows; last, the iommufd is closed with everything live.
 *
 * Exits 0 if every check held, 1 if one did not, 77 if the device is not
 * behind an SMMUv3 with both stages (and says so), 2 on bad usage.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "edu.h"

#define BIT(n)			(1ULL << (n))
#define FIELD(v, shift)		((uint64_t)(v) << (shift))

/* "Guest RAM": IPA_BASE + [0, RAM_SIZE), below edu's mask for bypass */
#define IPA_BASE		0x4000000UL
#define RAM_SIZE		(64 * PAGE)
#define CD_OFF			0x0000UL
#define L1_OFF			0x1000UL
#define L2_OFF			0x2000UL
#define L3_OFF			0x3000UL
#define PAGE_A_OFF		0x10000UL
#define PAGE_B_OFF		0x11000UL
#define SRC_OFF			0x12000UL
#define PAGE_C_OFF		0x13000UL

/* Stage-1 IOVAs, all in the first 2 MiB: one table per level */
#define IOVA_DST		0x100000UL
#define IOVA_SRC		0x101000UL
#define IOVA_HOLE		0x102000UL

#define ASID			7

/* SMMUv3 STE (struct iommu_hwpt_arm_smmuv3), word 0 and 1 */
#define STE0_V			BIT(0)
#define STE0_CFG(c)		FIELD(c, 1)
#define STE0_CFG_ABORT		0
#define STE0_CFG_BYPASS		4
#define STE0_CFG_S1		5
#define STE0_CFG_S2		6
#define STE1_S1CIR_WBRA		FIELD(1, 2)
#define STE1_S1COR_WBRA		FIELD(1, 4)
#define STE1_S1CSH_ISH		FIELD(3, 6)
#define STE1_STRW_EL2		FIELD(2, 30)
#define STE1_EATS(v)		FIELD(v, 28)

/* Context Descriptor, word 0; word 1 is TTB0, word 3 MAIR */
#define CD0_T0SZ(v)		FIELD(v, 0)
#define CD0_TG0_4K		FIELD(0, 6)
#define CD0_IRGN0_WBWA		FIELD(1, 8)
#define CD0_ORGN0_WBWA		FIELD(1, 10)
#define CD0_SH0_ISH		FIELD(3, 12)
#define CD0_EPD1		BIT(30)
#define CD0_V			BIT(31)
#define CD0_IPS_48		FIELD(5, 32)
#define CD0_AA64		BIT(41)
#define CD0_R			BIT(45)
#define CD0_A			BIT(46)
#define CD0_ASET		BIT(47)
#define CD0_ASID(v)		FIELD(v, 48)

/* Stage-1 descriptors, 4 KiB granule */
#define PTE_TABLE		0x3ULL
#define PTE_PAGE		(0x3ULL | FIELD(1, 6) /* AP: RW */ |	\
				 FIELD(3, 8) /* inner shareable */ |	\
				 BIT(10) /* AF */)

/* Commands (struct iommu_viommu_arm_smmuv3_invalidate) */
#define CMD_CFGI_CD		0x05
#define CMD_TLBI_NH_ASID	0x11
#define CMD_TLBI_NSNH_ALL	0x30
#define CMD_SYNC		0x46

struct vm {
	struct edu e;
	uint8_t *ram;
	uint32_t vsid, psid;
	uint32_t parent, viommu, vdev;
};

static uint64_t *ram64(struct vm *vm, uint64_t off)
{
	return (uint64_t *)(vm->ram + off);
}

/* --- the guest's tables and STEs --- */

static void set_pte(struct vm *vm, uint64_t iova, uint64_t ram_off)
{
	ram64(vm, L3_OFF)[(iova >> 12) & 511] =
		ram_off == ~0UL ? 0 : (IPA_BASE + ram_off) | PTE_PAGE;
}

static void guest_tables(struct vm *vm)
{
	uint64_t *cd = ram64(vm, CD_OFF);

	memset(vm->ram, 0, RAM_SIZE);
	/* 39-bit input: walks start at level 1 */
	ram64(vm, L1_OFF)[0] = (IPA_BASE + L2_OFF) | PTE_TABLE;
	ram64(vm, L2_OFF)[0] = (IPA_BASE + L3_OFF) | PTE_TABLE;
	set_pte(vm, IOVA_DST, PAGE_A_OFF);
	set_pte(vm, IOVA_SRC, SRC_OFF);
	cd[0] = CD0_T0SZ(64 - 39) | CD0_TG0_4K | CD0_IRGN0_WBWA |
		CD0_ORGN0_WBWA | CD0_SH0_ISH | CD0_EPD1 | CD0_V | CD0_IPS_48 |
		CD0_AA64 | CD0_R | CD0_A | CD0_ASET | CD0_ASID(ASID);
	cd[1] = IPA_BASE + L1_OFF;
	cd[3] = 0xff;	/* MAIR: attribute 0 is normal write-back memory */
}

static int nested_alloc(struct vm *vm, uint64_t ste0, uint64_t ste1,
			uint32_t *id)
{
	struct iommu_hwpt_arm_smmuv3 ste = {
		.ste = { htole64(ste0), htole64(ste1) },
	};
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .dev_id = vm->e.dev_id, .pt_id = vm->viommu,
		.data_type = IOMMU_HWPT_DATA_ARM_SMMUV3,
		.data_len = sizeof(ste), .data_uptr = (uintptr_t)&ste,
	};
	int ret = ioctl(vm->e.iommufd, IOMMU_HWPT_ALLOC, &cmd);

	if (!ret && id)
		*id = cmd.out_hwpt_id;
	return ret;
}

static uint64_t s1_ste0(void)
{
	return STE0_V | STE0_CFG(STE0_CFG_S1) | (IPA_BASE + CD_OFF);
}

static uint64_t s1_ste1(void)
{
	return STE1_S1CIR_WBRA | STE1_S1COR_WBRA | STE1_S1CSH_ISH;
}

/* --- the VMM's objects --- */

static int viommu_alloc(struct vm *vm, uint32_t type, uint32_t *id)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd), .type = type, .dev_id = vm->e.dev_id,
		.hwpt_id = vm->parent,
	};
	int ret = ioctl(vm->e.iommufd, IOMMU_VIOMMU_ALLOC, &cmd);

	if (!ret && id)
		*id = cmd.out_viommu_id;
	return ret;
}

static void vmm_objects(struct vm *vm)
{
	struct iommu_hwpt_alloc parent = {
		.size = sizeof(parent), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
		.dev_id = vm->e.dev_id, .pt_id = vm->e.ioas,
	};
	struct iommu_vdevice_alloc vdev = {
		.size = sizeof(vdev), .dev_id = vm->e.dev_id,
		.virt_id = vm->vsid,
	};

	must(!ioctl(vm->e.iommufd, IOMMU_HWPT_ALLOC, &parent),
	     "a nesting parent on the IOAS");
	vm->parent = parent.out_hwpt_id;
	must(!viommu_alloc(vm, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &vm->viommu),
	     "an SMMUv3 vIOMMU on the parent");
	vdev.viommu_id = vm->viommu;
	must(!ioctl(vm->e.iommufd, IOMMU_VDEVICE_ALLOC, &vdev),
	     "a vDEVICE with vSID %#x", vm->vsid);
	vm->vdev = vdev.out_vdevice_id;
}

static int destroy(struct vm *vm, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(vm->e.iommufd, IOMMU_DESTROY, &cmd);
}

/* IOMMU_HWPT_INVALIDATE on the vIOMMU; returns the entries handled */
static int invalidate(struct vm *vm, const uint64_t (*cmds)[2], uint32_t n,
		      uint32_t *done)
{
	struct iommu_viommu_arm_smmuv3_invalidate inv[8];
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd), .hwpt_id = vm->viommu,
		.data_uptr = (uintptr_t)inv,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = sizeof(*inv), .entry_num = n,
	};
	uint32_t i;
	int ret;

	for (i = 0; i < n && i < ARRAY_SIZE(inv); i++) {
		inv[i].cmd[0] = htole64(cmds[i][0]);
		inv[i].cmd[1] = htole64(cmds[i][1]);
	}
	ret = ioctl(vm->e.iommufd, IOMMU_HWPT_INVALIDATE, &cmd);
	*done = cmd.entry_num;
	return ret;
}

/* --- the cases --- */

static void check_smmu(struct vm *vm)
{
	struct iommu_hw_info_arm_smmuv3 info = {};
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd), .dev_id = vm->e.dev_id,
		.data_len = sizeof(info), .data_uptr = (uintptr_t)&info,
	};

	must(!ioctl(vm->e.iommufd, IOMMU_GET_HW_INFO, &cmd), "IOMMU_GET_HW_INFO");
	if (cmd.out_data_type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3)
		skip("the device is not behind an SMMUv3 (hw_info type)");
	printf("SMMU IDR0 %#x IDR1 %#x IDR3 %#x IDR5 %#x IIDR %#x AIDR %#x\n",
	       info.idr[0], info.idr[1], info.idr[3], info.idr[5], info.iidr,
	       info.aidr);
	if ((info.idr[0] & 3) != 3)
		skip("the SMMU does not have both stages (IDR0.S1P, S2P)");
}

/* edu's buffer gets a @tag pattern, read through the stage 1 */
static void load(struct vm *vm, uint32_t tag)
{
	fill(vm->ram + SRC_OFF, PAGE, tag);
	to_device(&vm->e, IOVA_SRC, 0, PAGE);
}

/* edu copies a @tag pattern to @iova through the stage 1 */
static void dma(struct vm *vm, uint64_t iova, uint32_t tag)
{
	load(vm, tag);
	to_ram(&vm->e, 0, iova, PAGE);
}

/* edu writes its buffer to @iova; whether any of the RAM changed */
static int lands_nowhere(struct vm *vm, uint64_t iova)
{
	uint8_t *before = malloc(RAM_SIZE);
	int same;

	must(!!before, "malloc");
	memcpy(before, vm->ram, RAM_SIZE);
	to_ram(&vm->e, 0, iova, PROBE_LEN);
	same = !memcmp(before, vm->ram, RAM_SIZE);
	free(before);
	return same;
}

static int page_holds(struct vm *vm, uint64_t off, uint32_t tag)
{
	return holds(vm->ram + off, PAGE, tag);
}

static void case_translate(struct vm *vm, uint32_t nested)
{
	must(!cdev_attach(&vm->e, nested), "edu attached to the nested HWPT");
	dma(vm, IOVA_DST, 1);
	check(page_holds(vm, PAGE_A_OFF, 1),
	      "DMA to stage-1 IOVA %#lx landed on the page at IPA %#lx",
	      IOVA_DST, IPA_BASE + PAGE_A_OFF);
}

static void case_invalidate(struct vm *vm)
{
	const uint64_t cmds[2][2] = {
		{ CMD_TLBI_NH_ASID | FIELD(ASID, 48), 0 },
		{ CMD_CFGI_CD | FIELD(vm->vsid, 32), 1 /* leaf */ },
	};
	uint32_t done = 0;
	int ret;

	set_pte(vm, IOVA_DST, PAGE_B_OFF);
	dma(vm, IOVA_DST, 2);
	printf("remapped to IPA %#lx, not invalidated: the DMA landed %s\n",
	       IPA_BASE + PAGE_B_OFF,
	       page_holds(vm, PAGE_A_OFF, 2) ? "on the old page (stale TLB)" :
	       page_holds(vm, PAGE_B_OFF, 2) ? "on the new page" : "nowhere");
	ret = invalidate(vm, cmds, 2, &done);
	check(!ret && done == 2,
	      "TLBI_NH_ASID and CFGI_CD (vSID %#x) through the vIOMMU: %u done",
	      vm->vsid, done);
	dma(vm, IOVA_DST, 3);
	check(page_holds(vm, PAGE_B_OFF, 3) && !page_holds(vm, PAGE_A_OFF, 3),
	      "after the invalidation, DMA landed on the new page only");
}

static void case_bad_commands(struct vm *vm)
{
	const uint64_t cmds[3][2] = {
		{ CMD_TLBI_NSNH_ALL, 0 },
		{ CMD_SYNC, 0 },
		{ CMD_TLBI_NH_ASID | FIELD(ASID, 48), 0 },
	};
	const uint64_t unknown_sid[1][2] = {
		{ CMD_CFGI_CD | FIELD(vm->psid, 32), 1 },
	};
	uint32_t done = 0;
	int ret;

	ret = invalidate(vm, cmds, 3, &done);
	check(ret && errno == EIO && done == 1,
	      "a CMD_SYNC among the commands: EIO after %u (want 1)", done);
	ret = invalidate(vm, unknown_sid, 1, &done);
	check(ret && errno == EIO && !done,
	      "CFGI_CD of a StreamID no vDEVICE has (the physical %#x): EIO",
	      vm->psid);
}

static void case_unmapped(struct vm *vm)
{
	load(vm, 8);
	check(lands_nowhere(vm, IOVA_HOLE),
	      "DMA to IOVA %#lx, which the stage 1 does not map, landed nowhere",
	      IOVA_HOLE);
}

static void case_bad_stes(struct vm *vm)
{
	static const struct {
		const char *what;
		uint64_t ste0, ste1;
	} bad[] = {
		{ "Cfg stage 2", STE0_V | STE0_CFG(STE0_CFG_S2), 0 },
		{ "Cfg nested", STE0_V | STE0_CFG(7), 0 },
		{ "a reserved bit of word 0", STE0_V | BIT(55), 0 },
		{ "STRW", STE0_V, STE1_STRW_EL2 },
		{ "EATS 0b10", STE0_V, STE1_EATS(2) },
	};
	uint32_t id;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		check(nested_alloc(vm, bad[i].ste0, bad[i].ste1, &id) &&
		      errno == EIO, "an STE with %s: EIO", bad[i].what);
	check(viommu_alloc(vm, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL) &&
	      errno == EBUSY, "a second vIOMMU on the parent: EBUSY");
	check(viommu_alloc(vm, IOMMU_VIOMMU_TYPE_DEFAULT, NULL) &&
	      errno == EOPNOTSUPP, "the reserved default type: EOPNOTSUPP");
}

static void case_abort_bypass(struct vm *vm)
{
	uint32_t abort_id, invalid_id, bypass_id;

	must(!nested_alloc(vm, STE0_V | STE0_CFG(STE0_CFG_ABORT), 0, &abort_id) &&
	     !nested_alloc(vm, s1_ste0() & ~STE0_V, s1_ste1(), &invalid_id) &&
	     !nested_alloc(vm, STE0_V | STE0_CFG(STE0_CFG_BYPASS), 0,
			   &bypass_id), "abort, invalid and bypass STEs");

	/* Loaded while the stage 1 still translates */
	load(vm, 4);
	must(!cdev_attach(&vm->e, abort_id), "attach the abort STE");
	check(lands_nowhere(vm, IOVA_DST) && lands_nowhere(vm, IPA_BASE + PAGE_B_OFF),
	      "an abort STE: DMA to the IOVA or the IPA landed nowhere");
	must(!cdev_attach(&vm->e, invalid_id), "attach the STE with V clear");
	check(lands_nowhere(vm, IOVA_DST) && lands_nowhere(vm, IPA_BASE + PAGE_B_OFF),
	      "an STE with V clear: DMA to the IOVA or the IPA landed nowhere");
	must(!cdev_attach(&vm->e, bypass_id), "attach the bypass STE");
	/* The IOVA is an IPA now: the source is at its IPA too */
	fill(vm->ram + SRC_OFF, PAGE, 6);
	to_device(&vm->e, IPA_BASE + SRC_OFF, 0, PAGE);
	to_ram(&vm->e, 0, IPA_BASE + PAGE_C_OFF, PAGE);
	check(page_holds(vm, PAGE_C_OFF, 6),
	      "a bypass STE: DMA to IPA %#lx landed through the stage 2 alone",
	      IPA_BASE + PAGE_C_OFF);

	check(destroy(vm, bypass_id) && errno == EBUSY,
	      "an attached nested HWPT: EBUSY");
	must(!cdev_attach(&vm->e, vm->e.ioas), "back on the IOAS");
	check(!destroy(vm, abort_id) && !destroy(vm, invalid_id) &&
	      !destroy(vm, bypass_id), "detached nested HWPTs destroyed");
}

/* Every object but the one destroyed is busy until its users go */
static void case_teardown(struct vm *vm, uint32_t nested)
{
	must(!cdev_attach(&vm->e, nested), "edu on the nested HWPT again");
	check(destroy(vm, vm->viommu) && errno == EBUSY &&
	      destroy(vm, vm->parent) && errno == EBUSY,
	      "vIOMMU and parent in use: EBUSY");
	/* A vDEVICE may go while its device is attached */
	check(!destroy(vm, vm->vdev), "the vDEVICE destroyed while attached");
	must(!cdev_attach(&vm->e, vm->e.ioas), "back on the IOAS");
	check(!destroy(vm, nested) && !destroy(vm, vm->viommu) &&
	      !destroy(vm, vm->parent),
	      "nested HWPT, vIOMMU and parent destroyed in that order");

	/* Once more, and the close tears down what is live */
	vmm_objects(vm);
	must(!nested_alloc(vm, s1_ste0(), s1_ste1(), &nested) &&
	     !cdev_attach(&vm->e, nested), "a second set, attached");
	dma(vm, IOVA_DST, 7);
	check(page_holds(vm, PAGE_B_OFF, 7), "the second set translates");
}

static uint32_t pci_rid(const char *bdf)
{
	unsigned int dom, bus, dev, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return ~0U;
	return bus << 8 | dev << 3 | fn;
}

int main(int argc, char **argv)
{
	struct vm vm = {};
	uint32_t nested;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BDF\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	vm.psid = pci_rid(argv[1]);
	if (vm.psid == ~0U)
		skip("not a PCI device address");
	/* Anything but the physical one; the guest's own numbering */
	vm.vsid = vm.psid ^ 0x100;

	edu_open(&vm.e, CDEV, argv[1]);
	check_smmu(&vm);
	vm.ram = pages(RAM_SIZE, 0);
	must(!!vm.ram, "mmap guest RAM");
	guest_tables(&vm);
	must(iova_allowed(&vm.e, IPA_BASE, RAM_SIZE), "IPAs allowed");
	map(&vm.e, IPA_BASE, vm.ram, RAM_SIZE, 1);
	vmm_objects(&vm);
	printf("vIOMMU %u, vDEVICE %u: vSID %#x for StreamID %#x\n",
	       vm.viommu, vm.vdev, vm.vsid, vm.psid);

	case_bad_stes(&vm);
	must(!nested_alloc(&vm, s1_ste0(), s1_ste1(), &nested),
	     "a nested HWPT from the guest's stage-1 STE");
	case_translate(&vm, nested);
	case_invalidate(&vm);
	case_bad_commands(&vm);
	case_unmapped(&vm);
	case_abort_bypass(&vm);
	case_teardown(&vm, nested);

	edu_close(&vm.e);
	printf("edu-nested %s: %d failure(s)\n", argv[1], failures);
	return failures ? 1 : 0;
}
