#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the logs of harness/bench.sh into the ours/stock table.

Reads, for each core (stock, ours) and run N, out/bench/CORE/kunit-N.log
(the iommu-bench suite's console, "BENCH <metric> <value>" lines) and
out/bench/CORE/vtd-N.console (a VT-d boot, for the IOMMU initialisation
time from the console timestamps).  Writes table.txt (median and min-max
spread of each figure over the runs, the ratio of the medians ours/stock,
each goal met or not), bench.csv (every run's figure) and probe.png (probe
cost per device against the number of devices, drawn by gnuplot).

All times are guest nanoseconds under QEMU's -icount shift=0, that is
instructions executed; memory is slab bytes.
"""
import argparse
import csv
import os
import re
import statistics
import subprocess
import sys

CORES = ('stock', 'ours')
PROBE_COUNTS = (10, 100, 1000, 10000)
REMOVE_COUNTS = (100, 1000, 10000)
PASID_LIVE = (1000, 100000)
# (metric, what) of the removal rows; (use, operations) of the PASID rows
REMOVE_KINDS = (('remove', 'remove'), ('remove_shared', 'remove, 1 group'))
PASID_OPS = (('data', ('alloc', 'lookup', 'free')), ('bare', ('alloc', 'free')))
# Per-item costs that must not grow with the number of devices or of live
# IDs (ours): (what, metric pattern, counts)
CURVES = [(f'{what}, per device', f'{m}.{{}}.per_dev', REMOVE_COUNTS)
          for m, what in REMOVE_KINDS] + \
         [(f'global PASID {op} ({kind})', f'pasid.{kind}.{{}}.{op}', PASID_LIVE)
          for kind, ops in PASID_OPS for op in ops]
# Per-device probe cost counts as flat when the largest of N = 100..10,000
# is at most this much above the smallest.
FLAT_SPREAD = 1.25

OVERHEAD = 0.5
PER_PAGE = 0.7
NOT_SLOWER = 1.0

# (metric, what, unit, scale, goal): the value shown is metric / scale.
ROWS = [
    ('map.4k.overhead', 'iommu_map 4K, core overhead', 'ns/call', 1, OVERHEAD),
    ('map.2m.overhead', 'iommu_map 2M, core overhead', 'ns/call', 1, OVERHEAD),
    ('map.mixed.overhead', 'iommu_map mixed, core overhead', 'ns/call', 1, OVERHEAD),
    ('unmap.4k.overhead', 'iommu_unmap 4K, core overhead', 'ns/call', 1, OVERHEAD),
    ('unmap.2m.overhead', 'iommu_unmap 2M, core overhead', 'ns/call', 1, OVERHEAD),
    ('unmap.mixed.overhead', 'iommu_unmap mixed, core overhead', 'ns/call', 1, OVERHEAD),
    ('map.4k.call', 'iommu_map 4K (1 page)', 'ns/call', 1, NOT_SLOWER),
    ('map.2m.call', 'iommu_map 2M (1 page)', 'ns/call', 1, NOT_SLOWER),
    ('map.mixed.call', 'iommu_map mixed (34 pages)', 'ns/call', 1, NOT_SLOWER),
    ('map.mixed.page100', 'iommu_map mixed, per page', 'ns/page', 100, PER_PAGE),
    ('unmap.4k.call', 'iommu_unmap 4K (1 page)', 'ns/call', 1, NOT_SLOWER),
    ('unmap.2m.call', 'iommu_unmap 2M (1 page)', 'ns/call', 1, NOT_SLOWER),
    ('unmap.mixed.call', 'iommu_unmap mixed (34 pages)', 'ns/call', 1, NOT_SLOWER),
    ('unmap.mixed.page100', 'iommu_unmap mixed, per page', 'ns/page', 100,
     PER_PAGE),
    ('dma.strict.map', 'dma_map_page 4K, strict', 'ns/call', 1, NOT_SLOWER),
    ('dma.strict.unmap', 'dma_unmap_page 4K, strict', 'ns/call', 1, NOT_SLOWER),
    ('dma.lazy.map', 'dma_map_page 4K, lazy', 'ns/call', 1, NOT_SLOWER),
    ('dma.lazy.unmap', 'dma_unmap_page 4K, lazy', 'ns/call', 1, NOT_SLOWER),
    ('owner.1.cycle', 'DMA owner claim+release, 1 device', 'ns/cycle', 1, NOT_SLOWER),
    ('owner.8.cycle', 'DMA owner claim+release, 8 devices', 'ns/cycle', 1, NOT_SLOWER),
    ('owner.static.1.cycle', 'DMA owner cycle, static domains, 1 dev',
     'ns/cycle', 1, NOT_SLOWER),
    ('owner.static.8.cycle', 'DMA owner cycle, static domains, 8 devs',
     'ns/cycle', 1, NOT_SLOWER),
] + [
    (f'probe.{n}.total', f'probe {n:,} devices, total', 'us', 1000, NOT_SLOWER)
    for n in PROBE_COUNTS
] + [
    (f'probe.{n}.per_dev', f'probe {n:,} devices, per device', 'ns/dev', 1, NOT_SLOWER)
    for n in PROBE_COUNTS
] + [
    (f'probe_id.{n}.per_dev', f'probe {n:,} identity, per device', 'ns/dev', 1, NOT_SLOWER)
    for n in PROBE_COUNTS
] + [
    (f'{m}.{n}.per_dev', f'{what} {n:,} devices, per device', 'ns/dev', 1,
     NOT_SLOWER)
    for m, what in REMOVE_KINDS
    for n in REMOVE_COUNTS
] + [
    (f'pasid.{kind}.{n}.{op}', f'global PASID {op}, {kind}, {n:,} live',
     'ns/op', 1, NOT_SLOWER)
    for kind, ops in PASID_OPS
    for op in ops for n in PASID_LIVE
] + [
    ('mem.per_dev', 'slab per device', 'bytes', 1, NOT_SLOWER),
    ('mem.per_group', 'slab per group', 'bytes', 1, NOT_SLOWER),
    ('vtd.init', 'VT-d boot: IOMMU init', 'us', 1000, NOT_SLOWER),
    ('vtd.groups', 'VT-d boot: device probe', 'us', 1000, NOT_SLOWER),
]

NOTES = """\
Notes:
- Guest time under QEMU TCG with -icount shift=0,sleep=off on one vCPU:
  1 ns is one guest instruction, so the figures are instruction counts.
- core overhead: ns per iommu_map()/iommu_unmap() call minus the bench
  driver's own cost (its map_pages()/unmap_pages() called directly, times
  the number of driver calls the core made).  The driver only counts.
