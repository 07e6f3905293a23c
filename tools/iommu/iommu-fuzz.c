// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-fuzz: a bounded, seeded fuzzer of the iommufd vIOMMU/vDEVICE ioctls
 * and the VFIO group/container ioctls.
 *
 *   iommu-fuzz [-s SEED] [-n ITERATIONS] [-t SECONDS] [-d BDF] [-r BDF] [-v]
 *
 * The seed is printed first; the same seed, iteration count and devices
 * give the same sequence of calls.  The run is bounded by its iterations.
 * SECONDS, when given, guards a run by hand against a hang, and a run that
 * reaches it fails; the test harness passes none, as its guest's clock may
 * run at any pace on an emulated CPU and QEMU's own timeout guards it.
 * Each iteration picks an operation at
 * random and fills it with random or edge values: sizes (0, short, long with
 * a zero or non-zero tail, huge), unknown flags, non-zero reserved fields,
 * live, destroyed, garbage and wrong-kind object IDs, read-only and NULL
 * argument buffers.
 *
 * A model of what the kernel holds goes with it: the objects of one iommufd
 * (IOAS, HWPTs, mock devices from IOMMU_TEST_OP_MOCK_DOMAIN on the
 * selftest's two mock IOMMU instances, vIOMMUs, vDEVICEs, a VFIO cdev bound
 * to it), the IOVA areas of each IOAS, and the VFIO side (containers, the
 * group of -d BDF bound to vfio-pci, the never viable group of -r BDF,
 * device fds, the device's cdev) with each container's DMA mappings.  From
 * it each call gets the set of outcomes the UAPI allows (success, or which
 * errnos); any other outcome is counted as unexpected and printed.  Where
 * the model cannot tell cheaply it accepts any outcome and follows the
 * kernel's answer.
 *
 * At the end every object and fd is destroyed or closed (in an order the
 * seed picks), the counts per operation are printed, and the exit status is
 * 0 only if nothing was unexpected.  The guest suite (harness/guest/fuzz.sh)
 * checks kmemleak afterwards.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "../../drivers/iommu/iommufd/iommufd_test.h"
#include "iommu-group.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PG		4096UL

/* Where the fuzzer maps: inside the mock IOMMUs' aperture [16M, 2G) */
#define WIN_START	0x1000000UL	/* 16 MiB */
#define WIN_LEN		0x4000000UL	/* 64 MiB */
/* VFIO container IOVAs: above 4G, clear of the MSI window */
#define VWIN_START	0x100000000UL	/* 4 GiB */
#define VWIN_LEN	0x4000000UL
#define BUF_LEN		0x100000UL	/* 1 MiB */
#define ARENA_LEN	(16 * PG)

/* The kernel's minimum for IOMMU_TEST_CMD: it ends at @last, not padded */
#define TEST_CMD_MIN	(offsetof(struct iommu_test_cmd, last) + sizeof(__u32))

#define MAX_ID		1024
#define MAX_LIVE	160
#define MAX_AREAS	64
#define MAX_DEVFDS	4

/* The outcomes a call may have: success or one of these errnos */
static const int xerrno[] = {
	0, ENOENT, EINVAL, EBUSY, EEXIST, EOPNOTSUPP, E2BIG, EFAULT, EBADF,
	EBADFD, EPERM, ENODEV, ENOTTY, EOVERFLOW, EIO,
};

enum {
	V_OK = 1 << 0, V_ENOENT = 1 << 1, V_EINVAL = 1 << 2, V_EBUSY = 1 << 3,
	V_EEXIST = 1 << 4, V_EOPNOTSUPP = 1 << 5, V_E2BIG = 1 << 6,
	V_EFAULT = 1 << 7, V_EBADF = 1 << 8, V_EBADFD = 1 << 9,
	V_EPERM = 1 << 10, V_ENODEV = 1 << 11, V_ENOTTY = 1 << 12,
	V_EOVERFLOW = 1 << 13, V_EIO = 1 << 14, V_OTHER = 1 << 15,
	V_ERR = 0xffff & ~V_OK,
	V_ANY = 0xffff,
};

enum op {
	OP_IOAS_ALLOC, OP_MOCK_DEV, OP_HWPT_ALLOC, OP_VIOMMU_ALLOC,
	OP_VDEVICE_ALLOC, OP_DESTROY, OP_IOAS_MAP, OP_IOAS_UNMAP, OP_FIND_DEV,
	OP_REPLACE, OP_VIOMMU_NESTED, OP_INVALIDATE, OP_HW_INFO, OP_BAD_IOCTL,
	OP_REOPEN,
	OP_VFIO_CONTAINER, OP_VFIO_VERSION, OP_VFIO_EXTENSION,
	OP_VFIO_GROUP, OP_VFIO_STATUS, OP_VFIO_SET_CONTAINER,
	OP_VFIO_UNSET_CONTAINER, OP_VFIO_SET_IOMMU, OP_VFIO_MAP,
	OP_VFIO_UNMAP, OP_VFIO_DEVICE_FD, OP_VFIO_DEVICE, OP_VFIO_CDEV,
	OP_CDEV_BIND, OP_CDEV_ATTACH, OP_VFIO_SETUP,
	OP_TEARDOWN,
	NR_OPS,
};

static const struct {
	const char *name;
	unsigned int weight;	/* how often it is picked */
	bool vfio;		/* needs the VFIO device */
} ops[NR_OPS] = {
	[OP_IOAS_ALLOC] = { "IOMMU_IOAS_ALLOC", 5 },
	[OP_MOCK_DEV] = { "TEST_OP_MOCK_DOMAIN", 6 },
	[OP_HWPT_ALLOC] = { "IOMMU_HWPT_ALLOC", 10 },
	[OP_VIOMMU_ALLOC] = { "IOMMU_VIOMMU_ALLOC", 12 },
	[OP_VDEVICE_ALLOC] = { "IOMMU_VDEVICE_ALLOC", 16 },
	[OP_DESTROY] = { "IOMMU_DESTROY", 18 },
	[OP_IOAS_MAP] = { "IOMMU_IOAS_MAP", 8 },
	[OP_IOAS_UNMAP] = { "IOMMU_IOAS_UNMAP", 6 },
	[OP_FIND_DEV] = { "TEST_OP_VIOMMU_FIND_DEV", 8 },
	[OP_REPLACE] = { "TEST_OP_MOCK_DOMAIN_REPLACE", 4 },
	[OP_VIOMMU_NESTED] = { "IOMMU_HWPT_ALLOC on a vIOMMU", 8 },
	[OP_INVALIDATE] = { "IOMMU_HWPT_INVALIDATE", 6 },
	[OP_HW_INFO] = { "IOMMU_GET_HW_INFO", 2 },
	[OP_BAD_IOCTL] = { "iommufd unknown ioctl", 1 },
	[OP_REOPEN] = { "close+open /dev/iommu", 1 },
	[OP_VFIO_CONTAINER] = { "open/close /dev/vfio/vfio", 3, true },
	[OP_VFIO_VERSION] = { "VFIO_GET_API_VERSION", 2, true },
	[OP_VFIO_EXTENSION] = { "VFIO_CHECK_EXTENSION", 3, true },
	[OP_VFIO_GROUP] = { "open/close group", 4, true },
	[OP_VFIO_STATUS] = { "VFIO_GROUP_GET_STATUS", 4, true },
	[OP_VFIO_SET_CONTAINER] = { "VFIO_GROUP_SET_CONTAINER", 6, true },
	[OP_VFIO_UNSET_CONTAINER] = { "VFIO_GROUP_UNSET_CONTAINER", 3, true },
	[OP_VFIO_SET_IOMMU] = { "VFIO_SET_IOMMU", 5, true },
	[OP_VFIO_MAP] = { "VFIO_IOMMU_MAP_DMA", 8, true },
	[OP_VFIO_UNMAP] = { "VFIO_IOMMU_UNMAP_DMA", 6, true },
	[OP_VFIO_DEVICE_FD] = { "VFIO_GROUP_GET_DEVICE_FD", 5, true },
	[OP_VFIO_DEVICE] = { "device fd: GET_INFO/close", 3, true },
	[OP_VFIO_CDEV] = { "open/close vfio cdev", 2, true },
	[OP_CDEV_BIND] = { "VFIO_DEVICE_BIND_IOMMUFD", 2, true },
	[OP_CDEV_ATTACH] = { "VFIO_DEVICE_ATTACH_IOMMUFD_PT", 2, true },
	[OP_VFIO_SETUP] = { "VFIO set-up steps (counted above)", 3, true },
	[OP_TEARDOWN] = { "teardown", 0 },
};

static struct {
	unsigned long calls, ok, refused, unexpected;
} stats[NR_OPS];

static uint64_t seed, rng;
static unsigned long iter;
static bool verbose;
static unsigned long unexpected;

/* splitmix64: small, fast, and the same sequence everywhere */
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int below(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

static unsigned int outcome(long rc)
{
	unsigned int i;

	if (rc >= 0)
		return V_OK;
	for (i = 1; i < ARRAY_SIZE(xerrno); i++)
		if (errno == xerrno[i])
			return 1U << i;
	return V_OTHER;
}

static void describe(char *buf, size_t len, unsigned int want)
{
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(xerrno) && n < len; i++) {
		if (!(want & (1U << i)))
			continue;
		n += snprintf(buf + n, len - n, "%s%s", n ? "|" : "",
			      i ? strerror(xerrno[i]) : "success");
	}
	if ((want & V_OTHER) && n < len)
		snprintf(buf + n, len - n, "%sother", n ? "|" : "");
}

/*
 * judge: count the result of one call of @op and complain if the model did
 * not allow it.  Returns the outcome bit.
 */
static unsigned int judge(enum op op, long rc, unsigned int want,
			  const char *fmt, ...)
{
	unsigned int got;
	int err = errno;
	char what[160], wants[200];
	va_list ap;

	got = outcome(rc);
	stats[op].calls++;
	if (got == V_OK)
		stats[op].ok++;
	else
		stats[op].refused++;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (verbose)
		printf("%lu %s %s: %s\n", iter, ops[op].name, what,
		       got == V_OK ? "ok" : strerror(err));
	if (!(got & want)) {
		stats[op].unexpected++;
		if (++unexpected <= 40) {
			describe(wants, sizeof(wants), want);
			printf("UNEXPECTED iteration %lu: %s %s: %s, want %s\n",
			       iter, ops[op].name, what,
			       got == V_OK ? "success" : strerror(err), wants);
		}
	}
	errno = err;
	return got;
}

static void mismatch(enum op op, const char *fmt, ...)
{
	va_list ap;

	stats[op].unexpected++;
	if (++unexpected > 40)
		return;
	printf("UNEXPECTED iteration %lu: %s: ", iter, ops[op].name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* ---- Argument buffers ---- */

/*
 * The arena: zeroed pages followed by an inaccessible guard page, so that a
 * huge size makes the kernel's zero-tail check fault deterministically.
 */
static unsigned char *arena;
static unsigned char *dmabuf;	/* pinned by the maps */
static unsigned char *holes;	/* PROT_NONE: a bad user_va/vaddr */

enum shape {
	SHAPE_EXACT,
	SHAPE_SHORT,		/* below the minimum: EINVAL */
	SHAPE_LONG_ZERO,	/* longer, zero tail: as exact */
	SHAPE_LONG_DIRTY,	/* longer, non-zero tail: E2BIG */
	SHAPE_HUGE,		/* runs into the guard page: EFAULT */
	SHAPE_NULL,		/* NULL argument: EFAULT */
	SHAPE_READONLY,		/* the answer cannot be written: EFAULT */
};

static enum shape pick_shape(bool readonly_ok)
{
	unsigned int r = below(100);

	if (r < 80)
		return SHAPE_EXACT;
	if (r < 84)
		return SHAPE_SHORT;
	if (r < 88)
		return SHAPE_LONG_ZERO;
	if (r < 92)
		return SHAPE_LONG_DIRTY;
	if (r < 94)
		return SHAPE_HUGE;
	if (r < 96)
		return SHAPE_NULL;
	return readonly_ok ? SHAPE_READONLY : SHAPE_EXACT;
}

static const char *const shape_names[] = {
	"", " [short]", " [long]", " [long, dirty tail]", " [huge]",
	" [NULL]", " [read-only]",
};

/*
 * iommufd_call: issue an iommufd ioctl whose command (@len bytes, the
 * kernel's struct size, the first u32 the size) is at @cmd, in @shape.
 * @min is the kernel's minimum size.  @want is what the model allows for
 * the exact shape; the shape narrows it.  On return the answer is back in
 * @cmd (for the shapes that let the kernel write it).
 */
static unsigned int iommufd_call(enum op op, int fd, unsigned long nr,
				 void *cmd, size_t len, size_t min,
				 enum shape shape, unsigned int want,
				 const char *fmt, ...)
{
	unsigned char *p = arena;
	__u32 size = len;
	unsigned int got;
	char what[160];
	va_list ap;
	long rc;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	memset(arena, 0, ARENA_LEN);
	switch (shape) {
	case SHAPE_EXACT:
	case SHAPE_READONLY:
		break;
	case SHAPE_SHORT:
		size = below(min);
		want = V_EINVAL;
		break;
	case SHAPE_LONG_ZERO:
		size = len + 1 + below(ARENA_LEN - len - 1);
		break;
	case SHAPE_LONG_DIRTY:
		size = len + 1 + below(64);
		arena[len + below(size - len)] = 1 + below(255);
		want = V_E2BIG;
		break;
	case SHAPE_HUGE:
		size = chance(50) ? 0xffffffff : ARENA_LEN + 1 + below(1 << 20);
		want = V_EFAULT;
		break;
	case SHAPE_NULL:
		p = NULL;
		want = V_EFAULT;
		break;
	}
	memcpy(arena, cmd, len);
	memcpy(arena, &size, sizeof(size));
	if (shape == SHAPE_READONLY) {
		mprotect(arena, ARENA_LEN, PROT_READ);
		/* A refusal before the answer stays a refusal */
		want = (want & ~V_OK) | (want & V_OK ? V_EFAULT : 0);
	}
	rc = ioctl(fd, nr, p);
	if (shape == SHAPE_READONLY)
		mprotect(arena, ARENA_LEN, PROT_READ | PROT_WRITE);
	got = judge(op, rc, want, "%s%s", what, shape_names[shape]);
	if (p)
		memcpy(cmd, arena, len);
	return got;
}

/* ---- The iommufd model ---- */

enum kind {
	K_FREE, K_IOAS, K_HWPT, K_NESTED, K_STDEV, K_IDEV, K_VIOMMU, K_VDEV,
	NR_KINDS,
};

static const char *const kind_names[] = {
	"free", "IOAS", "HWPT", "nested HWPT", "mock device", "device",
	"vIOMMU", "vDEVICE",
};

struct area {
	__u64 iova, len;
};

struct obj {
	enum kind kind;
	int users;		/* objects of the model holding this one */
	/* IOAS */
	bool wild;		/* areas not modelled any more */
	int nareas;
	struct area areas[MAX_AREAS];
	/* HWPT, nested HWPT, vIOMMU: what it sits on */
	__u32 on;
	bool auto_dom, parent, vtd;
	/* mock device (STDEV): its device and HWPT; device: its mock device */
	__u32 idev, hwpt, stdev;
	/* device: 1 or 2 (mock instances), 0 (the VFIO cdev's IOMMU) */
	int iommu;
	bool no_dirty;
	/* vIOMMU: the instance; vDEVICE: vIOMMU, device, virtual ID */
	__u32 viommu;
	__u64 virt_id;
};

static struct obj objs[MAX_ID];
static int nlive;
static int iommufd = -1;
static unsigned int ctx_gen;

static struct obj *obj(__u32 id)
{
	static struct obj none;

	if (id == 0 || id >= MAX_ID) {
		memset(&none, 0, sizeof(none));
		return &none;
	}
	return &objs[id];
}

static bool is(__u32 id, enum kind kind)
{
	return obj(id)->kind == kind;
}

static void model_new(__u32 id, enum kind kind, enum op op)
{
	struct obj *o;

	if (id == 0 || id >= MAX_ID || objs[id].kind != K_FREE) {
		mismatch(op, "new %s has ID %u, %s in the model", kind_names[kind],
			 id, id && id < MAX_ID ? kind_names[objs[id].kind] : "out of range");
		return;
	}
	o = &objs[id];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	nlive++;
	if (verbose)
		printf("%lu   model: %u is a new %s\n", iter, id, kind_names[kind]);
}

static void model_free(__u32 id)
{
	if (id && id < MAX_ID && objs[id].kind != K_FREE) {
		if (verbose)
			printf("%lu   model: %u (%s) is gone\n", iter, id,
			       kind_names[objs[id].kind]);
		/* Nothing of it may linger: checks read the fields */
		memset(&objs[id], 0, sizeof(objs[id]));
		nlive--;
	}
}

/* A live object of @kind, or any ID: live of another kind, free, garbage */
static __u32 pick_id(enum kind kind)
{
	__u32 id, start, cands[MAX_ID];
	unsigned int n = 0, r = below(100);

	start = below(MAX_ID);
	if (r < 75) {
		for (id = 1; id < MAX_ID; id++)
			if (objs[id].kind == kind)
				cands[n++] = id;
		if (n)
			return cands[below(n)];
	}
	if (r < 88) {
		for (id = 1; id < MAX_ID; id++)
			if (objs[id].kind != K_FREE)
				cands[n++] = id;
		if (n)
			return cands[below(n)];
	}
	switch (below(6)) {
	case 0:
		return 0;
	case 1:
		return 0xffffffff;
	case 2:
		return 0x80000000U | rnd();
	case 3:
		return rnd();
	default:
		/* Low IDs: free ones and recently freed ones */
		return 1 + (start % 64);
	}
}

/* The @nth lowest ID the kernel would allocate next (xa_alloc) */
static __u32 free_id(unsigned int nth)
{
	__u32 id;

	for (id = 1; id < MAX_ID; id++)
		if (objs[id].kind == K_FREE && !--nth)
			return id;
	return 0;
}

/* A live object of @kind for which @pred(o, arg) holds, or 0 */
static __u32 pick_where(enum kind kind, bool (*pred)(struct obj *o, long arg),
			long arg)
{
	__u32 id, cands[MAX_ID];
	unsigned int n = 0;

	for (id = 1; id < MAX_ID; id++)
		if (objs[id].kind == kind && pred(&objs[id], arg))
			cands[n++] = id;
	return n ? cands[below(n)] : 0;
}

/* A nesting parent of the VFIO device's IOMMU (@real) or of a mock one */
static bool parent_of(struct obj *o, long real)
{
	return o->parent && o->vtd == !!real;
}

static bool on_iommu(struct obj *o, long iommu)
{
	return o->iommu == iommu;
}

static bool on_viommu(struct obj *o, long viommu)
{
	return o->viommu == viommu;
}

/* How often (%) a pick prefers the VFIO device's IOMMU: more with -c */
static unsigned int real_bias = 35;

/* An ID of @kind, often one of the VFIO device's IOMMU (a device, vIOMMU) */
static __u32 pick_real_first(enum kind kind)
{
	__u32 real = pick_where(kind, on_iommu, 0);

	return real && chance(real_bias) ? real : pick_id(kind);
}

static __u32 pick_dev(void)
{
	return pick_real_first(K_IDEV);
}

static __u32 pick_viommu(void)
{
	return pick_real_first(K_VIOMMU);
}

/* The device (or mock device) @id is attached to HWPT @hwpt from now on */
static void model_attach(__u32 hwpt, __u32 ioas)
{
	if (!is(hwpt, K_HWPT) && !is(hwpt, K_NESTED)) {
		/* A new automatic HWPT on the IOAS */
		model_new(hwpt, K_HWPT, OP_MOCK_DEV);
		obj(hwpt)->auto_dom = true;
		obj(hwpt)->on = ioas;
		obj(ioas)->users++;
	}
	obj(hwpt)->users++;
	if (verbose)
		printf("%lu   model: attached to %u, %d user(s)\n", iter, hwpt,
		       obj(hwpt)->users);
}

static void model_detach(__u32 hwpt)
{
	struct obj *h = obj(hwpt);

	h->users--;
	if (verbose)
		printf("%lu   model: detached from %u, %d user(s)\n", iter, hwpt,
		       h->users);
	if (h->kind == K_HWPT && h->auto_dom && !h->users) {
		obj(h->on)->users--;
		model_free(hwpt);
	}
}

static void model_destroy_vdev(__u32 id)
{
	obj(obj(id)->viommu)->users--;
	model_free(id);
}

/* What IOMMU_DESTROY does to the model; the caller checked it may */
static void model_destroy(__u32 id)
{
	struct obj *o = obj(id);
	__u32 v;

	switch (o->kind) {
	case K_IOAS:
		break;
	case K_HWPT:
	case K_NESTED:
	case K_VIOMMU:
		obj(o->on)->users--;
		break;
	case K_VDEV:
		model_destroy_vdev(id);
		return;
	case K_STDEV:
		model_detach(o->hwpt);
		for (v = 1; v < MAX_ID; v++)
			if (objs[v].kind == K_VDEV && objs[v].idev == o->idev)
				model_destroy_vdev(v);
		model_free(o->idev);
		break;
	default:
		return;
	}
	model_free(id);
}

static unsigned int destroy_want(__u32 id)
{
	struct obj *o = obj(id);

	if (o->kind == K_FREE)
		return V_ENOENT;
	if (o->kind == K_IDEV || o->users)
		return V_EBUSY;
	return V_OK;
}

static void op_destroy(void)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd) };
	enum shape shape = pick_shape(false);
	unsigned int want;

	cmd.id = pick_id(below(NR_KINDS));
	want = destroy_want(cmd.id);
	if (iommufd_call(OP_DESTROY, iommufd, IOMMU_DESTROY, &cmd, sizeof(cmd),
			 sizeof(cmd), shape, want, "id %u (%s)", cmd.id,
			 kind_names[obj(cmd.id)->kind]) == V_OK)
		model_destroy(cmd.id);
}

