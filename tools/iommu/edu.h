/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user-space driver of QEMU's edu device (1234:11e8) through VFIO, for
 * the programs that prove DMA isolation with it (edu-dma.c, edu-nested.c):
 * the claim (a VFIO container, or the cdev bound to iommufd with an IOAS),
 * IOAS and container mappings, and the device's DMA engine.
 *
 * The edu device: BAR0 register 0x00 reads 0x010000ed; 0x80 DMA source,
 * 0x88 destination, 0x90 count, 0x98 command (bit 0 start, cleared by the
 * device when done; bit 1 direction: 0 RAM to device, 1 device to RAM).
 * Its 4 KiB buffer is at device address 0x40000 and its DMA addresses are
 * masked to 28 bits.  A transfer takes 100 ms of QEMU's virtual clock.
 * A DMA the IOMMU refuses completes all the same: the device's buffer is
 * only ever seen through another DMA, and a page of ours only through a
 * comparison with what we put there.
 *
 * Every step that fails ends the program through must(); check() counts
 * a failed assertion in @failures and goes on.
 */
#ifndef _TOOLS_IOMMU_EDU_H
#define _TOOLS_IOMMU_EDU_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define PAGE			4096UL

#define EDU_IDENT		0x00
#define EDU_IDENT_VALUE		0x010000ed
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_CNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_CMD_RUN		0x1
#define EDU_CMD_TO_RAM		0x2
#define EDU_BUF			0x40000UL	/* device address of its buffer */
#define EDU_DMA_MASK		((1UL << 28) - 1)

#define MAX_RANGES		16
/*
 * The length of a transfer that must not land.  QEMU's virtio-iommu
 * reports every 4 bytes of a refused transfer as an event, and a page of
 * them (1,024) overran its event queue of 256: once, beside other
 * guests, the driver then took no event for 46 s, not even those of the
 * next case's fault.  64 bytes are 16 events; whether a byte of them
 * landed is the question, not how many.
 */
#define PROBE_LEN		64
/* A hang guard, not a measure: a transfer takes 100 ms of virtual time. */
#define DMA_DONE_SECONDS	60

enum way { CONTAINER, CDEV };

struct iova_range {
	uint64_t start, last;
};

struct edu {
	const char *bdf;
	enum way way;
	int device;
	uint64_t bar0, config;			/* region offsets in @device */
	int container, group;			/* CONTAINER */
	int iommufd;				/* CDEV */
	uint32_t ioas, dev_id;
	struct iova_range ranges[MAX_RANGES];	/* where mapping is allowed */
	int nr_ranges;
};

/* The number of failed check()s */
extern int failures;
/* EDU_DMA_SABOTAGE: "skip-unmap" makes unmap_in() a no-op */
extern const char *sabotage;

void check(int ok, const char *fmt, ...);
void must(int ok, const char *fmt, ...);
void skip(const char *why);

void fill(void *p, size_t len, uint32_t tag);
int holds(const void *buf, size_t len, uint32_t tag);
void *pages(size_t len, int flags);

uint32_t reg_read(struct edu *e, uint64_t reg);
void reg_write(struct edu *e, uint64_t reg, uint32_t v);
void to_device(struct edu *e, uint64_t iova, uint64_t off, uint32_t len);
void to_ram(struct edu *e, uint64_t off, uint64_t iova, uint32_t len);

void edu_open(struct edu *e, enum way how, const char *bdf);
void edu_close(struct edu *e);
uint32_t ioas_alloc(struct edu *e);
int cdev_attach(struct edu *e, uint32_t pt_id);
int cdev_detach(struct edu *e);
int iova_allowed(struct edu *e, uint64_t iova, uint64_t len);
int map_in(struct edu *e, uint32_t ioas, uint64_t iova, void *va,
	   uint64_t len, int writable);
void map(struct edu *e, uint64_t iova, void *va, uint64_t len, int writable);
uint64_t unmap_in(struct edu *e, uint32_t ioas, uint64_t iova, uint64_t len);
void unmap(struct edu *e, uint64_t iova, uint64_t len);

#endif
