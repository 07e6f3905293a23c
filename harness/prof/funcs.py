#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fold tbprof.c's per-block counts into functions.

funcs.py VMLINUX COUNTS               instructions per function, most first
funcs.py VMLINUX_A COUNTS_A VMLINUX_B COUNTS_B
                                      the per-function difference B - A,
                                      largest first (e.g. A stock, B ours)
PROF_LINES=N sets how many lines (default 60).  A block is charged to the text
symbol at or below its start address; blocks below the first symbol are
"?" (firmware, real mode).
"""
import bisect
import collections
import os
import subprocess
import sys


def load(vmlinux, counts):
    syms = []
    nm = subprocess.run(['nm', '-n', vmlinux], capture_output=True,
                        text=True, check=True).stdout
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in 'tTwW':
            syms.append((int(f[0], 16), f[2]))
    addrs = [a for a, _ in syms]
    per_func = collections.Counter()
    with open(counts) as f:
        for line in f:
            vaddr, insns, execs = line.split()
            i = bisect.bisect_right(addrs, int(vaddr, 16)) - 1
            per_func[syms[i][1] if i >= 0 else '?'] += int(insns) * int(execs)
    return per_func


def main():
    top = int(os.environ.get('PROF_LINES', '60'))
    if len(sys.argv) == 3:
        a = load(sys.argv[1], sys.argv[2])
        print(f'total {sum(a.values())}')
        for name, n in a.most_common(top):
            print(f'{n:14d} {name}')
    elif len(sys.argv) == 5:
        a = load(sys.argv[1], sys.argv[2])
        b = load(sys.argv[3], sys.argv[4])
        print(f'total A {sum(a.values())} B {sum(b.values())} '
              f'B-A {sum(b.values()) - sum(a.values())}')
        print(f'{"B-A":>12} {"A":>12} {"B":>12} function')
        for name in sorted(set(a) | set(b), key=lambda k: -abs(b[k] - a[k]))[:top]:
            print(f'{b[name] - a[name]:+12d} {a[name]:12d} {b[name]:12d} {name}')
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