static void allow_window(__u32 ioas)
{
	struct iommu_iova_range range = {
		.start = WIN_START, .last = WIN_START + WIN_LEN - 1,
	};
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd), .ioas_id = ioas, .num_iovas = 1,
		.allowed_iovas = (uintptr_t)&range,
	};

	/* Automatic IOVAs stay where mock devices can attach */
	if (ioctl(iommufd, IOMMU_IOAS_ALLOW_IOVAS, &cmd))
		mismatch(OP_IOAS_ALLOC, "IOMMU_IOAS_ALLOW_IOVAS %u: %s", ioas,
			 strerror(errno));
}

static void op_ioas_alloc(void)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	enum shape shape = pick_shape(true);
	unsigned int want = V_OK;

	if (chance(10)) {
		cmd.flags = 1U << below(32);
		want = V_EOPNOTSUPP;
	}
	if (iommufd_call(OP_IOAS_ALLOC, iommufd, IOMMU_IOAS_ALLOC, &cmd,
			 sizeof(cmd), sizeof(cmd), shape, want, "flags %#x",
			 cmd.flags) != V_OK || shape == SHAPE_READONLY)
		return;
	model_new(cmd.out_ioas_id, K_IOAS, OP_IOAS_ALLOC);
	allow_window(cmd.out_ioas_id);
}

static void op_mock_dev(void)
{
	struct iommu_test_cmd cmd = { .size = sizeof(cmd) };
	enum shape shape = pick_shape(true);
	unsigned int want, flags = 0;
	bool wild;
	__u32 pt;

	cmd.id = chance(85) ? pick_id(K_IOAS) : pick_id(K_HWPT);
	if (chance(50)) {
		cmd.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	} else {
		cmd.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS;
		if (chance(50))
			flags |= MOCK_FLAGS_DEVICE_IOMMU2;
		if (chance(20))
			flags |= MOCK_FLAGS_DEVICE_NO_DIRTY;
		if (chance(3))
			flags |= MOCK_FLAGS_DEVICE_HUGE_IOVA;
		if (chance(5))
			flags |= 1U << below(32);
		cmd.mock_domain_flags.dev_flags = flags;
	}
	pt = cmd.id;
	wild = obj(pt)->wild || (flags & MOCK_FLAGS_DEVICE_HUGE_IOVA);
	/* The device is made first, then attached to the IOAS or HWPT */
	if (flags & ~(MOCK_FLAGS_DEVICE_IOMMU2 | MOCK_FLAGS_DEVICE_NO_DIRTY |
		      MOCK_FLAGS_DEVICE_HUGE_IOVA))
		want = V_EINVAL;
	else if (is(pt, K_FREE))
		/*
		 * The mock device's object and its device (finalized) take
		 * the two lowest free IDs before the attach looks @pt up.
		 */
		want = pt == free_id(2) ? V_EINVAL : V_ENOENT;
	else if (is(pt, K_IOAS))
		want = wild ? V_ANY : V_OK;
	else if (is(pt, K_HWPT) || is(pt, K_NESTED))
		/* Compatible or not: the mock driver decides */
		want = obj(pt)->vtd ? V_ERR : V_ANY;
	else
		want = V_EINVAL;
	if (nlive > MAX_LIVE)
		return;
	if (iommufd_call(OP_MOCK_DEV, iommufd, IOMMU_TEST_CMD, &cmd,
			 sizeof(cmd), TEST_CMD_MIN, shape, want,
			 "on %u (%s) flags %#x", pt, kind_names[obj(pt)->kind],
			 flags) != V_OK ||
	    shape == SHAPE_READONLY)
		return;
	/* Both layouts have the IDs at the same place */
	if (obj(cmd.mock_domain.out_hwpt_id)->vtd)
		mismatch(OP_MOCK_DEV, "mock device on the VFIO device's HWPT %u",
			 cmd.mock_domain.out_hwpt_id);
	if (!is(pt, K_IOAS) && cmd.mock_domain.out_hwpt_id != pt)
		mismatch(OP_MOCK_DEV, "attached to %u, asked for %u (%s)",
			 cmd.mock_domain.out_hwpt_id, pt,
			 kind_names[obj(pt)->kind]);
	model_new(cmd.mock_domain.out_stdev_id, K_STDEV, OP_MOCK_DEV);
	model_new(cmd.mock_domain.out_idev_id, K_IDEV, OP_MOCK_DEV);
	model_attach(cmd.mock_domain.out_hwpt_id, pt);
	obj(cmd.mock_domain.out_stdev_id)->idev = cmd.mock_domain.out_idev_id;
	obj(cmd.mock_domain.out_stdev_id)->hwpt = cmd.mock_domain.out_hwpt_id;
	obj(cmd.mock_domain.out_idev_id)->stdev = cmd.mock_domain.out_stdev_id;
	obj(cmd.mock_domain.out_idev_id)->iommu =
		flags & MOCK_FLAGS_DEVICE_IOMMU2 ? 2 : 1;
	obj(cmd.mock_domain.out_idev_id)->no_dirty =
		flags & MOCK_FLAGS_DEVICE_NO_DIRTY;
	if (wild && is(pt, K_IOAS))
		obj(pt)->wild = true;
}

