/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private interface of the group-centric IOMMU core.
 *
 * The core is split by concern, one file each, listed from the entry
 * points down; a file calls only files below it (group.c hands its
 * kobjects group-sysfs.c's attribute table, which is data):
 *   probe.c     the bus hooks and instance registration: device probe and
 *               release
 *   group-sysfs.c  /sys/kernel/iommu_groups/N and its attributes
 *   owner.c     DMA ownership: kernel DMA API users versus one user owner
 *   pasid.c     PASID attachment, attach handles, global PASIDs
 *   default-domain.c  each group's default domain: its type, the switch
 *   attach.c    moving a group between domains, with rollback
 *   resv.c      reserved regions and their direct mappings
 *   map.c       map/unmap/map_sg/iova_to_phys
 *   domain.c    domain allocation through device ops, freeing, settings
 *   fault.c     reporting translation faults to a domain's user
 *   policy.c    the boot's default domain type and strictness
 *   grouping.c  the *_device_group() helpers (PCI aliases and ACS)
 *   group.c     groups: lifetime, membership, iteration, driver data
 *   caps.c      a device's IOMMU capabilities and features
 *   fwspec.c    a device's IOMMU data, and firmware's description of its
 *               IOMMU and IDs
 *   instance.c  the registry of IOMMU instances, lookup for a device
 */

/**
 * DOC: Lock order
 *
 * Outermost first::
 *
 *   iommu_probe_device_lock          serialises probe and release of devices
 *     group->mutex                   a group's devices, domains and ownership
 *       (driver locks taken inside iommu_ops and iommu_domain_ops)
 *         group->pasid_array's xa_lock   readers of attach handles
 *   iommu_device_lock                the list of IOMMU instances; a leaf
 *
 * Every field of struct iommu_group says which lock protects it.  Functions
 * named __foo() expect the lock of the object they act on to be held by the
 * caller and assert it with lockdep; foo() takes it.
 */
#ifndef __IOMMU_CORE_H
#define __IOMMU_CORE_H

#include <linux/iommu.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/xarray.h>

#include "../iommu-priv.h"

/**
 * struct iommu_group - devices an IOMMU cannot tell apart
 * @kobj: /sys/kernel/iommu_groups/@id, whose reference count is the
 *	group's: the last iommu_group_put() frees the group
 * @devices_dir: its "devices" directory of links to the members, a plain
 *	sysfs directory removed with @kobj's
 * @id: the group's number, from an IDA; set at allocation
 * @name: the name shown in sysfs, or NULL; set by the IOMMU driver
 * @iommu_data: the IOMMU driver's data for the group
 * @iommu_data_release: frees @iommu_data with the group
 * @mutex: protects the fields below it, except @probe_entry
 * @devices: the members, as struct group_device
 * @nr_devices: how many members @devices holds
 * @domain: the domain every member uses now
 * @default_domain: the kernel DMA API's domain
 * @blocking_domain: the domain that blocks all DMA, made on the first
 *	claim by user space (owner.c)
 * @owner_cnt: how many times the current owner uses the group; 0: nobody
 * @owner: the user-space owner's cookie; NULL: the kernel DMA API
 * @owner_pid: the thread group that claimed it for user space,
 * @owner_comm: and its name, for messages and sysfs; read only while
 *	@owner is set.  @owner_pid keeps its reference after a release, so
 *	that the same process claiming again takes none; the group's
 *	release drops it.
 * @pasid_array: attach handles by PASID; writers hold @mutex, readers
 *	the xarray's lock
 * @probe_entry: on the list of a bus_iommu_probe() batch of groups that
 *	await their default domain; added and removed under @mutex
 *
 * A group is the unit of isolation: every device in it is always attached
 * to the same domain.
 *
 * All devices in a group have the same iommu_ops: probe refuses a device
 * whose driver disagrees with the group's members, so any member's ops are
 * the group's ops.
 *
 * @name, @iommu_data and @iommu_data_release are set by the IOMMU driver,
 * which serialises its own calls.
 */
struct iommu_group {
	struct kobject kobj;
	struct kernfs_node *devices_dir;
	int id;

	char *name;
	void *iommu_data;
	void (*iommu_data_release)(void *iommu_data);

	/* Protects the fields from here to pasid_array (see the lock order) */
	struct mutex mutex;
	struct list_head devices;
	unsigned int nr_devices;
	struct iommu_domain *domain;
	struct iommu_domain *default_domain;
	struct iommu_domain *blocking_domain;
	unsigned int owner_cnt;
	void *owner;
	struct pid *owner_pid;
	char owner_comm[TASK_COMM_LEN];
	struct xarray pasid_array;

	struct list_head probe_entry;
};

/**
 * struct group_device - a device's membership of its group
 * @list: in the group's devices list, under the group mutex
 * @dev: the device
 * @name: the name of its link in the group's devices/ directory
 * @dma_api_users: its drivers' iommu_device_use_dma_api() calls, under
 *	the group mutex, so that a refused claim can name the device
 */
struct group_device {
	struct list_head list;
	struct device *dev;
	char *name;
	unsigned int dma_api_users;
};

#define for_each_group_device(group, gdev) \
	list_for_each_entry(gdev, &(group)->devices, list)

/* Flags of __iommu_group_set_domain() */
enum {
	/* A core-owned domain the group must reach: never roll back. */
	IOMMU_ATTACH_MUST_SUCCEED = BIT(0),
};

/*
 * The device went through an IOMMU driver's probe_device(), as opposed to
 * a group made up by VFIO's no-IOMMU mode through iommu_group_add_device().
 */
static inline bool dev_has_iommu(struct device *dev)
{
	return dev->iommu && dev->iommu->iommu_dev;
}

/* group.c */
struct device *__iommu_group_any_dev(struct iommu_group *group);
const struct iommu_ops *__iommu_group_ops(struct iommu_group *group);
struct group_device *__iommu_group_add_member(struct iommu_group *group,
					      struct device *dev);
void __iommu_group_del_member(struct iommu_group *group,
			      struct group_device *gdev);
bool __iommu_group_remove_member(struct iommu_group *group,
				 struct device *dev);
struct group_device *__iommu_group_find_member(struct iommu_group *group,
					       struct device *dev);
void iommu_group_add_owner_file(struct iommu_group *group);

/* group-sysfs.c */
extern const struct attribute_group *iommu_group_attr_groups[];
extern const struct attribute_group iommu_group_owner_attr_group;

/* default-domain.c */
int __iommu_group_setup_default_domain(struct iommu_group *group,
				       int target_type);
void __iommu_group_free_domains(struct iommu_group *group);

/* domain.c */
struct iommu_domain *iommu_domain_alloc_for_dev(struct device *dev,
						unsigned int type);

/* policy.c */
const char *iommu_domain_type_sysfs_name(unsigned int type);
const char *iommu_domain_type_log_name(unsigned int type);
unsigned int iommu_default_domain_type(void);

/* attach.c */
int __iommu_group_set_domain(struct iommu_group *group,
			     struct iommu_domain *new_domain,
			     unsigned int flags);
void __iommu_group_set_core_domain(struct iommu_group *group);
int __iommu_group_domain_fits(struct iommu_group *group,
			      struct iommu_domain *domain);
int __iommu_attach_group(struct iommu_domain *domain,
			 struct iommu_group *group);
int __iommu_attach_new_member(struct iommu_group *group, struct device *dev);

/* instance.c */
void iommu_instance_add(struct iommu_device *iommu);
void iommu_instance_del(struct iommu_device *iommu);
int iommu_instance_add_private_bus(struct iommu_device *iommu,
				   const struct bus_type *bus);
void iommu_instance_del_private_bus(struct iommu_device *iommu,
				    const struct bus_type *bus);
bool iommu_instances_registered(void);
const struct iommu_ops *iommu_instance_ops(struct device *dev);

/* fwspec.c */
struct dev_iommu *dev_iommu_get(struct device *dev);
void iommu_fwspec_free_param(struct dev_iommu *param);

/* resv.c */
int iommu_map_direct_regions(struct iommu_domain *domain, struct device *dev);

#endif /* __IOMMU_CORE_H */
