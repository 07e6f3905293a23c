// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mapping and unmapping IOVA ranges of paging domains.
 *
 * A range is cut into runs of equal pages, each the largest size the
 * domain supports that the alignment of both addresses and the remaining
 * length allow; one map_pages()/unmap_pages() call covers a run.  A run of
 * small pages stops where a larger page could begin, so a long enough
 * range gets large pages in its middle.
 *
 * Arguments are checked before anything is mapped: addresses and length
 * must be aligned to the smallest page, the range must not wrap, and the
 * domain must be a paging one whose driver can map.  A map that fails half
 * way is unmapped again, so on error nothing of the range stays mapped.
 *
 * Most calls (the DMA API's) are one page of a supported size, aligned to
 * it: that page is aligned and cannot wrap by construction, so it takes a
 * path of its own with no loop and no other range check.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/log2.h>
#include <linux/scatterlist.h>
#include <trace/events/iommu.h>

#include "core.h"

/* gfp flags that make no sense for page table memory */
#define IOMMU_MAP_BAD_GFP (__GFP_COMP | __GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM)

/*
 * The page size for the next run at @iova -> @paddr with @size left, and
 * in *@count how many such pages the run has.  0 if no supported size
 * fits, which the callers' alignment checks rule out.
 */
static __always_inline size_t
iommu_pgsize_for_run(unsigned long pgsizes, unsigned long iova,
		     phys_addr_t paddr, size_t size, size_t *count)
{
	unsigned long align = iova | paddr;
	unsigned long fits, larger;
	size_t pgsize, next, to_next;

	/*
	 * Sizes up to the length, then of those the largest up to the lowest
	 * set bit of the alignment: align ^ (align - 1) is that bit and all
	 * below it, or every bit when both addresses are 0.
	 */
	fits = pgsizes & GENMASK(__fls(size), 0);
	if (!(fits & (align ^ (align - 1))))
		return 0;
	pgsize = BIT(__fls(fits & (align ^ (align - 1))));

	/*
	 * The run ends where the next larger size that fits would start, if
	 * the two addresses share their offset in such a page and one fits
	 * after that point.
	 */
	larger = fits & -(pgsize << 1);
	if (larger) {
		next = BIT(__ffs(larger));
		to_next = next - (iova & (next - 1));
		if (!((iova ^ paddr) & (next - 1)) && to_next + next <= size)
			size = to_next;
	}
	*count = size / pgsize;
	return pgsize;
}

/* 0 if @domain is one the core can map into at all, else an errno. */
static __always_inline int iommu_domain_can_map(struct iommu_domain *domain)
{
	const struct iommu_domain_ops *ops = domain->ops;

	if (unlikely(!(domain->type & __IOMMU_DOMAIN_PAGING)))
		return -EINVAL;
	if (WARN_ON(!ops->map_pages || !ops->unmap_pages ||
		    !domain->pgsize_bitmap))
		return -ENODEV;
	return 0;
}

/* 0 if the domain can map [@iova, @iova + @size) at all, else an errno. */
static __always_inline int iommu_check_range(struct iommu_domain *domain,
					     unsigned long iova,
					     phys_addr_t paddr, size_t size)
{
	unsigned long min_pgsize;
	unsigned long last;
	int ret;

	ret = iommu_domain_can_map(domain);
	if (ret)
		return ret;
	min_pgsize = 1UL << __ffs(domain->pgsize_bitmap);
	if (!size || !IS_ALIGNED(iova | paddr | size, min_pgsize) ||
	    check_add_overflow(iova, size - 1, &last)) {
		pr_err("bad range: iova 0x%lx pa %pa size 0x%zx min_pagesz 0x%lx\n",
		       iova, &paddr, size, min_pgsize);
		return -EINVAL;
	}
	return 0;
}

/*
 * What the DMA API asks for most: one page of a size the domain supports,
 * at addresses aligned to it.  Such a range is aligned to the smallest
 * page and cannot wrap, so it needs no other range check, and it is one
 * driver call.
 */
static __always_inline bool iommu_is_one_page(struct iommu_domain *domain,
					      unsigned long iova,
					      phys_addr_t paddr, size_t size)
{
	return (domain->pgsize_bitmap & size) && is_power_of_2(size) &&
	       !((iova | paddr) & (size - 1));
}

/* Unmap runs of pages, collecting what to flush in @gather. */
static __always_inline size_t
iommu_unmap_runs(struct iommu_domain *domain, unsigned long iova, size_t size,
		 struct iommu_iotlb_gather *gather)
{
	const struct iommu_domain_ops *ops = domain->ops;
	size_t done = 0, pgsize, count, unmapped;

	if (!size || iommu_check_range(domain, iova, 0, size))
		return 0;

	/* Stop at the first hole: the caller learns how far we got. */
	while (done < size) {
		pgsize = iommu_pgsize_for_run(domain->pgsize_bitmap,
					      iova + done, iova + done,
					      size - done, &count);
		if (WARN_ON(!pgsize))
			break;
		unmapped = ops->unmap_pages(domain, iova + done, pgsize, count,
					    gather);
		if (!unmapped)
			break;
		done += unmapped;
	}
	trace_unmap(iova, size, done);
	return done;
}

/* iommu_unmap_runs() of one page (iommu_is_one_page()), without a loop. */
static __always_inline size_t
iommu_unmap_one_page(struct iommu_domain *domain, unsigned long iova,
		     size_t size, struct iommu_iotlb_gather *gather)
{
	size_t unmapped;

	if (iommu_domain_can_map(domain))
		return 0;
	unmapped = domain->ops->unmap_pages(domain, iova, size, 1, gather);
	trace_unmap(iova, size, unmapped);
	return unmapped;
}

/* iommu_iotlb_sync() without its re-init of a gather that goes. */
static __always_inline void iommu_unmap_sync(struct iommu_domain *domain,
					     struct iommu_iotlb_gather *gather)
{
	if (domain->ops->iotlb_sync)
		domain->ops->iotlb_sync(domain, gather);
}

/* Map runs of pages; on error nothing of the range stays mapped. */
static __always_inline int iommu_map_runs(struct iommu_domain *domain,
					  unsigned long iova, phys_addr_t paddr,
					  size_t size, int prot, gfp_t gfp)
{
	const struct iommu_domain_ops *ops = domain->ops;
	unsigned long pgsizes = domain->pgsize_bitmap;
	size_t done = 0, pgsize, count, mapped;
	int ret;

	ret = iommu_check_range(domain, iova, paddr, size);
	if (ret)
		return ret;

	do {
		pgsize = iommu_pgsize_for_run(pgsizes, iova + done,
					      paddr + done, size - done, &count);
		if (WARN_ON(!pgsize)) {
			ret = -EINVAL;
			break;
		}
		mapped = 0;
		ret = ops->map_pages(domain, iova + done, paddr + done, pgsize,
				     count, prot, gfp, &mapped);
		/* Pages mapped before an error must be unmapped too. */
		done += mapped;
	} while (!ret && done < size);
	if (ret) {
		if (done)
			iommu_unmap(domain, iova, done);
		return ret;
	}
	trace_map(iova, paddr, size);
	return 0;
}

/* iommu_map_runs() of one page (iommu_is_one_page()), without a loop. */
static __always_inline int iommu_map_one_page(struct iommu_domain *domain,
					      unsigned long iova,
					      phys_addr_t paddr, size_t size,
					      int prot, gfp_t gfp)
{
	size_t mapped = 0;
	int ret;

	ret = iommu_domain_can_map(domain);
	if (ret)
		return ret;
	ret = domain->ops->map_pages(domain, iova, paddr, size, 1, prot, gfp,
				     &mapped);
	if (unlikely(ret)) {
		if (mapped)
			iommu_unmap(domain, iova, mapped);
		return ret;
	}
	trace_map(iova, paddr, size);
	return 0;
}

/* Map without a sync; on error nothing of the range stays mapped. */
static __always_inline int iommu_map_nosync(struct iommu_domain *domain,
					    unsigned long iova,
					    phys_addr_t paddr, size_t size,
					    int prot, gfp_t gfp)
{
	if (likely(iommu_is_one_page(domain, iova, paddr, size)))
		return iommu_map_one_page(domain, iova, paddr, size, prot, gfp);
	return iommu_map_runs(domain, iova, paddr, size, prot, gfp);
}

/* The IOTLB sync after a map; on error the range is unmapped again. */
static __always_inline int iommu_map_sync(struct iommu_domain *domain,
					  unsigned long iova, size_t size)
{
	int ret;

	if (!domain->ops->iotlb_sync_map)
		return 0;
	ret = domain->ops->iotlb_sync_map(domain, iova, size);
	if (ret)
		iommu_unmap(domain, iova, size);
	return ret;
}

/**
 * iommu_map() - Map a physical range into a paging domain
 * @domain: the domain
 * @iova: where the range goes in the domain's address space
 * @paddr: the physical address
 * @size: the length, a multiple of the smallest page size
 * @prot: IOMMU_READ, IOMMU_WRITE, ...
 * @gfp: for page table allocations
 *
 * Context: Process context if @gfp may block, otherwise any context.
 * Return: 0; -EINVAL for a domain that is not paging or a misaligned,
 * empty or wrapping range; -ENODEV for a driver that cannot map; or the
 * driver's errno.  On error nothing of the range is mapped.
 */
int iommu_map(struct iommu_domain *domain, unsigned long iova,
	      phys_addr_t paddr, size_t size, int prot, gfp_t gfp)
{
	int ret;

	might_sleep_if(gfpflags_allow_blocking(gfp));
	if (WARN_ON_ONCE(gfp & IOMMU_MAP_BAD_GFP))
		return -EINVAL;

	ret = iommu_map_nosync(domain, iova, paddr, size, prot, gfp);
	return ret ?: iommu_map_sync(domain, iova, size);
}
EXPORT_SYMBOL_GPL(iommu_map);

/**
 * iommu_unmap() - Unmap a range and flush the IOTLB for it
 * @domain: the domain
 * @iova: start of the range
 * @size: its length
 *
 * Context: Process context, or as the driver's unmap allows.
 * Return: how many bytes were unmapped from @iova on, which may exceed
 * @size if a larger page straddled its end, or fall short at a hole; 0 for
 * bad arguments.
 */
size_t iommu_unmap(struct iommu_domain *domain, unsigned long iova,
		   size_t size)
{
	/* Initialised in full below: no zeroing by the stack auto-init. */
	struct iommu_iotlb_gather gather __uninitialized;
	size_t unmapped;

	iommu_iotlb_gather_init(&gather);
	if (likely(iommu_is_one_page(domain, iova, 0, size)))
		unmapped = iommu_unmap_one_page(domain, iova, size, &gather);
	else
		unmapped = iommu_unmap_runs(domain, iova, size, &gather);
	iommu_unmap_sync(domain, &gather);
	return unmapped;
}
EXPORT_SYMBOL_GPL(iommu_unmap);

/**
 * iommu_unmap_fast() - Unmap a range, leaving the IOTLB flush to the caller
 * @domain: the domain
 * @iova: start of the range
 * @size: its length
 * @iotlb_gather: collects what must be flushed, by iommu_iotlb_sync()
 *
 * Context: As iommu_unmap().
 * Return: as iommu_unmap().
 */
size_t iommu_unmap_fast(struct iommu_domain *domain, unsigned long iova,
			size_t size, struct iommu_iotlb_gather *iotlb_gather)
{
	if (unlikely(!iommu_is_one_page(domain, iova, 0, size)))
		return iommu_unmap_runs(domain, iova, size, iotlb_gather);
	return iommu_unmap_one_page(domain, iova, size, iotlb_gather);
}
EXPORT_SYMBOL_GPL(iommu_unmap_fast);

/* A physically contiguous part of a scatterlist: one copy of the path. */
static int iommu_map_segment(struct iommu_domain *domain, unsigned long iova,
			     phys_addr_t paddr, size_t size, int prot, gfp_t gfp)
{
	return iommu_map_nosync(domain, iova, paddr, size, prot, gfp);
}

/**
 * iommu_map_sg() - Map a scatterlist at consecutive IOVAs
 * @domain: the domain
 * @iova: where the first segment goes
 * @sg: the scatterlist; physically contiguous segments are mapped together
 * @nents: number of entries
 * @prot: IOMMU_READ, IOMMU_WRITE, ...
 * @gfp: for page table allocations
 *
 * Segments already addressed on the bus (P2PDMA) are skipped.
 *
 * Context: As iommu_map().
 * Return: the number of bytes mapped, or an errno with nothing mapped.
 */
ssize_t iommu_map_sg(struct iommu_domain *domain, unsigned long iova,
		     struct scatterlist *sg, unsigned int nents, int prot,
		     gfp_t gfp)
{
	phys_addr_t run_start = 0;
	size_t run_len = 0, mapped = 0;
	struct scatterlist *s;
	unsigned int i;
	int ret;

	might_sleep_if(gfpflags_allow_blocking(gfp));
	if (WARN_ON_ONCE(gfp & IOMMU_MAP_BAD_GFP))
		return -EINVAL;

	for_each_sg(sg, s, nents, i) {
		if (sg_dma_is_bus_address(s))
			continue;
		if (run_len && sg_phys(s) == run_start + run_len) {
			run_len += s->length;
			continue;
		}
		if (run_len) {
			ret = iommu_map_segment(domain, iova + mapped,
						run_start, run_len, prot, gfp);
			if (ret)
				goto err_unmap;
			mapped += run_len;
		}
		run_start = sg_phys(s);
		run_len = s->length;
	}
	if (run_len) {
		ret = iommu_map_segment(domain, iova + mapped, run_start,
					run_len, prot, gfp);
		if (ret)
			goto err_unmap;
		mapped += run_len;
	}

	ret = iommu_map_sync(domain, iova, mapped);
	return ret ?: mapped;

err_unmap:
	if (mapped)
		iommu_unmap(domain, iova, mapped);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_map_sg);

/**
 * iommu_iova_to_phys() - Translate an IOVA through a domain
 * @domain: the domain
 * @iova: the address
 *
 * Context: Any context the driver's iova_to_phys() allows.
 * Return: the physical address, or 0 if nothing is mapped there.
 */
phys_addr_t iommu_iova_to_phys(struct iommu_domain *domain, dma_addr_t iova)
{
	if (domain->type == IOMMU_DOMAIN_IDENTITY)
		return iova;
	if (domain->type == IOMMU_DOMAIN_BLOCKED || !domain->ops->iova_to_phys)
		return 0;
	return domain->ops->iova_to_phys(domain, iova);
}
EXPORT_SYMBOL_GPL(iommu_iova_to_phys);