static void op_replace(void)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	};
	enum shape shape = pick_shape(false);
	__u32 old, pt, ioas = 0;
	unsigned int want;

	cmd.id = pick_id(K_STDEV);
	switch (below(3)) {
	case 0:
		cmd.mock_domain_replace.pt_id = pick_id(K_IOAS);
		break;
	case 1:
		cmd.mock_domain_replace.pt_id = pick_id(K_HWPT);
		break;
	default:
		cmd.mock_domain_replace.pt_id = pick_id(K_NESTED);
		break;
	}
	pt = cmd.mock_domain_replace.pt_id;
	/*
	 * Which HWPT it lands on and whether it is compatible: the kernel
	 * says; but never on a domain of another IOMMU driver.
	 */
	if (!is(cmd.id, K_STDEV))
		want = V_ENOENT;
	else if ((is(pt, K_HWPT) || is(pt, K_NESTED)) && obj(pt)->vtd)
		want = V_EINVAL;
	else
		want = V_ANY;
	if (iommufd_call(OP_REPLACE, iommufd, IOMMU_TEST_CMD, &cmd,
			 sizeof(cmd), TEST_CMD_MIN, shape, want,
			 "mock device %u to %u (%s)", cmd.id, pt,
			 kind_names[obj(pt)->kind]) != V_OK)
		return;
	/* The kernel answers with the HWPT the device is now attached to */
	if (is(pt, K_IOAS)) {
		ioas = pt;
	} else if ((!is(pt, K_HWPT) && !is(pt, K_NESTED)) ||
		   cmd.mock_domain_replace.pt_id != pt) {
		mismatch(OP_REPLACE, "replaced onto %u (%s), asked for %u (%s)",
			 cmd.mock_domain_replace.pt_id,
			 kind_names[obj(cmd.mock_domain_replace.pt_id)->kind],
			 pt, kind_names[obj(pt)->kind]);
		return;
	}
	if (obj(cmd.mock_domain_replace.pt_id)->vtd)
		mismatch(OP_REPLACE, "mock device on the VFIO device's HWPT %u",
			 cmd.mock_domain_replace.pt_id);
	old = obj(cmd.id)->hwpt;
	model_attach(cmd.mock_domain_replace.pt_id, ioas);
	model_detach(old);
	obj(cmd.id)->hwpt = cmd.mock_domain_replace.pt_id;
}

static void op_hwpt_alloc(void)
{
	/* A zero tail: a longer data_len reads zeroes (and is refused) */
	struct {
		struct iommu_hwpt_selftest cfg;
		__u8 tail[64];
	} data = { .cfg = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT } };
	/* The mock driver gets FAULT_ID_VALID too, and refuses it */
	const __u32 valid = IOMMU_HWPT_ALLOC_NEST_PARENT |
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	struct iommu_hwpt_alloc cmd = { .size = sizeof(cmd) };
	enum shape shape = pick_shape(true);
	struct obj *dev, *pt;
	unsigned int want;
	bool nested;

	cmd.dev_id = chance(90) ? pick_dev() : pick_id(K_FREE);
	nested = chance(25);
	cmd.pt_id = pick_id(nested ? K_HWPT : K_IOAS);
	/* A vIOMMU parent is op_viommu_nested()'s */
	if (is(cmd.pt_id, K_VIOMMU))
		return;
	switch (below(8)) {
	case 0:
	case 1:
	case 2:
		cmd.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
		break;
	case 3:
		cmd.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
		break;
	case 4:
		cmd.flags = 1U << below(32);
		break;
	default:
		break;
	}
	if (nested) {
		cmd.flags = chance(90) ? 0 : 1U << below(32);
		cmd.data_type = IOMMU_HWPT_DATA_SELFTEST;
		cmd.data_len = sizeof(data.cfg);
		cmd.data_uptr = (uintptr_t)&data;
	}
	if (chance(5))
		cmd.__reserved = 1 + below(100);
	if (chance(5))
		cmd.data_len = chance(50) ? 0 : 1 + below(64);
	dev = obj(cmd.dev_id);
	pt = obj(cmd.pt_id);

	/* iommufd_hwpt_alloc() and the mock driver, in their order */
	if (cmd.__reserved)
		want = V_EOPNOTSUPP;
	else if (!cmd.data_type != !cmd.data_len)
		want = V_EINVAL;
	else if (dev->kind != K_IDEV)
		want = V_ENOENT;
	else if (dev->iommu == 0 && pt->kind != K_FREE)
		/* The VFIO device's real IOMMU: its driver decides */
		want = pt->kind == K_IOAS || pt->kind == K_HWPT ? V_ANY : V_ERR;
	else if (pt->kind == K_IOAS)
		want = cmd.flags & ~valid || cmd.data_len ||
		       (cmd.flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING &&
			dev->no_dirty) ? V_EOPNOTSUPP :
		       pt->wild ? V_ANY : V_OK;
	else if (pt->kind == K_HWPT)
		want = cmd.flags & ~IOMMU_HWPT_FAULT_ID_VALID || !cmd.data_len ?
		       V_EOPNOTSUPP :
		       pt->auto_dom || !pt->parent || pt->vtd ? V_EINVAL :
		       /* iommu_copy_struct_from_user(): no longer than ours */
		       cmd.data_len != sizeof(data.cfg) ? V_EINVAL : V_OK;
	else
		want = V_EINVAL;
	/* A nested one is allocated, then fault_id (0) is not found */
	if (want == V_OK && cmd.flags & IOMMU_HWPT_FAULT_ID_VALID)
		want = V_ENOENT;
	if (want & V_OK && nlive > MAX_LIVE)
		return;
	if (iommufd_call(OP_HWPT_ALLOC, iommufd, IOMMU_HWPT_ALLOC, &cmd,
			 sizeof(cmd), offsetof(struct iommu_hwpt_alloc, data_type),
			 shape, want, "dev %u (%s) pt %u (%s) flags %#x data %u",
			 cmd.dev_id, kind_names[dev->kind], cmd.pt_id,
			 kind_names[pt->kind], cmd.flags, cmd.data_len) != V_OK ||
	    shape == SHAPE_READONLY)
		return;
	if (pt->kind != K_IOAS && pt->kind != K_HWPT) {
		mismatch(OP_HWPT_ALLOC, "HWPT %u on a %s", cmd.out_hwpt_id,
			 kind_names[pt->kind]);
		return;
	}
	model_new(cmd.out_hwpt_id, pt->kind == K_IOAS ? K_HWPT : K_NESTED,
		  OP_HWPT_ALLOC);
	obj(cmd.out_hwpt_id)->on = cmd.pt_id;
	obj(cmd.out_hwpt_id)->parent = cmd.flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	obj(cmd.out_hwpt_id)->vtd = dev->iommu == 0;
	pt->users++;
}

/*
 * The VFIO device's IOMMU as IOMMU_GET_HW_INFO first reported it: the
 * model of what its driver does with vIOMMUs.  Of the real drivers only
 * the SMMUv3 has a vIOMMU, and only with both stages.
 */
static struct {
	bool known;
	__u32 type;		/* IOMMU_HW_INFO_TYPE_* */
	__u32 data_len;
	bool nesting;		/* SMMUv3 IDR0.S1P and S2P */
} real_iommu;

/* Calls the model sent to the VFIO device's vIOMMU code: made, and ok */
static struct {
	unsigned long viommu[2], nested[2], invalidate[2], issued;
} real_calls;

static void count_real(unsigned long *calls, unsigned int got)
{
	calls[0]++;
	if (got == V_OK)
		calls[1]++;
}

static bool real_smmu_nesting(void)
{
	return real_iommu.type == IOMMU_HW_INFO_TYPE_ARM_SMMUV3 &&
	       real_iommu.nesting;
}

static void real_iommu_learn(const struct iommu_hw_info *cmd,
			     const struct iommu_hw_info_arm_smmuv3 *smmu)
{
	real_iommu.known = true;
	real_iommu.type = cmd->out_data_type;
	real_iommu.data_len = cmd->data_len;
	real_iommu.nesting = (smmu->idr[0] & 3) == 3;
	if (verbose)
		printf("the VFIO device's IOMMU: hw_info type %u, %u bytes%s\n",
		       real_iommu.type, real_iommu.data_len,
		       real_smmu_nesting() ? ", an SMMUv3 with nesting" : "");
}

/*
 * IOMMU_GET_HW_INFO on a device ID: a mock device reports the selftest
 * type, the VFIO device what it reported the first time.  The kernel
 * copies what fits of its data and zeroes the rest of the user's buffer.
 */
static void hw_info(__u32 dev_id, enum shape shape, bool plain)
{
	union {
		struct iommu_hw_info_arm_smmuv3 smmu;
		__u8 bytes[64];
	} data;
	struct iommu_hw_info cmd = { .size = sizeof(cmd) };
	struct obj *dev = obj(dev_id);
	__u32 in_len, copied, i;
	unsigned int want;

	memset(&data, 0xa5, sizeof(data));
	cmd.dev_id = dev_id;
	cmd.data_len = plain || chance(70) ? sizeof(data) :
					     below(sizeof(data) + 1);
	cmd.data_uptr = (uintptr_t)&data;
	if (!plain && chance(5))
		cmd.flags = 1U << below(32);
	else if (!plain && chance(5))
		cmd.__reserved[below(3)] = 1 + below(255);
	in_len = cmd.data_len;
	if (cmd.flags || cmd.__reserved[0] || cmd.__reserved[1] ||
	    cmd.__reserved[2])
		want = V_EOPNOTSUPP;
	else
		want = dev->kind == K_IDEV ? V_OK : V_ENOENT;
	if (iommufd_call(OP_HW_INFO, iommufd, IOMMU_GET_HW_INFO, &cmd,
			 sizeof(cmd), offsetof(struct iommu_hw_info, out_capabilities),
			 shape, want, "dev %u (%s) data_len %u", dev_id,
			 kind_names[dev->kind], cmd.data_len) != V_OK ||
	    shape != SHAPE_EXACT)
		return;
	copied = cmd.data_len < in_len ? cmd.data_len : in_len;
	for (i = copied; i < sizeof(data); i++)
		if (data.bytes[i] != (i < in_len ? 0 : 0xa5)) {
			mismatch(OP_HW_INFO, "dev %u: data_len %u in, %u out, byte %u is %#x",
				 dev_id, in_len, cmd.data_len, i, data.bytes[i]);
			break;
		}
	if (dev->iommu && cmd.out_data_type != IOMMU_HW_INFO_TYPE_SELFTEST)
		mismatch(OP_HW_INFO, "mock dev %u: type %#x", dev_id,
			 cmd.out_data_type);
	/* The VFIO device's: learnt from a reply that fitted */
	if (dev->iommu || cmd.data_len > in_len)
		return;
	if (!real_iommu.known)
		real_iommu_learn(&cmd, &data.smmu);
	else if (cmd.out_data_type != real_iommu.type ||
		 cmd.data_len != real_iommu.data_len)
		mismatch(OP_HW_INFO, "VFIO dev %u: type %u, %u bytes; was %u, %u",
			 dev_id, cmd.out_data_type, cmd.data_len,
			 real_iommu.type, real_iommu.data_len);
}

static void op_hw_info(void)
{
	hw_info(chance(90) ? pick_dev() : pick_id(K_FREE), pick_shape(true),
		false);
}

/* What the VFIO device's driver answers IOMMU_VIOMMU_ALLOC with */
static unsigned int real_viommu_want(__u32 type, __u32 parent, bool *real)
{
	__u32 id;

	if (!real_iommu.known)
		return V_ANY;
	if (!real_smmu_nesting() || type != IOMMU_VIOMMU_TYPE_ARM_SMMUV3)
		return V_EOPNOTSUPP;
	*real = true;
	/* One vIOMMU per nesting parent: it owns the parent's VMID */
	for (id = 1; id < MAX_ID; id++)
		if (objs[id].kind == K_VIOMMU && objs[id].on == parent)
			return V_EBUSY;
	return V_OK;
}

static void op_viommu_alloc(void)
{
	struct iommu_viommu_alloc cmd = { .size = sizeof(cmd) };
	enum shape shape = pick_shape(true);
	struct obj *dev, *pt;
	unsigned int want, got;
	bool real = false;

	cmd.dev_id = pick_dev();
	dev = obj(cmd.dev_id);
	/* Mostly a nesting parent of the device's kind, else any ID */
	cmd.hwpt_id = chance(70) ? pick_where(K_HWPT, parent_of,
					      dev->iommu == 0) : 0;
	if (!cmd.hwpt_id)
		cmd.hwpt_id = pick_id(K_HWPT);
	switch (below(10)) {
	case 0:
		cmd.type = rnd();
		break;
	case 1:
		/* Reserved: refused before anything is looked up */
		cmd.type = IOMMU_VIOMMU_TYPE_DEFAULT;
		break;
	case 2:
		/* The other driver's type */
		cmd.type = dev->iommu ? IOMMU_VIOMMU_TYPE_ARM_SMMUV3 :
					IOMMU_VIOMMU_TYPE_SELFTEST;
		break;
	default:
		cmd.type = dev->iommu ? IOMMU_VIOMMU_TYPE_SELFTEST :
					IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
		break;
	}
	if (chance(5))
		cmd.flags = 1U << below(32);
	pt = obj(cmd.hwpt_id);
	if (cmd.flags || cmd.type == IOMMU_VIOMMU_TYPE_DEFAULT)
		want = V_EOPNOTSUPP;
	else if (dev->kind != K_IDEV || pt->kind != K_HWPT)
		want = V_ENOENT;
	else if (!pt->parent || pt->vtd != (dev->iommu == 0))
		want = V_EINVAL;
	else if (dev->iommu == 0)
		want = real_viommu_want(cmd.type, cmd.hwpt_id, &real);
	else if (cmd.type != IOMMU_VIOMMU_TYPE_SELFTEST)
		want = V_EOPNOTSUPP;
	else
		want = V_OK;
	if (want & V_OK && nlive > MAX_LIVE)
		return;
	got = iommufd_call(OP_VIOMMU_ALLOC, iommufd, IOMMU_VIOMMU_ALLOC, &cmd,
			   sizeof(cmd), sizeof(cmd), shape, want,
			   "dev %u (%s) hwpt %u (%s) type %#x flags %#x",
			   cmd.dev_id, kind_names[dev->kind], cmd.hwpt_id,
			   kind_names[pt->kind], cmd.type, cmd.flags);
	if (real && shape == SHAPE_EXACT)
		count_real(real_calls.viommu, got);
	if (got != V_OK || shape == SHAPE_READONLY)
		return;
	model_new(cmd.out_viommu_id, K_VIOMMU, OP_VIOMMU_ALLOC);
	obj(cmd.out_viommu_id)->on = cmd.hwpt_id;
	obj(cmd.out_viommu_id)->iommu = dev->iommu;
	pt->users++;
}

