#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""List runs of six or more code lines that our files share, to the
letter, with the base's drivers/iommu/iommu.c.

Lines are compared with white space folded; blank lines, comments, lone
punctuation and #include lines are passed over (as the project's
duplicates check does).  Exit status 1 if any run is found.
"""
import re
import sys

MIN = 6


def code_lines(path):
    out = []
    in_comment = False
    with open(path, errors='replace') as f:
        for no, raw in enumerate(f, 1):
            line = raw.strip()
            if in_comment:
                if '*/' in line:
                    in_comment = False
                    line = line.split('*/', 1)[1].strip()
                else:
                    continue
            line = re.sub(r'/\*.*?\*/', '', line).strip()
            if line.startswith('/*'):
                in_comment = '*/' not in line
                continue
            line = re.sub(r'//.*', '', line).strip()
            if not line or re.fullmatch(r'[{}();,\s]*', line) or line.startswith('#include'):
                continue
            out.append((no, ' '.join(line.split())))
    return out


def runs(base, ours):
    index = {}
    for i, (_, text) in enumerate(base):
        index.setdefault(text, []).append(i)
    found = []
    j = 0
    while j < len(ours):
        best = 0
        best_i = None
        for i in index.get(ours[j][1], []):
            n = 0
            while (i + n < len(base) and j + n < len(ours)
                   and base[i + n][1] == ours[j + n][1]):
                n += 1
            if n > best:
                best, best_i = n, i
        if best >= MIN:
            found.append((ours[j][0], ours[j + best - 1][0],
                          base[best_i][0], base[best_i + best - 1][0]))
            j += best
        else:
            j += 1
    return found


def main():
    base = code_lines(sys.argv[1])
    bad = 0
    for path in sys.argv[2:]:
        for o1, o2, b1, b2 in runs(base, code_lines(path)):
            print('%s:%d-%d = iommu.c:%d-%d' % (path, o1, o2, b1, b2))
            bad = 1
    return bad


if __name__ == '__main__':
    sys.exit(main())