- mixed: 4M+128K at 2M-64K: 16 x 4K, 2 x 2M, 16 x 4K in 3 driver calls;
  per page is the mixed call / 34.
- dma_map_page/dma_unmap_page: 4 KiB of one page through dma-iommu on
  the bench device's default domain, DMA (strict: an IOTLB sync per
  unmap) or DMA-FQ (lazy: the IOVA goes to dma-iommu's flush queue,
  whose flushes are counted); the driver's ops are the counting ones.
- DMA owner: iommu_device_claim_dma_owner() + release on one device of a
  group of 1 or 8 (blocking domain and back to the default domain);
  "static domains": a driver whose default and blocking domains are its
  static identity and blocked domains (ops->default_domain,
  ops->blocked_domain), where the cycle is the core's bookkeeping.
- probe: iommu_fwspec_init() + iommu_probe_device() per platform device,
  each in a group of its own (devices added beforehand, not timed), on
  the configuration's default domain (the test kernel has IOMMU_DMA in
  strict mode: a DMA domain, whose IOVA set-up in dma-iommu.c runs at
  probe) and, "identity", with the driver asking for identity default
  domains, which leaves dma-iommu.c out.  Ours creates one sysfs file
  per group more than stock, dma_owner (the root-only dma_owner_task
  comes at a group's first claim by user space; see
  Documentation/ABI/testing/sysfs-kernel-iommu_groups-dma_owner), and
  one kobject fewer (devices/ is a plain directory): probe and slab
  include both.
- IOVA per-CPU caches: not the core.  The 6 cache-line aligned per-CPU
  areas that dma-iommu.c's IOVA set-up (iova_domain_init_rcaches())
  allocates for each DMA domain, allocated as many times as the probe
  makes domains; "less those" subtracts them from the probe's figure.