static __u64 pick_virt_id(__u32 viommu)
{
	__u32 id;

	/* Often one in use on this vIOMMU, to hit the duplicate case */
	if (chance(30))
		for (id = 1 + below(MAX_ID - 1); id < MAX_ID; id++)
			if (objs[id].kind == K_VDEV && objs[id].viommu == viommu)
				return objs[id].virt_id;
	switch (below(6)) {
	case 0:
		return 0;
	case 1:
		return chance(50) ? 0xffffffffULL : ULONG_MAX;
	case 2:
		return rnd();
	default:
		return below(16);
	}
}

static void op_vdevice_alloc(void)
{
	struct iommu_vdevice_alloc cmd = { .size = sizeof(cmd) };
	enum shape shape = pick_shape(true);
	struct obj *vi, *dev;
	unsigned int want;
	__u32 id;

	cmd.viommu_id = pick_viommu();
	/* Mostly a device behind the vIOMMU's IOMMU, else any ID */
	cmd.dev_id = 0;
	if (chance(60))
		cmd.dev_id = pick_where(K_IDEV, on_iommu,
					obj(cmd.viommu_id)->iommu);
	if (!cmd.dev_id)
		cmd.dev_id = pick_id(K_IDEV);
	cmd.virt_id = pick_virt_id(cmd.viommu_id);
	vi = obj(cmd.viommu_id);
	dev = obj(cmd.dev_id);
	if (vi->kind != K_VIOMMU || dev->kind != K_IDEV)
		want = V_ENOENT;
	else if (vi->iommu != dev->iommu)
		want = V_EINVAL;
	else
		want = V_OK;
	for (id = 1; want == V_OK && id < MAX_ID; id++)
		if (objs[id].kind == K_VDEV && objs[id].viommu == cmd.viommu_id &&
		    (objs[id].idev == cmd.dev_id || objs[id].virt_id == cmd.virt_id))
			want = V_EEXIST;
	if (want & V_OK && nlive > MAX_LIVE)
		return;
	if (iommufd_call(OP_VDEVICE_ALLOC, iommufd, IOMMU_VDEVICE_ALLOC, &cmd,
			 sizeof(cmd), sizeof(cmd), shape, want,
			 "viommu %u (%s) dev %u (%s) virt_id %#llx",
			 cmd.viommu_id, kind_names[vi->kind], cmd.dev_id,
			 kind_names[dev->kind],
			 (unsigned long long)cmd.virt_id) != V_OK ||
	    shape == SHAPE_READONLY)
		return;
	model_new(cmd.out_vdevice_id, K_VDEV, OP_VDEVICE_ALLOC);
	obj(cmd.out_vdevice_id)->viommu = cmd.viommu_id;
	obj(cmd.out_vdevice_id)->idev = cmd.dev_id;
	obj(cmd.out_vdevice_id)->virt_id = cmd.virt_id;
	vi->users++;
}

/*
 * The SMMUv3 STE fields (word 0: V 0, Cfg 3:1, S1Fmt 5:4, S1ContextPtr
 * 51:6, S1CDMax 63:59; word 1: S1DSS, S1CIR, S1COR, S1CSH 7:0, S1STALLD
 * 27, EATS 29:28) that a guest STE may set.
 */
#define STE0_ALLOWED	(0xf80fffffffffffffULL)
#define STE1_ALLOWED	(0x380000ffULL)

/*
 * A guest STE for IOMMU_HWPT_DATA_ARM_SMMUV3: mostly one the driver takes
 * (Cfg abort, bypass or stage 1, or V clear), else one bad field.
 * Returns whether the driver takes it.
 */
static bool make_vste(__u64 ste[2])
{
	static const __u64 cfgs[] = { 0, 4, 5 }, bad_cfgs[] = { 1, 2, 3, 6, 7 };
	__u64 s0 = 1 | cfgs[below(3)] << 1, s1 = 0;
	unsigned int bit;

	if (chance(60))
		s0 |= rnd() & STE0_ALLOWED & ~0xfULL;
	if (chance(50))
		s1 |= rnd() & STE1_ALLOWED & ~(3ULL << 28);
	if (chance(30))
		s1 |= 1ULL << 28;	/* EATS: translated requests */
	ste[0] = s0;
	ste[1] = s1;
	switch (below(10)) {
	case 0:
		/* Not valid: whatever the Cfg, the device is blocked */
		ste[0] = (s0 & ~1ULL) | (__u64)below(8) << 1;
		return true;
	case 1:
		ste[0] = (s0 & ~0xeULL) | bad_cfgs[below(5)] << 1;
		return false;
	case 2:
		do
			bit = below(64);
		while (STE0_ALLOWED & (1ULL << bit));
		ste[0] |= 1ULL << bit;
		return false;
	case 3:
		do
			bit = below(64);
		while (STE1_ALLOWED & (1ULL << bit));
		ste[1] |= 1ULL << bit;
		return false;
	case 4:
		/* EATS 2 (split stage) and 3 are reserved for a guest */
		ste[1] = (s1 & ~(3ULL << 28)) | (__u64)(2 + below(2)) << 28;
		return false;
	default:
		return true;
	}
}

/* arm_vsmmu_alloc_domain_nested(), once the core let the call through */
static unsigned int smmu_nested_want(const struct iommu_hwpt_alloc *cmd,
				     bool vste_ok, bool *to_driver)
{
	*to_driver = true;
	if (cmd->data_type != IOMMU_HWPT_DATA_ARM_SMMUV3 ||
	    cmd->data_len != sizeof(struct iommu_hwpt_arm_smmuv3))
		return V_EINVAL;
	if (!vste_ok)
		return V_EIO;
	/* Allocated, then fault_id (0) is not found */
	return cmd->flags ? V_ENOENT : V_OK;
}

/*
 * A nested HWPT on a vIOMMU: iommufd_hwpt_alloc(), then the vIOMMU's
 * driver, the mock's or the SMMUv3's.
 */
static void op_viommu_nested(void)
{
	struct {
		union {
			struct iommu_hwpt_selftest cfg;
			struct iommu_hwpt_arm_smmuv3 smmu;
		};
		__u8 tail[64];
	} data = { .cfg = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT } };
	struct iommu_hwpt_alloc cmd = { .size = sizeof(cmd) };
	enum shape shape = pick_shape(true);
	struct obj *dev, *v;
	unsigned int want, got;
	bool real, to_driver = false, vste_ok = false;

	cmd.pt_id = pick_viommu();
	/* IOAS and HWPT parents are op_hwpt_alloc()'s */
	if (is(cmd.pt_id, K_IOAS) || is(cmd.pt_id, K_HWPT))
		return;
	v = obj(cmd.pt_id);
	/* Mostly a device behind the vIOMMU's IOMMU, else any ID */
	cmd.dev_id = chance(70) ? pick_where(K_IDEV, on_iommu, v->iommu) : 0;
	if (!cmd.dev_id)
		cmd.dev_id = pick_id(K_IDEV);
	dev = obj(cmd.dev_id);
	real = v->kind == K_VIOMMU && v->iommu == 0;
	if (real) {
		vste_ok = make_vste(data.smmu.ste);
		cmd.data_type = chance(90) ? IOMMU_HWPT_DATA_ARM_SMMUV3 :
					     IOMMU_HWPT_DATA_SELFTEST;
		cmd.data_len = sizeof(data.smmu);
	} else {
		cmd.data_type = chance(90) ? IOMMU_HWPT_DATA_SELFTEST : rnd();
		cmd.data_len = sizeof(data.cfg);
	}
	cmd.data_uptr = (uintptr_t)&data;
	if (chance(10))
		cmd.flags = 1U << below(32);
	if (chance(5))
		cmd.data_len = chance(50) ? 0 : 1 + below(64);

	if (!cmd.data_type != !cmd.data_len)
		want = V_EINVAL;
	else if (dev->kind != K_IDEV)
		want = V_ENOENT;
	else if (v->kind != K_VIOMMU)
		want = V_EINVAL;
	else if (cmd.flags & ~IOMMU_HWPT_FAULT_ID_VALID || !cmd.data_len)
		want = V_EOPNOTSUPP;
	else if (dev->iommu != v->iommu)
		want = V_EINVAL;
	else if (real)
		want = smmu_nested_want(&cmd, vste_ok, &to_driver);
	else if (cmd.data_type != IOMMU_HWPT_DATA_SELFTEST)
		want = V_EOPNOTSUPP;
	else if (cmd.data_len != sizeof(data.cfg))
		want = V_EINVAL;
	else
		/* Allocated, then fault_id (0) is not found */
		want = cmd.flags ? V_ENOENT : V_OK;
	if (want & V_OK && nlive > MAX_LIVE)
		return;
	got = iommufd_call(OP_VIOMMU_NESTED, iommufd, IOMMU_HWPT_ALLOC, &cmd,
			   sizeof(cmd), offsetof(struct iommu_hwpt_alloc, data_type),
			   shape, want, "dev %u (%s) vIOMMU %u (%s) flags %#x type %#x data %u",
			   cmd.dev_id, kind_names[dev->kind], cmd.pt_id,
			   kind_names[v->kind], cmd.flags, cmd.data_type,
			   cmd.data_len);
	if (to_driver && shape == SHAPE_EXACT)
		count_real(real_calls.nested, got);
	if (got != V_OK || shape == SHAPE_READONLY || v->kind != K_VIOMMU)
		return;
	model_new(cmd.out_hwpt_id, K_NESTED, OP_VIOMMU_NESTED);
	obj(cmd.out_hwpt_id)->on = cmd.pt_id;
	obj(cmd.out_hwpt_id)->vtd = real;
	v->users++;
}

/* A vSID, mostly one a vDEVICE of @viommu has */
static __u32 pick_vsid(__u32 viommu)
{
	__u32 id = chance(75) ? pick_where(K_VDEV, on_viommu, viommu) : 0;

	if (id && objs[id].virt_id <= 0xffffffffULL)
		return objs[id].virt_id;
	return chance(50) ? below(16) : rnd();
}

static bool vsid_known(__u32 viommu, __u32 vsid)
{
	__u32 id;

	for (id = 1; id < MAX_ID; id++)
		if (objs[id].kind == K_VDEV && objs[id].viommu == viommu &&
		    objs[id].virt_id == vsid)
			return true;
	return false;
}

/*
 * One guest command for an SMMUv3 vIOMMU: a TLBI_NH one or TLBI_NSNH_ALL
 * (any ASID, VMID and address), CFGI_CD, CFGI_CD_ALL or ATC_INV with a
 * vSID, or one the driver refuses.  Returns whether the driver takes it.
 */
static bool make_smmu_cmd(__u32 viommu, __u64 cmd[2])
{
	static const __u8 tlbi[] = { 0x10, 0x11, 0x12, 0x13, 0x30 };
	static const __u8 by_sid[] = { 0x05, 0x06, 0x40 };
	/* PREFETCH, CFGI_STE and _ALL, TLBI_EL2_*, S12_VMALL, S2_IPA, ... */
	static const __u8 refused[] = {
		0x01, 0x03, 0x04, 0x20, 0x21, 0x22, 0x28, 0x2a, 0x41, 0x44, 0x46,
	};
	__u32 vsid;

	switch (below(10)) {
	case 0: case 1: case 2: case 3: case 4: case 5:
		cmd[0] = tlbi[below(ARRAY_SIZE(tlbi))] |
			 (rnd() & 0xffffffff00000000ULL);
		cmd[1] = (rnd() & ~0xfffULL) | below(2);
		return true;
	case 6: case 7: case 8:
		vsid = pick_vsid(viommu);
		cmd[0] = by_sid[below(ARRAY_SIZE(by_sid))] | (__u64)vsid << 32;
		cmd[1] = below(2);
		return vsid_known(viommu, vsid);
	default:
		cmd[0] = refused[below(ARRAY_SIZE(refused))] |
			 (rnd() & 0xffffffff00000000ULL);
		cmd[1] = rnd();
		return false;
	}
}

#define SMMU_INV_MAX	40	/* more than the driver's batch of 32 */

/*
 * IOMMU_HWPT_INVALIDATE on an SMMUv3 vIOMMU: the driver issues the
 * commands before the first it refuses (-EIO) and says how many in
 * entry_num; a wrong data type is refused before any.
 */
static void invalidate_smmu(struct iommu_hwpt_invalidate *cmd,
			    enum shape shape)
{
	struct iommu_viommu_arm_smmuv3_invalidate inv[SMMU_INV_MAX] = {};
	unsigned int want, got, i, good;
	__u32 n;

