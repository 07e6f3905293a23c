// SPDX-License-Identifier: GPL-2.0
/*
 * tbprof: a QEMU TCG plugin that counts the guest instructions executed
 * per translation block, to be folded into functions by funcs.py with the
 * guest kernel's symbols.  Under -icount shift=0 the counts are the same
 * units as the bench's figures.
 *
 * Debian's QEMU ships no qemu-plugin.h, so the few calls used are
 * declared here; QEMU checks qemu_plugin_version against its own API.
 *
 * Arguments: out=FILE (default tbprof.txt); on=ADDR and off=ADDR (hex,
 * optional): count only from a block starting at ADDR "on" to one
 * starting at "off", e.g. two empty noinline marker functions.
 * Output: one line per block, "vaddr instructions executions".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;

enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};

typedef void (*tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*atexit_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags,
					  void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, atexit_cb_t cb,
				    void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 4;

struct block {
	uint64_t vaddr, insns, execs;
	struct block *next;
};

static struct block *blocks;
static const char *out_path = "tbprof.txt";
static uint64_t on_addr, off_addr;
static bool counting = true;

static void block_exec(unsigned int vcpu, void *userdata)
{
	struct block *b = userdata;

	if (on_addr && b->vaddr == on_addr)
		counting = true;
	else if (off_addr && b->vaddr == off_addr)
		counting = false;
	if (counting)
		b->execs++;
}

static void block_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct block *b = calloc(1, sizeof(*b));

	if (!b)
		abort();
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->insns = qemu_plugin_tb_n_insns(tb);
	b->next = blocks;
	blocks = b;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec,
					     QEMU_PLUGIN_CB_NO_REGS, b);
}

static void write_counts(qemu_plugin_id_t id, void *userdata)
{
	FILE *f = fopen(out_path, "w");
	struct block *b;

	if (!f)
		return;
	for (b = blocks; b; b = b->next)
		if (b->execs)
			fprintf(f, "%llx %llu %llu\n",
				(unsigned long long)b->vaddr,
				(unsigned long long)b->insns,
				(unsigned long long)b->execs);
	fclose(f);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
			int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			out_path = argv[i] + 4;
		} else if (!strncmp(argv[i], "on=", 3)) {
			on_addr = strtoull(argv[i] + 3, NULL, 16);
			counting = false;
		} else if (!strncmp(argv[i], "off=", 4)) {
			off_addr = strtoull(argv[i] + 4, NULL, 16);
		} else {
			fprintf(stderr, "tbprof: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, block_translated);
	qemu_plugin_register_atexit_cb(id, write_counts, NULL);
	return 0;
}