- remove: platform_device_del() of N probed devices, newest first (the
  core's bus notifier releases each from its group), less the same
  deletion of N devices never probed; each device in a group of its own,
  or all in one group; identity default domains, so that no IOVA caches
  are freed with a group (dma-iommu's, alike on both cores).
- global PASID: iommu_alloc_global_pasid()/iommu_free_global_pasid()
  (stock: an IDA; ours: the ioasid system set), 512 at a time with 1,000
  or 100,000 IDs live beforehand (allocated, not timed).  "data": each
  PASID then stands for some data (here the device): stock keeps it in
  an xarray of the caller's, since the IDA stores none; ours attaches it
  to the ID with ioasid_attach_data() (neither is timed).  Lookup: stock
  xa_load() on that xarray, ours ioasid_find() on the system set (RCU,
  set checked).  Free: stock xa_erase() and the IDA free, ours the
  ioasid free, which drops the data with the ID.  "bare": allocated and
  freed with no data, as SVA's global PASIDs are.
- slab: growth of the NR_SLAB_* counters while probing 2,048 devices in
  groups of 1 and of 8; per group = (m1 - m8) / (7/8 N), per device =
  m1 / N - per group.
- VT-d boot: console timestamps of the q35 + intel-iommu boot: IOMMU init
  from "DMAR: No RMRR found" to "DMAR: Intel(R) Virtualization Technology
  for Directed I/O"; device probe from the first "Adding to iommu group"
  line to the same end."""

BENCH = re.compile(r'BENCH (\S+) (-?\d+)\s*$')
STAMP = re.compile(r'^\[\s*(\d+)\.(\d+)\]\s?(.*)$')


def kunit_metrics(path):
    out = {}
    with open(path, errors='replace') as f:
        for line in f:
            m = BENCH.search(line)
            if m:
                out[m.group(1)] = int(m.group(2))
    return out


def stamp_ns(m):
    return int(m.group(1)) * 10**9 + int(m.group(2).ljust(9, '0')[:9])


def vtd_metrics(path):
    """IOMMU init and device probe spans of a VT-d boot, in ns."""
    start = probe = end = None
    with open(path, errors='replace') as f:
        for line in f:
            m = STAMP.match(line.rstrip('\r\n'))
            if not m:
                continue
            text = m.group(3)
            if start is None and ('DMAR: No RMRR found' in text or
                                  'DMAR: RMRR base' in text):
                start = stamp_ns(m)
            elif probe is None and 'Adding to iommu group' in text:
                probe = stamp_ns(m)
            elif 'DMAR: Intel(R) Virtualization Technology' in text:
                end = stamp_ns(m)
                break
    if None in (start, probe, end):
        sys.exit(f'bench.py: {path}: VT-d init lines not found')
    return {'vtd.init': end - start, 'vtd.groups': end - probe}


def fmt(v):
    if abs(v) >= 100:
        return f'{v:,.0f}'
    return f'{v:.1f}'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dir', help='out/bench')
    ap.add_argument('--runs', type=int, required=True)
    args = ap.parse_args()

    vals = {core: {} for core in CORES}
    for core in CORES:
        for n in range(1, args.runs + 1):
            got = kunit_metrics(os.path.join(args.dir, core, f'kunit-{n}.log'))
            got.update(vtd_metrics(os.path.join(args.dir, core, f'vtd-{n}.console')))
            for k, v in got.items():
                vals[core].setdefault(k, []).append(v)

    lines = []
    csv_rows = []
    failed = []
    head = (f'{"workload":<40} {"unit":<8} {"stock median [min-max]":>28} '
            f'{"ours median [min-max]":>28} {"ours/stock":>10}  goal')
    lines.append(head)
    lines.append('-' * len(head + '  ---------'))
    for key, what, unit, scale, goal in ROWS:
        stat = {}
        for core in CORES:
            v = vals[core].get(key)
            if not v or len(v) != args.runs:
                sys.exit(f'bench.py: {key}: {core} has {len(v or [])} of {args.runs} runs')
            stat[core] = [statistics.median(v) / scale, min(v) / scale,
                          max(v) / scale]
        s, o = stat['stock'][0], stat['ours'][0]
        ratio = o / s if s > 0 else float('nan')
        met = ratio <= goal
        if not met:
            failed.append((what, ratio, goal))
        cell = {c: f'{fmt(stat[c][0])} [{fmt(stat[c][1])}-{fmt(stat[c][2])}]'
                for c in CORES}
        lines.append(f'{what:<40} {unit:<8} {cell["stock"]:>28} '
                     f'{cell["ours"]:>28} {ratio:>10.3f}  <={goal:.1f} '
                     f'{"met" if met else "NOT MET"}')
        for core in CORES:
            csv_rows.append([key, unit, core] +
                            [x / scale for x in vals[core][key]] +
                            stat[core] + [f'{ratio:.4f}', goal,
                                          'met' if met else 'not met'])

    # The probe curve: cost per device, flat from 100 to 10,000 devices.
    lines.append('')
    flat = {}
    for metric, what in (('probe', 'default domain'), ('probe_id', 'identity')):
        for core in CORES:
            per = [statistics.median(vals[core][f'{metric}.{n}.per_dev'])
                   for n in PROBE_COUNTS]
            big = per[1:]
            spread = max(big) / min(big)
            flat[metric, core] = spread <= FLAT_SPREAD
            lines.append(f'probe per device ({what}), {core}: ' +
                         ', '.join(f'{n:,}: {fmt(p)}'
                                   for n, p in zip(PROBE_COUNTS, per)) +
                         f' ns; max/min over 100..10,000 = {spread:.2f} '
                         f'({"flat" if flat[metric, core] else "NOT flat"}, '
                         f'goal <= {FLAT_SPREAD})')

    for what, pattern, counts in CURVES:
        for core in CORES:
            per = [statistics.median(vals[core][pattern.format(n)])
                   for n in counts]
            spread = max(per) / min(per) if min(per) > 0 else float('inf')
            flat[pattern, core] = spread <= FLAT_SPREAD
            lines.append(f'{what}, {core}: ' +
                         ', '.join(f'{n:,}: {fmt(p)}'
                                   for n, p in zip(counts, per)) +
                         f' ns; max/min = {spread:.2f} '
                         f'({"flat" if flat[pattern, core] else "NOT flat"})')

    # How much of the DMA probe's growth is the per-CPU allocator's: the
    # same counts of the allocations dma-iommu's IOVA set-up makes.
    less = {}
    for core in CORES:
        base = [statistics.median(vals[core][f'iova_percpu.{n}.per_dev'])
                for n in PROBE_COUNTS]
        per = [statistics.median(vals[core][f'probe.{n}.per_dev'])
               for n in PROBE_COUNTS]
        rest = [p - b for p, b in zip(per, base)]
        spread = max(rest[1:]) / min(rest[1:])
        less[core] = (spread, spread <= FLAT_SPREAD)
        lines.append(f'IOVA per-CPU caches of a DMA domain, per device ({core}): ' +
                     ', '.join(f'{n:,}: {fmt(b)}'
                               for n, b in zip(PROBE_COUNTS, base)) + ' ns')
        lines.append(f'probe per device (default domain) less those, {core}: ' +
                     ', '.join(f'{n:,}: {fmt(r)}'
                               for n, r in zip(PROBE_COUNTS, rest)) +
                     f' ns; max/min over 100..10,000 = {spread:.2f} '
                     f'({"flat" if less[core][1] else "NOT flat"})')

    # The core's share of the DMA API path, estimated from the one-page
    # iommu_map()/iommu_unmap() calls of the same run.
    for core in CORES:
        med = {k: statistics.median(vals[core][k]) for k in
               ('map.4k.call', 'unmap.4k.call', 'dma.strict.map',
                'dma.strict.unmap')}
        share = (med['map.4k.call'] + med['unmap.4k.call']) / \
            (med['dma.strict.map'] + med['dma.strict.unmap'])
        lines.append(f'DMA API, strict, {core}: the core\'s share of '
                     f'dma_map_page() + dma_unmap_page() is about '
                     f'{share:.0%} (iommu_map() + iommu_unmap() of 4K: '
                     f'{fmt(med["map.4k.call"] + med["unmap.4k.call"])} of '
                     f'{fmt(med["dma.strict.map"] + med["dma.strict.unmap"])} ns)')

    lines.append('')
    lines.append('Goals:')
    for goal, what in ((OVERHEAD, 'map/unmap core overhead'),
                       (PER_PAGE, 'map/unmap per page of the mixed range'),
                       (NOT_SLOWER, 'every other')):
        miss = [f for f in failed if f[2] == goal]
        lines.append(f'- {what} ratio <= {goal}: ' +
                     ('met' if not miss else 'NOT MET: ' +
                      '; '.join(f'{w} {r:.3f}' for w, r, _ in miss)))
    for metric, what in (('probe', 'default domain'), ('probe_id', 'identity')):
        lines.append(f'- probe per-device cost flat from 100 to 10,000 devices '
                     f'(ours, {what}): ' +
                     ('met' if flat[metric, 'ours'] else 'NOT MET'))
    for what, metric, _ in CURVES:
        lines.append(f'- {what} flat (ours, max/min <= {FLAT_SPREAD}): ' +
                     ('met' if flat[metric, 'ours'] else 'NOT MET'))
    lines.append('- the same less the IOVA per-CPU caches (ours, default '
                 f'domain): {"met" if less["ours"][1] else "NOT MET"} '
                 f'({less["ours"][0]:.2f})')
    lines.append('')
    lines.append(NOTES)

    title = (f'iommu-bench: ours/stock, {args.runs} run(s) of each core, '
             'alternating, same QEMU, -icount shift=0,sleep=off, 1 vCPU')
    table = title + '\n\n' + '\n'.join(lines) + '\n'
    with open(os.path.join(args.dir, 'table.txt'), 'w') as f:
        f.write(table)

    with open(os.path.join(args.dir, 'bench.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['metric', 'unit', 'core'] +
                   [f'run{n}' for n in range(1, args.runs + 1)] +
                   ['median', 'min', 'max', 'ratio_ours_stock', 'goal', 'result'])
        w.writerows(csv_rows)

    plot(args.dir, vals)


def plot(d, vals):
    dat = os.path.join(d, 'probe.dat')
    with open(dat, 'w') as f:
        f.write('# devices, then median min max (ns/device) of: stock, ours '
                '(default domain), stock, ours (identity), then the median '
                'of stock, ours (default domain less the IOVA per-CPU '
                'caches)\n')
        for n in PROBE_COUNTS:
            row = [n]
            for metric in ('probe', 'probe_id'):
                for core in CORES:
                    v = vals[core][f'{metric}.{n}.per_dev']
                    row += [statistics.median(v), min(v), max(v)]
            for core in CORES:
                row.append(statistics.median(vals[core][f'probe.{n}.per_dev']) -
                           statistics.median(vals[core][f'iova_percpu.{n}.per_dev']))
            f.write(' '.join(str(x) for x in row) + '\n')
    rdat = os.path.join(d, 'remove.dat')
    with open(rdat, 'w') as f:
        f.write('# devices, then the median (ns/device) of the removal of: '
                'stock, ours (own groups), stock, ours (one group)\n')
        for n in REMOVE_COUNTS:
            row = [n] + [statistics.median(vals[core][f'{m}.{n}.per_dev'])
                         for m, _ in REMOVE_KINDS
                         for core in CORES]
            f.write(' '.join(str(x) for x in row) + '\n')
    script = f"""
set terminal png size 900,600
set output '{os.path.join(d, "probe.png")}'
set title 'IOMMU probe and removal cost per device (guest instructions, -icount shift=0)'
set xlabel 'devices probed'
set ylabel 'ns (= instructions) per device'
set logscale x
set xrange [5:20000]
set logscale y
set key bottom right
set grid
plot '{dat}' using 1:2:3:4 with yerrorlines lw 2 title 'stock, default domain (DMA)', \\
     '{dat}' using 1:5:6:7 with yerrorlines lw 2 title 'ours, default domain (DMA)', \\
     '{dat}' using 1:8:9:10 with yerrorlines lw 2 title 'stock, identity', \\
     '{dat}' using 1:11:12:13 with yerrorlines lw 2 title 'ours, identity', \\
     '{dat}' using 1:14 with linespoints dt 2 title 'stock, DMA less IOVA per-CPU caches', \\
     '{dat}' using 1:15 with linespoints dt 2 title 'ours, DMA less IOVA per-CPU caches', \\
     '{rdat}' using 1:2 with linespoints dt 3 title 'stock, removal (identity, own groups)', \\
     '{rdat}' using 1:3 with linespoints dt 3 title 'ours, removal (identity, own groups)', \\
     '{rdat}' using 1:4 with linespoints dt 4 title 'stock, removal (identity, one group)', \\
     '{rdat}' using 1:5 with linespoints dt 4 title 'ours, removal (identity, one group)'
"""
    subprocess.run(['gnuplot'], input=script, text=True, check=True)


if __name__ == '__main__':
    main()