	cmd->data_type = chance(90) ? IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 :
				      IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
	cmd->data_uptr = (uintptr_t)inv;
	cmd->entry_len = sizeof(*inv);
	n = chance(20) ? below(SMMU_INV_MAX + 1) : below(5);
	good = n;
	for (i = 0; i < n; i++)
		if (!make_smmu_cmd(cmd->hwpt_id, inv[i].cmd) && good == n)
			good = i;
	cmd->entry_num = n;
	if (cmd->data_type != IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3) {
		want = V_EINVAL;
		good = 0;
	} else {
		want = good < n ? V_EIO : V_OK;
	}
	if (shape == SHAPE_READONLY)
		want = V_EFAULT;
	got = iommufd_call(OP_INVALIDATE, iommufd, IOMMU_HWPT_INVALIDATE, cmd,
			   sizeof(*cmd), sizeof(*cmd), shape, want,
			   "SMMUv3 vIOMMU %u type %#x entries %u (first refused %u)",
			   cmd->hwpt_id, cmd->data_type, n, good);
	if (shape != SHAPE_EXACT)
		return;
	count_real(real_calls.invalidate, got);
	real_calls.issued += cmd->entry_num;
	if (cmd->entry_num != good)
		mismatch(OP_INVALIDATE, "SMMUv3 vIOMMU %u: entry_num %u, want %u",
			 cmd->hwpt_id, cmd->entry_num, good);
}

/*
 * IOMMU_HWPT_INVALIDATE on a vIOMMU or a nested HWPT, with the selftest
 * entries.  The mock stops at the first entry with an unknown flag (both)
 * or an IOTLB ID beyond its last (the nested domain only); entry_num must
 * say how many went before it.
 */
static void op_invalidate(void)
{
	struct iommu_hwpt_invalidate_selftest inv[4] = {};
	struct iommu_hwpt_invalidate cmd = { .size = sizeof(cmd) };
	enum shape shape = pick_shape(true);
	unsigned int want, i, good;
	struct obj *h;
	__u32 n;

	cmd.hwpt_id = chance(70) ? pick_viommu() : pick_id(K_NESTED);
	h = obj(cmd.hwpt_id);
	if (h->kind == K_VIOMMU && h->iommu == 0) {
		invalidate_smmu(&cmd, shape);
		return;
	}
	cmd.data_type = chance(85) ? IOMMU_HWPT_INVALIDATE_DATA_SELFTEST :
				     below(3);
	cmd.data_uptr = (uintptr_t)inv;
	cmd.entry_len = sizeof(*inv);
	n = below(ARRAY_SIZE(inv) + 1);
	cmd.entry_num = n;
	for (i = 0; i < ARRAY_SIZE(inv); i++) {
		inv[i].flags = chance(50) ? IOMMU_TEST_INVALIDATE_FLAG_ALL : 0;
		if (chance(10))
			inv[i].flags |= 1U << (1 + below(31));
		inv[i].iotlb_id = chance(90) ? below(MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1) :
					       rnd();
	}
	for (good = 0; good < n; good++)
		if (inv[good].flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL ||
		    (h->kind == K_NESTED &&
		     inv[good].iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX))
			break;

	if (h->kind != K_VIOMMU && h->kind != K_NESTED)
		want = V_ENOENT;
	else if (h->vtd && is(h->on, K_VIOMMU))
		/* The SMMUv3's are invalidated through their vIOMMU */
		want = V_EOPNOTSUPP;
	else if (h->vtd)
		want = V_ANY;	/* a real driver's */
	else if (cmd.data_type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST)
		want = V_EINVAL;
	else if (good < n)
		want = inv[good].flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL ?
		       V_EOPNOTSUPP : V_EINVAL;
	else
		want = V_OK;
	/* It writes entry_num back whatever the outcome */
	if (shape == SHAPE_READONLY)
		want = V_EFAULT;
	iommufd_call(OP_INVALIDATE, iommufd, IOMMU_HWPT_INVALIDATE, &cmd,
		     sizeof(cmd), sizeof(cmd), shape, want,
		     "%s %u type %#x entries %u", kind_names[h->kind],
		     cmd.hwpt_id, cmd.data_type, n);
	if (shape != SHAPE_EXACT || want == V_ANY)
		return;
	/* Nothing is handled of a refused type or object */
	if (want == V_ENOENT || h->vtd ||
	    cmd.data_type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST)
		good = 0;
	if (cmd.entry_num != good)
		mismatch(OP_INVALIDATE, "%s %u: entry_num %u, want %u",
			 kind_names[h->kind], cmd.hwpt_id, cmd.entry_num, good);
}

static void op_find_dev(void)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_VIOMMU_FIND_DEV,
	};
	enum shape shape = pick_shape(false);
	unsigned int want;
	__u32 id, found = 0;

	/* Mostly a vDEVICE's own vIOMMU and virtual ID */
	id = chance(60) ? pick_where(K_VDEV, on_viommu, pick_id(K_VIOMMU)) : 0;
	if (id) {
		cmd.id = objs[id].viommu;
		cmd.viommu_find_dev.dev_id = chance(70) ? objs[id].idev :
						    pick_id(K_IDEV);
		cmd.viommu_find_dev.virt_id = objs[id].virt_id;
	} else {
		cmd.id = pick_id(K_VIOMMU);
		cmd.viommu_find_dev.dev_id = pick_id(K_IDEV);
		cmd.viommu_find_dev.virt_id = pick_virt_id(cmd.id);
	}
	if (chance(3))
		cmd.viommu_find_dev.__reserved = 1;
	for (id = 1; id < MAX_ID; id++)
		if (objs[id].kind == K_VDEV && objs[id].viommu == cmd.id &&
		    objs[id].virt_id == cmd.viommu_find_dev.virt_id)
			found = objs[id].idev;
	if (cmd.viommu_find_dev.__reserved)
		want = V_EOPNOTSUPP;
	else if (!is(cmd.id, K_VIOMMU) || !is(cmd.viommu_find_dev.dev_id, K_IDEV))
		want = V_ENOENT;
	else if (!found)
		want = V_ENOENT;
	else
		want = found == cmd.viommu_find_dev.dev_id ? V_OK : V_EINVAL;
	iommufd_call(OP_FIND_DEV, iommufd, IOMMU_TEST_CMD, &cmd, sizeof(cmd),
		     TEST_CMD_MIN, shape, want, "viommu %u dev %u virt_id %#llx",
		     cmd.id, cmd.viommu_find_dev.dev_id,
		     (unsigned long long)cmd.viommu_find_dev.virt_id);
}

/* A page-aligned range in the window, often on or next to an area */
static void pick_range(struct obj *o, __u64 start, __u64 winlen,
		       __u64 *iova, __u64 *len)
{
	struct area *a;

	if (o && o->nareas && chance(60)) {
		a = &o->areas[below(o->nareas)];
		*iova = a->iova;
		*len = a->len;
		switch (below(5)) {
		case 0:
			*iova += PG * below(a->len / PG);
			break;
		case 1:
			*len += PG * below(8);
			break;
		case 2:
			*iova -= PG * (1 + below(4));
			*len += PG * below(8);
			break;
		default:
			break;
		}
		/* Below the window the mock IOMMUs' aperture ends */
		if (*iova < start)
			*iova = start;
		return;
	}
	*iova = start + PG * below(winlen / PG - 64);
	*len = PG * (1 + below(16));
}

/* Unmap @iova..+@len from @areas as iommufd does; -errno or bytes */
static long ioas_unmap_model(struct obj *o, __u64 iova, __u64 len,
			     bool commit)
{
	__u64 last = iova + len - 1, done = 0;
	int i, j, first;

	for (;;) {
		first = -1;
		for (i = 0; i < o->nareas; i++)
			if (o->areas[i].iova <= last &&
			    o->areas[i].iova + o->areas[i].len - 1 >= iova &&
			    (first < 0 || o->areas[i].iova < o->areas[first].iova))
				first = i;
		if (first < 0)
			break;
		if (o->areas[first].iova < iova ||
		    o->areas[first].iova + o->areas[first].len - 1 > last)
			return -ENOENT;
		done += o->areas[first].len;
		if (!commit) {
			iova = o->areas[first].iova + o->areas[first].len;
			if (!iova || iova > last)
				break;
			continue;
		}
		for (j = first; j < o->nareas - 1; j++)
			o->areas[j] = o->areas[j + 1];
		o->nareas--;
	}
	return done ? (long)done : -ENOENT;
}

static bool overlaps(struct obj *o, __u64 iova, __u64 len)
{
	int i;

	for (i = 0; i < o->nareas; i++)
		if (o->areas[i].iova < iova + len &&
		    iova < o->areas[i].iova + o->areas[i].len)
			return true;
	return false;
}

static void op_ioas_map(void)
{
	struct iommu_ioas_map cmd = { .size = sizeof(cmd) };
	enum shape shape = pick_shape(false);
	bool fixed, bad_va = false;
	unsigned int want;
	struct obj *o;
	__u64 off;

	cmd.ioas_id = pick_id(K_IOAS);
	o = obj(cmd.ioas_id);
	fixed = chance(70);
	pick_range(o->kind == K_IOAS ? o : NULL, WIN_START, WIN_LEN, &cmd.iova,
		   &cmd.length);
	cmd.length = cmd.length > BUF_LEN / 2 ? BUF_LEN / 2 : cmd.length;
	off = PG * below((BUF_LEN - cmd.length) / PG + 1);
	cmd.user_va = (uintptr_t)dmabuf + off;
	cmd.flags = (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0) |
		    IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	switch (below(16)) {
	case 0:
		cmd.flags = 1U << below(32);
		break;
	case 1:
		cmd.flags &= ~(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE);
		break;
	case 2:
		cmd.__reserved = 1;
		break;
	case 3:
		cmd.length = chance(50) ? 0 : ~0ULL - below(2);
		break;
	case 4:
		cmd.user_va = (uintptr_t)holes;
		bad_va = true;
		break;
	case 5:
		cmd.iova += 1 + below(PG - 1);
		break;
	default:
		break;
	}
	fixed = cmd.flags & IOMMU_IOAS_MAP_FIXED_IOVA;
	if ((cmd.flags & ~(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |
			   IOMMU_IOAS_MAP_READABLE)) || cmd.__reserved)
		want = V_EOPNOTSUPP;
	else if (cmd.iova >= ULONG_MAX || cmd.length >= ULONG_MAX)
		want = V_EOVERFLOW;
	else if (!(cmd.flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		want = V_EINVAL;
	else if (o->kind != K_IOAS)
		want = V_ENOENT;
	else if (!cmd.length || cmd.length > MOCK_APERTURE_LAST ||
		 (bad_va && o->users))
		/* Pinned at once only when the IOAS has a domain */
		want = V_ERR;
	else if (o->wild || (fixed && cmd.iova % PG))
		want = V_ANY;
	else if (fixed && overlaps(o, cmd.iova, cmd.length))
		want = V_EEXIST;
	else
		want = V_OK;
	if (want == V_OK && o->nareas == MAX_AREAS)
		return;
	if (iommufd_call(OP_IOAS_MAP, iommufd, IOMMU_IOAS_MAP, &cmd,
			 sizeof(cmd), sizeof(cmd), shape, want,
			 "ioas %u iova %#llx+%#llx flags %#x", cmd.ioas_id,
			 (unsigned long long)cmd.iova,
			 (unsigned long long)cmd.length, cmd.flags) != V_OK)
		return;
	if (o->kind != K_IOAS)
		return;
	/* Unpinned: the next domain on this IOAS cannot pin it */
	if (bad_va)
		o->wild = true;
	if (!fixed && !o->wild &&
	    (cmd.iova < WIN_START || cmd.iova + cmd.length > WIN_START + WIN_LEN))
		mismatch(OP_IOAS_MAP, "automatic IOVA %#llx+%#llx outside the allowed %#lx+%#lx",
			 (unsigned long long)cmd.iova,
			 (unsigned long long)cmd.length, WIN_START, WIN_LEN);
	if (o->wild || o->nareas == MAX_AREAS || cmd.iova % PG ||
	    cmd.iova < WIN_START || cmd.iova + cmd.length > MOCK_APERTURE_LAST ||
	    overlaps(o, cmd.iova, cmd.length)) {
		o->wild = true;
		return;
	}
	o->areas[o->nareas].iova = cmd.iova;
	o->areas[o->nareas++].len = cmd.length;
}

static void op_ioas_unmap(void)
{
	struct iommu_ioas_unmap cmd = { .size = sizeof(cmd) };
	enum shape shape = pick_shape(false);
	unsigned int want, got;
	struct obj *o;
	long model = 0;
	__u64 iova, len;
	bool all;
	int i;

	cmd.ioas_id = pick_id(K_IOAS);
	o = obj(cmd.ioas_id);
	pick_range(o->kind == K_IOAS ? o : NULL, WIN_START, WIN_LEN, &iova, &len);
	cmd.iova = iova;
	cmd.length = len;
	switch (below(12)) {
	case 0:
		cmd.iova = 0;
		cmd.length = ~0ULL;
		break;
	case 1:
		cmd.length = 0;
		break;
	case 2:
		cmd.length = ~0ULL - 1;
		break;
	default:
		break;
	}
	iova = cmd.iova;
	len = cmd.length;
	all = iova == 0 && len == ~0ULL;
	if (o->kind != K_IOAS) {
		want = V_ENOENT;
	} else if (all) {
		want = o->wild ? V_ANY : V_OK;
		for (model = 0, i = 0; i < o->nareas; i++)
			model += o->areas[i].len;
	} else if (cmd.iova >= ULONG_MAX || cmd.length >= ULONG_MAX) {
		want = V_EOVERFLOW;
	} else if (!cmd.length) {
		want = V_EINVAL;
	} else if (cmd.iova + cmd.length - 1 < cmd.iova) {
		want = V_EOVERFLOW;
	} else if (o->wild) {
		want = V_ANY;
	} else {
		model = ioas_unmap_model(o, cmd.iova, cmd.length, false);
		want = model < 0 ? V_ENOENT : V_OK;
	}
	got = iommufd_call(OP_IOAS_UNMAP, iommufd, IOMMU_IOAS_UNMAP, &cmd,
			   sizeof(cmd), sizeof(cmd), shape, want,
			   "ioas %u iova %#llx+%#llx", cmd.ioas_id,
			   (unsigned long long)iova, (unsigned long long)len);
	if (o->kind != K_IOAS || o->wild || !len || !(got & want))
		return;
	if (got == V_ENOENT && !all) {
		/* What it unmapped before the area it could not */
		ioas_unmap_model(o, iova, len, true);
		return;
	}
	if (got != V_OK)
		return;
	if ((long)cmd.length != model)
		mismatch(OP_IOAS_UNMAP, "unmapped %#llx bytes, model %#lx",
			 (unsigned long long)cmd.length, model);
	if (all)
		o->nareas = 0;
	else
		ioas_unmap_model(o, iova, len, true);
}

static void op_bad_ioctl(void)
{
	/* Unused: below the iommufd range, gaps in it, above it */
	static const unsigned int nrs[] = { 0x7f, 0x8f, 0x92, 0x9f, 0xa1, 0xff };
	__u32 buf[16] = { sizeof(buf) };
	unsigned int nr = nrs[below(ARRAY_SIZE(nrs))];
	long rc;

	rc = ioctl(iommufd, _IO(IOMMUFD_TYPE, nr), buf);
	judge(OP_BAD_IOCTL, rc, V_ENOTTY, "nr %#x", nr);
}

static void model_reset(void)
{
	memset(objs, 0, sizeof(objs));
	nlive = 0;
}

static void open_iommufd(void)
{
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0) {
		perror("/dev/iommu");
		exit(1);
	}
	ctx_gen++;
	model_reset();
}

/* ---- The VFIO model ---- */

enum gmode { G_NONE, G_CONTAINER, G_IOMMUFD };

struct container {
	int fd;			/* -1: closed (alive while groups use it) */
	int groups;
	int iommu;		/* 0 or the VFIO_SET_IOMMU type */
	bool precise;		/* areas modelled */
	int nareas;
	struct area areas[MAX_AREAS];
};

struct group {
	const char *bdf;
	bool viable;		/* no kernel driver in the group */
	int id;
	int fd;
	enum gmode mode;
	int container;		/* G_CONTAINER: which */
	int devfds[MAX_DEVFDS];
	enum gmode devmode[MAX_DEVFDS];
	int ndevfds;
	char cdev[PATH_MAX];
	int cdevfd;
	bool cdev_bound;	/* to iommufd generation cdev_gen */
	unsigned int cdev_gen;
	__u32 cdev_idev, cdev_hwpt;
};

static struct container cont[2] = { { .fd = -1 }, { .fd = -1 } };
static struct group groups[2];
static int ngroups;
static int vfio_iommufd = -1;	/* the groups' iommufd (not the model's) */
static int nullfd = -1;

static int container_devfds(struct group *g)
{
	int i, n = 0;

	for (i = 0; i < g->ndevfds; i++)
		n += g->devmode[i] == G_CONTAINER;
	return n;
}

static bool group_file_alive(struct group *g)
{
	return g->fd >= 0 || container_devfds(g);
}

/* Someone owns the group's DMA */
static bool group_claimed(struct group *g)
{
	return !g->viable || g->mode == G_CONTAINER || g->ndevfds ||
	       g->cdev_bound;
}

static void container_put_group(struct container *c)
{
	if (--c->groups)
		return;
	/* Its last group gone, the container drops its IOMMU */
	c->iommu = 0;
	c->nareas = 0;
	c->precise = true;
}

/* The group file is released: what vfio_group_fops_release() undoes */
static void group_release(struct group *g)
{
	if (g->mode == G_CONTAINER)
		container_put_group(&cont[g->container]);
	g->mode = G_NONE;
}

static void find_cdev(struct group *g)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", g->bdf);
	dir = opendir(path);
	while (dir && (d = readdir(dir)))
		if (!strncmp(d->d_name, "vfio", 4))
			snprintf(g->cdev, sizeof(g->cdev), "/dev/vfio/devices/%s",
				 d->d_name);
	if (dir)
		closedir(dir);
}

