// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reporting a translation fault to a domain's user.
 *
 * The user of an unmanaged domain (a remoteproc, a GPU) installs a
 * handler; the IOMMU driver reports each fault it cannot resolve itself
 * through report_iommu_fault(), which traces it and calls the handler.
 */
#include <trace/events/iommu.h>

#include "core.h"

/**
 * iommu_set_fault_handler() - Install a fault handler on a domain
 * @domain: the domain
 * @handler: called by report_iommu_fault()
 * @token: passed to @handler
 *
 * Context: Any context; not concurrently with faults on @domain.
 */
void iommu_set_fault_handler(struct iommu_domain *domain,
			     iommu_fault_handler_t handler, void *token)
{
	if (WARN_ON(!domain))
		return;
	domain->handler = handler;
	domain->handler_token = token;
}
EXPORT_SYMBOL_GPL(iommu_set_fault_handler);

/**
 * report_iommu_fault() - Report a fault to the domain's user
 * @domain: the domain the fault happened in
 * @dev: the faulting device
 * @iova: the faulting address
 * @flags: IOMMU_FAULT_READ or IOMMU_FAULT_WRITE
 *
 * For IOMMU drivers, from their fault handling.
 *
 * Context: Whatever the driver's fault path is; the handler must cope.
 * Return: the handler's result, or -ENOSYS if there is no handler.
 */
int report_iommu_fault(struct iommu_domain *domain, struct device *dev,
		       unsigned long iova, int flags)
{
	trace_io_page_fault(dev, iova, flags);
	if (!domain->handler)
		return -ENOSYS;
	return domain->handler(domain, dev, iova, flags, domain->handler_token);
}
EXPORT_SYMBOL_GPL(report_iommu_fault);