static void add_group(const char *bdf, bool viable)
{
	struct group *g = &groups[ngroups];

	g->bdf = bdf;
	g->viable = viable;
	g->id = pci_iommu_group_id(bdf);
	g->fd = -1;
	g->cdevfd = -1;
	if (g->id < 0) {
		fprintf(stderr, "%s is in no IOMMU group\n", bdf);
		exit(1);
	}
	find_cdev(g);
	ngroups++;
}

static struct group *pick_group(void)
{
	return &groups[below(ngroups)];
}

static struct container *pick_open_container(void)
{
	struct container *c = &cont[below(2)];

	if (c->fd >= 0)
		return c;
	c = &cont[c == &cont[0]];
	return c->fd >= 0 ? c : NULL;
}

static void op_vfio_container(void)
{
	struct container *c = &cont[below(2)];
	int fd;

	if (c->fd >= 0) {
		if (!chance(30))
			return;
		judge(OP_VFIO_CONTAINER, close(c->fd), V_OK, "close container %d",
		      (int)(c - cont));
		c->fd = -1;
		return;
	}
	/* A container still used by a group keeps its slot */
	if (c->groups)
		return;
	fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	judge(OP_VFIO_CONTAINER, fd, V_OK, "open container %d", (int)(c - cont));
	if (fd < 0)
		return;
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->precise = true;
}

static void op_vfio_version(void)
{
	struct container *c = pick_open_container();
	long rc;

	if (!c)
		return;
	if (chance(80)) {
		rc = ioctl(c->fd, VFIO_GET_API_VERSION);
		if (judge(OP_VFIO_VERSION, rc, V_OK, "container %d",
			  (int)(c - cont)) == V_OK && rc != VFIO_API_VERSION)
			mismatch(OP_VFIO_VERSION, "version %ld", rc);
		return;
	}
	/* An ioctl VFIO does not have: the IOMMU driver's or nobody's */
	rc = ioctl(c->fd, _IO(VFIO_TYPE, VFIO_BASE + 40 + below(20)), 0);
	judge(OP_VFIO_VERSION, rc, c->iommu ? V_ENOTTY | V_EINVAL : V_EINVAL,
	      "unknown ioctl on container %d", (int)(c - cont));
}

static void op_vfio_extension(void)
{
	static const unsigned long exts[] = {
		0, VFIO_TYPE1_IOMMU, VFIO_SPAPR_TCE_IOMMU, VFIO_TYPE1v2_IOMMU,
		VFIO_DMA_CC_IOMMU, VFIO_EEH, VFIO_TYPE1_NESTING_IOMMU,
		VFIO_SPAPR_TCE_v2_IOMMU, VFIO_NOIOMMU_IOMMU, VFIO_UNMAP_ALL,
		VFIO_UPDATE_VADDR, 11, 1000, ~0UL,
	};
	struct container *c = pick_open_container();
	unsigned long ext = exts[below(ARRAY_SIZE(exts))];
	long rc, want;

	if (!c)
		return;
	switch (ext) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_TYPE1_NESTING_IOMMU:
	case VFIO_UNMAP_ALL:
		want = 1;
		break;
	case VFIO_UPDATE_VADDR:
		want = !!c->iommu;
		break;
	case VFIO_DMA_CC_IOMMU:
		want = c->iommu ? -1 : 0;	/* the IOMMU's snooping */
		break;
	default:
		want = 0;
		break;
	}
	rc = ioctl(c->fd, VFIO_CHECK_EXTENSION, ext);
	if (judge(OP_VFIO_EXTENSION, rc, V_OK, "%lu on container %d", ext,
		  (int)(c - cont)) == V_OK && want >= 0 && rc != want)
		mismatch(OP_VFIO_EXTENSION, "extension %lu: %ld, want %ld", ext,
			 rc, want);
}

static void op_vfio_group(void)
{
	struct group *g = pick_group();
	char path[64];
	int fd;

	if (g->fd >= 0) {
		if (!chance(15))
			return;
		judge(OP_VFIO_GROUP, close(g->fd), V_OK, "close group %d", g->id);
		g->fd = -1;
		if (!group_file_alive(g))
			group_release(g);
		return;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", g->id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	judge(OP_VFIO_GROUP, fd,
	      group_file_alive(g) || g->cdev_bound ? V_EBUSY : V_OK,
	      "open group %d", g->id);
	if (fd >= 0)
		g->fd = fd;
}

static struct group *pick_open_group(void)
{
	struct group *g = pick_group();

	if (g->fd >= 0)
		return g;
	g = &groups[(g - groups + 1) % ngroups];
	return g->fd >= 0 ? g : NULL;
}

static void op_vfio_status(void)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct group *g = pick_open_group();
	unsigned int want = V_OK, flags;
	void *arg = &st;
	long rc;

	if (!g)
		return;
	if (chance(10)) {
		st.argsz = below(sizeof(st));
		want = V_EINVAL;
	} else if (chance(5)) {
		st.argsz = 0xffffffff;
	} else if (chance(3)) {
		arg = NULL;
		want = V_EFAULT;
	}
	if (g->mode != G_NONE)
		flags = VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE;
	else
		flags = group_claimed(g) ? 0 : VFIO_GROUP_FLAGS_VIABLE;
	rc = ioctl(g->fd, VFIO_GROUP_GET_STATUS, arg);
	if (judge(OP_VFIO_STATUS, rc, want, "group %d argsz %u", g->id,
		  st.argsz) == V_OK && st.flags != flags)
		mismatch(OP_VFIO_STATUS, "group %d flags %#x, want %#x", g->id,
			 st.flags, flags);
}

static void op_vfio_set_container(void)
{
	struct group *g = pick_open_group();
	struct container *c = NULL;
	unsigned int want;
	int fd, *arg = &fd;
	const char *what;

	if (!g)
		return;
	switch (below(10)) {
	case 0:
		fd = nullfd;
		what = "/dev/null";
		break;
	case 1:
		fd = 1000 + below(100);
		what = "a closed fd";
		break;
	case 2:
		arg = NULL;
		what = "NULL";
		break;
	case 3:
	case 4:
		fd = vfio_iommufd;
		what = "an iommufd";
		break;
	default:
		c = pick_open_container();
		if (!c)
			return;
		fd = c->fd;
		what = "a container";
		break;
	}
	/* vfio_group_ioctl_set_container(), in its order */
	if (!arg)
		want = V_EFAULT;
	else if (fd >= 1000)
		want = V_EBADF;
	else if (g->mode != G_NONE)
		want = V_EINVAL;
	else if (fd == vfio_iommufd)
		want = V_OK;
	else if (!c)
		want = V_EBADFD;
	else if (group_claimed(g))
		/* Another DMA owner or a kernel driver in the group */
		want = V_EBUSY | V_EPERM;
	else
		want = V_OK;
	if (judge(OP_VFIO_SET_CONTAINER, ioctl(g->fd, VFIO_GROUP_SET_CONTAINER, arg),
		  want, "group %d to %s", g->id, what) != V_OK)
		return;
	if (fd == vfio_iommufd) {
		g->mode = G_IOMMUFD;
	} else if (c) {
		g->mode = G_CONTAINER;
		g->container = c - cont;
		c->groups++;
	}
}

static void op_vfio_unset_container(void)
{
	struct group *g = pick_open_group();
	unsigned int want;

	if (!g || chance(50))
		return;
	if (g->mode == G_NONE)
		want = V_EINVAL;
	else if (g->mode == G_CONTAINER && container_devfds(g))
		want = V_EBUSY;
	else
		want = V_OK;
	if (judge(OP_VFIO_UNSET_CONTAINER, ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER),
		  want, "group %d", g->id) == V_OK)
		group_release(g);
}

static void op_vfio_set_iommu(void)
{
	static const unsigned long types[] = {
		VFIO_TYPE1v2_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_TYPE1v2_IOMMU,
		VFIO_TYPE1_IOMMU, VFIO_TYPE1_NESTING_IOMMU, VFIO_UNMAP_ALL,
		0, VFIO_SPAPR_TCE_IOMMU, VFIO_DMA_CC_IOMMU, VFIO_NOIOMMU_IOMMU,
		VFIO_UPDATE_VADDR, 77,
	};
	struct container *c = pick_open_container();
	unsigned long type = types[below(ARRAY_SIZE(types))];
	unsigned int want;

	if (!c)
		return;
	/* Mostly the one with a group, and a type it takes */
	if (chance(70) && !c->groups && cont[c == cont].fd >= 0)
		c = &cont[c == cont];
	if (chance(50))
		type = VFIO_TYPE1v2_IOMMU;
	if (!c->groups || c->iommu)
		want = V_EINVAL;
	else if (type == VFIO_TYPE1_IOMMU || type == VFIO_TYPE1v2_IOMMU)
		want = V_OK;
	else if (type == VFIO_TYPE1_NESTING_IOMMU)
		want = V_ANY;
	else if (type == VFIO_UNMAP_ALL)
		want = V_EINVAL;
	else
		want = V_ENODEV;
	if (judge(OP_VFIO_SET_IOMMU, ioctl(c->fd, VFIO_SET_IOMMU, type), want,
		  "container %d type %lu (%d group(s))", (int)(c - cont), type,
		  c->groups) != V_OK)
		return;
	c->iommu = type;
	c->nareas = 0;
	/* Only v2 has unmap semantics cheap to model */
	c->precise = type == VFIO_TYPE1v2_IOMMU;
}

/*
 * The way a VMM goes, one step per call: container, group, the group in
 * the container, type1v2.  Random calls alone seldom get that deep.
 */
static void op_vfio_setup(void)
{
	struct group *g = &groups[0];
	struct container *c = &cont[0];
	unsigned int want;
	char path[64];
	int fd;

	if (c->fd < 0 && !c->groups) {
		fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
		judge(OP_VFIO_CONTAINER, fd, V_OK, "open container 0");
		if (fd < 0)
			return;
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->precise = true;
		return;
	}
	if (g->fd < 0) {
		if (group_file_alive(g) || g->cdev_bound)
			return;
		snprintf(path, sizeof(path), "/dev/vfio/%d", g->id);
		fd = open(path, O_RDWR | O_CLOEXEC);
		judge(OP_VFIO_GROUP, fd, V_OK, "open group %d", g->id);
		g->fd = fd;
		return;
	}
	if (g->mode == G_NONE && c->fd >= 0) {
		want = group_claimed(g) ? V_EBUSY | V_EPERM : V_OK;
		if (judge(OP_VFIO_SET_CONTAINER,
			  ioctl(g->fd, VFIO_GROUP_SET_CONTAINER, &c->fd), want,
			  "group %d to container 0", g->id) != V_OK)
			return;
		g->mode = G_CONTAINER;
		g->container = 0;
		c->groups++;
		return;
	}
	c = &cont[g->container];
	if (g->mode != G_CONTAINER || c->iommu || c->fd < 0)
		return;
	fd = ioctl(c->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	if (judge(OP_VFIO_SET_IOMMU, fd, V_OK, "container %d type1v2",
		  (int)(c - cont)) != V_OK)
		return;
	c->iommu = VFIO_TYPE1v2_IOMMU;
	c->nareas = 0;
	c->precise = true;
}

static void op_vfio_map(void)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct container *c = pick_open_container();
	__u32 ok_flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	unsigned int want;
	bool bad_va = false;
	__u64 off;

	if (!c)
		return;
	map.iova = VWIN_START + PG * below(VWIN_LEN / PG - 64);
	map.size = PG * (1 + below(16));
	if (c->nareas && chance(50)) {
		struct area *a = &c->areas[below(c->nareas)];

		map.iova = a->iova + PG * below(a->len / PG + 2) - PG;
		map.size = PG * (1 + below(16));
	}
	map.size = map.size > BUF_LEN / 2 ? BUF_LEN / 2 : map.size;
	off = PG * below((BUF_LEN - map.size) / PG + 1);
	map.vaddr = (uintptr_t)dmabuf + off;
	map.flags = chance(80) ? ok_flags : VFIO_DMA_MAP_FLAG_READ;
	switch (below(16)) {
	case 0:
		map.flags = 1U << below(32);
		break;
	case 1:
		map.flags = 0;
		break;
	case 2:
		map.size = chance(50) ? 0 : ~0ULL - PG + 1;
		break;
	case 3:
		map.iova += 1 + below(PG - 1);
		break;
	case 4:
		map.vaddr = (uintptr_t)holes;
		bad_va = true;
		break;
	case 5:
		map.argsz = below(sizeof(map));
		break;
	default:
		break;
	}
	if (!c->iommu)
		want = V_EINVAL;
	else if (map.argsz < sizeof(map) ||
		 map.flags & ~(ok_flags | VFIO_DMA_MAP_FLAG_VADDR))
		want = V_EINVAL;
	else if (map.flags & VFIO_DMA_MAP_FLAG_VADDR)
		want = V_ERR;	/* no vaddr was invalidated */
	else if (!(map.flags & ok_flags) || !map.size ||
		 (map.size | map.iova | map.vaddr) & (PG - 1) ||
		 map.iova + map.size - 1 < map.iova ||
		 map.vaddr + map.size - 1 < map.vaddr)
		want = V_EINVAL;
	else if (!c->precise)
		want = bad_va ? V_ERR : V_ANY;
	else
		want = V_OK;
	if (want == V_OK) {
		int i;

		for (i = 0; i < c->nareas; i++)
			if (c->areas[i].iova < map.iova + map.size &&
			    map.iova < c->areas[i].iova + c->areas[i].len)
				want = V_EEXIST;
		if (want == V_OK && bad_va)
			want = V_ERR;
		if (want == V_OK && c->nareas == MAX_AREAS)
			return;
	}
	if (judge(OP_VFIO_MAP, ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &map), want,
		  "container %d iova %#llx+%#llx flags %#x", (int)(c - cont),
		  (unsigned long long)map.iova, (unsigned long long)map.size,
		  map.flags) != V_OK)
		return;
	if (!c->precise || c->nareas == MAX_AREAS) {
		c->precise = false;
		return;
	}
	c->areas[c->nareas].iova = map.iova;
	c->areas[c->nareas++].len = map.size;
}

/* v2 unmap of @iova..+@size: -EINVAL if it splits a mapping, else bytes */
static long vfio_unmap_model(struct container *c, __u64 iova, __u64 size,
			     bool commit)
{
	__u64 last = iova + size - 1, done = 0;
	int i, j;

	for (i = 0; i < c->nareas; i++) {
		struct area *a = &c->areas[i];

		if (a->iova < iova && a->iova + a->len > iova)
			return -EINVAL;
		if (a->iova <= last && a->iova + a->len - 1 > last)
			return -EINVAL;
	}
	for (i = 0; i < c->nareas; i++) {
		if (c->areas[i].iova < iova || c->areas[i].iova > last)
			continue;
		done += c->areas[i].len;
		if (!commit)
			continue;
		for (j = i; j < c->nareas - 1; j++)
			c->areas[j] = c->areas[j + 1];
		c->nareas--;
		i--;
	}
	return done;
}

static void op_vfio_unmap(void)
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	struct container *c = pick_open_container();
	__u32 all_flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
			  VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR;
	unsigned int want;
	long model = 0;
	__u64 iova, size;
	int i;

	if (!c)
		return;
	if (c->nareas && chance(70)) {
		struct area *a = &c->areas[below(c->nareas)];

		iova = a->iova;
		size = a->len;
		switch (below(4)) {
		case 0:
			iova += PG * below(a->len / PG);
			break;
		case 1:
			size += PG * below(8);
			break;
		case 2:
			iova -= PG * below(4);
			size += PG * below(64);
			break;
		default:
			break;
		}
	} else {
		iova = VWIN_START + PG * below(VWIN_LEN / PG - 64);
		size = PG * (1 + below(64));
	}
	unmap.iova = iova;
	unmap.size = size;
	switch (below(14)) {
	case 0:
		unmap.flags = VFIO_DMA_UNMAP_FLAG_ALL;
		unmap.iova = 0;
		unmap.size = 0;
		break;
	case 1:
		unmap.flags = 1U << below(32);
		break;
	case 2:
		unmap.size = 0;
		break;
	case 3:
		unmap.iova += 1 + below(PG - 1);
		break;
	case 4:
		unmap.argsz = below(sizeof(unmap));
		break;
	default:
		break;
	}
	if (!c->iommu || unmap.argsz < sizeof(unmap) || unmap.flags & ~all_flags)
		want = V_EINVAL;
	else if (unmap.flags & (VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
				VFIO_DMA_UNMAP_FLAG_VADDR))
		want = V_ANY;	/* dirty tracking is off; vaddr: not modelled */
	else if (unmap.iova & (PG - 1))
		want = V_EINVAL;
	else if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		want = unmap.iova || unmap.size ? V_EINVAL : V_OK;
		for (i = 0; i < c->nareas; i++)
			model += c->areas[i].len;
	} else if (!unmap.size || unmap.size & (PG - 1) ||
		   unmap.iova + unmap.size - 1 < unmap.iova) {
		want = V_EINVAL;
	} else if (!c->precise) {
		want = V_ANY;
	} else {
		model = vfio_unmap_model(c, unmap.iova, unmap.size, false);
		want = model < 0 ? V_EINVAL : V_OK;
	}
	/* The kernel answers with the bytes unmapped in size */
	size = unmap.size;
	if (judge(OP_VFIO_UNMAP, ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &unmap), want,
		  "container %d iova %#llx+%#llx flags %#x", (int)(c - cont),
		  (unsigned long long)unmap.iova, (unsigned long long)size,
		  unmap.flags) != V_OK)
		return;
	if (unmap.flags & (VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
			   VFIO_DMA_UNMAP_FLAG_VADDR)) {
		c->precise = false;
		return;
	}
	if (c->precise && (long)unmap.size != model)
		mismatch(OP_VFIO_UNMAP, "unmapped %#llx bytes, model %#lx",
			 (unsigned long long)unmap.size, model);
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL)
		c->nareas = 0;
	else if (c->precise)
		vfio_unmap_model(c, unmap.iova, size, true);
}

static void op_vfio_device_fd(void)
{
	struct group *g = pick_open_group();
	char name[PG + 64];
	unsigned int want;
	void *arg = name;
	bool good = false;
	int fd;

	if (!g)
		return;
	switch (below(10)) {
	case 0:
		snprintf(name, sizeof(name), "0000:00:00.7");
		break;
	case 1:
		name[0] = '\0';
		break;
	case 2:
		snprintf(name, sizeof(name), "%s vf_token=%08x-0000-0000-0000-000000000000",
			 g->bdf, (unsigned int)rnd());
		break;
	case 3:
		arg = NULL;
		break;
	default:
		snprintf(name, sizeof(name), "%s", g->bdf);
		good = true;
		break;
	}
	if (!arg)
		want = V_EFAULT;
	else if (!good)
		want = V_ERR;
	else if (g->ndevfds == MAX_DEVFDS)
		return;
	else if (g->mode == G_NONE)
		want = V_EINVAL;
	else if (g->mode == G_CONTAINER)
		want = cont[g->container].iommu ? V_OK : V_EINVAL;
	else
		want = g->viable ? V_OK : V_ERR;
	fd = ioctl(g->fd, VFIO_GROUP_GET_DEVICE_FD, arg);
	judge(OP_VFIO_DEVICE_FD, fd, want, "group %d name %.20s%s", g->id,
	      arg ? name : "NULL", good ? "" : " (wrong)");
	if (fd < 0)
		return;
	g->devmode[g->ndevfds] = g->mode;
	g->devfds[g->ndevfds++] = fd;
}

static void close_devfd(struct group *g, int i)
{
	judge(OP_VFIO_DEVICE, close(g->devfds[i]), V_OK, "close device fd of %s",
	      g->bdf);
	g->devfds[i] = g->devfds[g->ndevfds - 1];
	g->devmode[i] = g->devmode[g->ndevfds - 1];
	g->ndevfds--;
	if (!group_file_alive(g))
		group_release(g);
}

static void op_vfio_device(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct group *g = pick_group();
	unsigned int want = V_OK;
	int i;

	if (!g->ndevfds)
		return;
	i = below(g->ndevfds);
	if (chance(50)) {
		close_devfd(g, i);
		return;
	}
	if (chance(20)) {
		/* Below the minimum, offsetofend(num_irqs) */
		info.argsz = below(offsetof(struct vfio_device_info, num_irqs) +
				   sizeof(info.num_irqs));
		want = V_EINVAL;
	}
	if (judge(OP_VFIO_DEVICE, ioctl(g->devfds[i], VFIO_DEVICE_GET_INFO, &info),
		  want, "VFIO_DEVICE_GET_INFO argsz %u", info.argsz) == V_OK &&
	    !(info.flags & VFIO_DEVICE_FLAGS_PCI))
		mismatch(OP_VFIO_DEVICE, "%s: flags %#x, not PCI", g->bdf,
			 info.flags);
}

/* The cdev's device leaves the iommufd: its HWPT and device go */
static void cdev_unbound(struct group *g)
{
	__u32 v;

	if (g->cdev_bound && g->cdev_gen == ctx_gen) {
		if (g->cdev_hwpt)
			model_detach(g->cdev_hwpt);
		/* iommufd_device_unbind() destroys its vDEVICEs first */
		for (v = 1; v < MAX_ID; v++)
			if (objs[v].kind == K_VDEV && objs[v].idev == g->cdev_idev)
				model_destroy_vdev(v);
		model_free(g->cdev_idev);
	}
	g->cdev_bound = false;
	g->cdev_hwpt = 0;
}

static void op_vfio_cdev(void)
{
	struct group *g = &groups[0];
	int fd;

	if (!g->cdev[0])
		return;
	if (g->cdevfd >= 0) {
		if (!chance(40))
			return;
		judge(OP_VFIO_CDEV, close(g->cdevfd), V_OK, "close %s", g->cdev);
		g->cdevfd = -1;
		cdev_unbound(g);
		return;
	}
	/* Opening is free; binding it is what excludes the group path */
	fd = open(g->cdev, O_RDWR | O_CLOEXEC);
	judge(OP_VFIO_CDEV, fd, V_OK, "open %s", g->cdev);
	if (fd >= 0)
		g->cdevfd = fd;
}

static void op_cdev_bind(void)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct group *g = &groups[0];
	unsigned int want;

	if (g->cdevfd < 0)
		return;
	bind.iommufd = iommufd;
	if (chance(10))
		bind.flags = 1U << below(32);
	else if (chance(5))
		bind.iommufd = nullfd;
	/* vfio_df_ioctl_bind_iommufd(), in its order */
	if (bind.flags)
		want = V_EINVAL;
	else if (group_file_alive(g))
		want = V_EBUSY;		/* the group path has the device */
	else if (g->cdev_bound)
		want = V_EINVAL;
	else if (bind.iommufd == nullfd)
		want = V_ERR;
	else if (g->ndevfds)
		want = V_EINVAL;	/* opened through the group before */
	else
		want = V_OK;
	if (want == V_OK && nlive > MAX_LIVE)
		return;
	if (judge(OP_CDEV_BIND, ioctl(g->cdevfd, VFIO_DEVICE_BIND_IOMMUFD, &bind),
		  want, "%s flags %#x", g->cdev, bind.flags) != V_OK)
		return;
	model_new(bind.out_devid, K_IDEV, OP_CDEV_BIND);
	obj(bind.out_devid)->iommu = 0;
	if (!real_iommu.known)
		hw_info(bind.out_devid, SHAPE_EXACT, true);
	g->cdev_bound = true;
	g->cdev_gen = ctx_gen;
	g->cdev_idev = bind.out_devid;
}

static void op_cdev_attach(void)
{
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct group *g = &groups[0];
	__u32 pt, ioas = 0;
	unsigned int want;

	if (g->cdevfd < 0)
		return;
	pt = chance(70) ? pick_id(K_IOAS) :
	     chance(70) ? pick_id(K_HWPT) : pick_id(K_NESTED);
	at.pt_id = pt;
	if (!g->cdev_bound)
		want = V_EINVAL;
	else if (g->cdev_gen != ctx_gen)
		return;		/* bound to an iommufd closed since */
	else if ((is(pt, K_HWPT) || is(pt, K_NESTED)) && !obj(pt)->vtd)
		want = V_EINVAL;	/* a mock IOMMU's domain */
	else if (is(pt, K_IOAS) || is(pt, K_HWPT) || is(pt, K_NESTED))
		want = V_ANY;	/* the real IOMMU decides */
	else
		want = V_ERR;
	if (judge(OP_CDEV_ATTACH, ioctl(g->cdevfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at),
		  want, "%s to %u (%s)", g->cdev, pt, kind_names[obj(pt)->kind]) != V_OK)
		return;
	if (is(pt, K_IOAS)) {
		ioas = pt;
	} else if (!is(at.pt_id, K_HWPT) && !is(at.pt_id, K_NESTED)) {
		mismatch(OP_CDEV_ATTACH, "attached to %u, a %s", at.pt_id,
			 kind_names[obj(at.pt_id)->kind]);
		return;
	}
	if ((is(at.pt_id, K_HWPT) || is(at.pt_id, K_NESTED)) &&
	    !obj(at.pt_id)->vtd)
		mismatch(OP_CDEV_ATTACH, "the VFIO device on the mock HWPT %u",
			 at.pt_id);
	model_attach(at.pt_id, ioas);
	obj(at.pt_id)->vtd = true;
	if (g->cdev_hwpt)
		model_detach(g->cdev_hwpt);
	g->cdev_hwpt = at.pt_id;
}

static void op_reopen(void)
{
	/* Rare: it throws away everything built so far */
	if (!chance(10))
		return;
	judge(OP_REOPEN, close(iommufd), V_OK, "with %d objects", nlive);
	open_iommufd();
}

/* ---- Teardown ---- */

/*
 * Destroy what the model holds, leaves first, checking each answer; then
 * close the fds in an order the seed picks.
 */
static void teardown(bool destroy)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd) };
	int fds[2 + 2 + 2 * MAX_DEVFDS + 2 + 2], nfds = 0;
	bool progress = true;
	unsigned int i, j;
	__u32 id;

	/* The VFIO cdev's device holds what it is attached to */
	if (destroy && groups[0].cdevfd >= 0) {
		judge(OP_TEARDOWN, close(groups[0].cdevfd), V_OK, "close %s",
		      groups[0].cdev);
		groups[0].cdevfd = -1;
		cdev_unbound(&groups[0]);
	}
	while (destroy && nlive && progress) {
		progress = false;
		for (id = 1; id < MAX_ID; id++) {
			if (objs[id].kind == K_FREE || destroy_want(id) != V_OK)
				continue;
			cmd.id = id;
			if (judge(OP_TEARDOWN, ioctl(iommufd, IOMMU_DESTROY, &cmd),
				  V_OK, "destroy %u (%s)", id,
				  kind_names[objs[id].kind]) == V_OK)
				model_destroy(id);
			progress = true;
		}
	}
	/* Left: bound devices (the VFIO cdev), or what the model lost */
	for (id = 1; destroy && id < MAX_ID; id++)
		if (objs[id].kind != K_FREE)
			mismatch(OP_TEARDOWN, "%u (%s) left with %d users", id,
				 kind_names[objs[id].kind], objs[id].users);

	fds[nfds++] = iommufd;
	for (i = 0; i < 2; i++)
		if (cont[i].fd >= 0)
			fds[nfds++] = cont[i].fd;
	for (i = 0; i < (unsigned int)ngroups; i++) {
		if (groups[i].fd >= 0)
			fds[nfds++] = groups[i].fd;
		for (j = 0; j < (unsigned int)groups[i].ndevfds; j++)
			fds[nfds++] = groups[i].devfds[j];
		if (groups[i].cdevfd >= 0)
			fds[nfds++] = groups[i].cdevfd;
	}
	if (vfio_iommufd >= 0)
		fds[nfds++] = vfio_iommufd;
	for (i = nfds; i > 1; i--) {
		int t, k = below(i);

		t = fds[k];
		fds[k] = fds[i - 1];
		fds[i - 1] = t;
	}
	for (i = 0; i < (unsigned int)nfds; i++)
		judge(OP_TEARDOWN, close(fds[i]), V_OK, "close fd %d", fds[i]);
}

/* ---- main ---- */

/* What each operation runs */
static void (*const run[NR_OPS])(void) = {
	[OP_IOAS_ALLOC] = op_ioas_alloc,
	[OP_MOCK_DEV] = op_mock_dev,
	[OP_HWPT_ALLOC] = op_hwpt_alloc,
	[OP_VIOMMU_ALLOC] = op_viommu_alloc,
	[OP_VDEVICE_ALLOC] = op_vdevice_alloc,
	[OP_DESTROY] = op_destroy,
	[OP_IOAS_MAP] = op_ioas_map,
	[OP_IOAS_UNMAP] = op_ioas_unmap,
	[OP_FIND_DEV] = op_find_dev,
	[OP_REPLACE] = op_replace,
	[OP_VIOMMU_NESTED] = op_viommu_nested,
	[OP_INVALIDATE] = op_invalidate,
	[OP_HW_INFO] = op_hw_info,
	[OP_BAD_IOCTL] = op_bad_ioctl,
	[OP_REOPEN] = op_reopen,
	[OP_VFIO_CONTAINER] = op_vfio_container,
	[OP_VFIO_VERSION] = op_vfio_version,
	[OP_VFIO_EXTENSION] = op_vfio_extension,
	[OP_VFIO_GROUP] = op_vfio_group,
	[OP_VFIO_STATUS] = op_vfio_status,
	[OP_VFIO_SET_CONTAINER] = op_vfio_set_container,
	[OP_VFIO_UNSET_CONTAINER] = op_vfio_unset_container,
	[OP_VFIO_SET_IOMMU] = op_vfio_set_iommu,
	[OP_VFIO_MAP] = op_vfio_map,
	[OP_VFIO_UNMAP] = op_vfio_unmap,
	[OP_VFIO_DEVICE_FD] = op_vfio_device_fd,
	[OP_VFIO_DEVICE] = op_vfio_device,
	[OP_VFIO_CDEV] = op_vfio_cdev,
	[OP_CDEV_BIND] = op_cdev_bind,
	[OP_CDEV_ATTACH] = op_cdev_attach,
	[OP_VFIO_SETUP] = op_vfio_setup,
};

static void die_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-n ITERATIONS] [-t SECONDS] [-d BDF [-c]] [-r BDF] [-v]\n"
		"  -d BDF  a device bound to vfio-pci, alone in its group\n"
		"  -c      that device through its cdev only: no group or container\n"
		"          ops, so it stays bound to iommufd and its IOMMU's own\n"
		"          HWPTs and vIOMMUs get most of the run\n"
		"  -r BDF  a device bound to vfio-pci whose group has a kernel driver\n",
		prog);
	exit(2);
}

/* Whether @op is in the run: the VFIO ones need -d, and -c keeps the cdev's */
static bool op_in_run(enum op op, const char *dev, bool cdev_only)
{
	if (!ops[op].vfio)
		return true;
	if (!dev)
		return false;
	return !cdev_only || op == OP_VFIO_CDEV || op == OP_CDEV_BIND ||
	       op == OP_CDEV_ATTACH;
}

/*
 * At fixed addresses: iommufd aligns automatic IOVAs like the user address,
 * so with ASLR the same seed would not give the same run.
 */
static void *map_at(unsigned long addr, size_t len, int prot)
{
	void *p = mmap((void *)addr, len, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED || p != (void *)addr) {
		fprintf(stderr, "mmap at %#lx: %s\n", addr, strerror(errno));
		exit(1);
	}
	return p;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool over_time(double start, double limit)
{
	return limit && now() - start >= limit;
}

int main(int argc, char **argv)
{
	unsigned long iterations = 60000, total = 0;
	const char *dev = NULL, *refused = NULL;
	double limit = 0, start, took;
	unsigned int w, sum = 0;
	int opt, i, kmsg;
	bool destroy, cdev_only = false;
	enum op op;

	seed = 0x10af0221;
	while ((opt = getopt(argc, argv, "s:n:t:d:r:cv")) != -1) {
		switch (opt) {
		case 'c':
			cdev_only = true;
			real_bias = 75;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			iterations = strtoul(optarg, NULL, 0);
			break;
		case 't':
			limit = strtod(optarg, NULL);
			break;
		case 'd':
			dev = optarg;
			break;
		case 'r':
			refused = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			die_usage(argv[0]);
		}
	}
	if (cdev_only && !dev)
		die_usage(argv[0]);
	/* Line by line: a panic must not swallow what came before it */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("seed %#llx iterations %lu time limit %.0f s (0: none)\n",
	       (unsigned long long)seed, iterations, limit);
	/* And in the kernel log, next to whatever the kernel says */
	kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (kmsg >= 0)
		dprintf(kmsg, "iommu-fuzz: seed %#llx iterations %lu\n",
			(unsigned long long)seed, iterations);
	rng = seed;

	/* Below 2^38: inside every arm64 VA size as well */
	arena = map_at(0x3000000000UL, ARENA_LEN + PG, PROT_READ | PROT_WRITE);
	dmabuf = map_at(0x3010000000UL, BUF_LEN, PROT_READ | PROT_WRITE);
	holes = map_at(0x3020000000UL, BUF_LEN, PROT_NONE);
	mprotect(arena + ARENA_LEN, PG, PROT_NONE);
	memset(dmabuf, 0xa5, BUF_LEN);
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);

	open_iommufd();
	if (dev) {
		add_group(dev, true);
		if (refused)
			add_group(refused, false);
		vfio_iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
		if (vfio_iommufd < 0) {
			perror("/dev/iommu");
			return 1;
		}
	}
	for (op = 0; op < NR_OPS; op++)
		if (op_in_run(op, dev, cdev_only))
			sum += ops[op].weight;

	start = now();
	for (iter = 0; iter < iterations && !over_time(start, limit); iter++) {
		if (kmsg >= 0 && iter && !(iter % 5000))
			dprintf(kmsg, "iommu-fuzz: iteration %lu\n", iter);
		w = below(sum);
		for (op = 0; op < NR_OPS; op++) {
			if (!op_in_run(op, dev, cdev_only))
				continue;
			if (w < ops[op].weight)
				break;
			w -= ops[op].weight;
		}
		if (op < NR_OPS && run[op])
			run[op]();
	}
	took = now() - start;
	/* The limit guards against a hang; reaching it is a failure. */
	if (iter < iterations) {
		printf("time limit of %.0f s reached after %lu of %lu iterations\n",
		       limit, iter, iterations);
		unexpected++;
	}
	destroy = chance(50);
	printf("%lu iterations in %.1f s, %d objects live; teardown: %s\n", iter,
	       took, nlive, destroy ? "destroy each, then close" : "close all");
	teardown(destroy);
	if (kmsg >= 0) {
		dprintf(kmsg, "iommu-fuzz: done, %lu unexpected\n", unexpected);
		close(kmsg);
	}

	printf("%-32s %7s %7s %7s %5s\n", "operation", "calls", "ok", "refused",
	       "unexp");
	for (op = 0; op < NR_OPS; op++) {
		if (!stats[op].calls)
			continue;
		total += stats[op].calls;
		printf("%-32s %7lu %7lu %7lu %5lu\n", ops[op].name,
		       stats[op].calls, stats[op].ok, stats[op].refused,
		       stats[op].unexpected);
	}
	if (real_iommu.known)
		printf("the VFIO device's IOMMU: hw_info type %u%s\n",
		       real_iommu.type,
		       real_smmu_nesting() ? " (SMMUv3, both stages)" : "");
	if (real_smmu_nesting()) {
		printf("  its vIOMMU code (ok/calls): %lu/%lu vIOMMUs, %lu/%lu nested HWPTs,",
		       real_calls.viommu[1], real_calls.viommu[0],
		       real_calls.nested[1], real_calls.nested[0]);
		printf(" %lu/%lu invalidations, %lu commands issued\n",
		       real_calls.invalidate[1], real_calls.invalidate[0],
		       real_calls.issued);
	}
	i = unexpected ? 1 : 0;
	printf("seed %#llx: %lu iterations, %lu calls, %lu unexpected\n",
	       (unsigned long long)seed, iter, total, unexpected);
	return i;
}
