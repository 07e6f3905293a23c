#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a test run from its KTAP output and its kernel console log.

A run passes only if:
  - it printed KTAP at all, and every plan ("1..N") got its N results;
  - no leaf result is "not ok";
  - the console log has no kernel splat (WARNING, BUG, Oops, lockdep,
    KASAN, kmemleak, ...).

With --console-ktap, the KTAP that built-in KUnit suites print on the
kernel console is judged the same way, must be there, and its results are
added to the run's: each result is counted once, from the one file it was
printed to (the guest's KTAP and the console's are separate outputs).

Leaf results are counted (a parameterised case or a suite counts through
its subtests).  One summary line is printed, "LABEL: N passed, N failed,
N skipped", and appended to $RESULTS_FILE if set, for the final tally;
the problems found are appended to $PROBLEMS_FILE if set, so that the end
of a long log can list them again.

Why not the kernel's tools/testing/kunit/kunit_parser.py: it reads the
same KTAP and counts the same results (measured on our guests' KTAP of an
x86_64 row and of a debug row: 33 and 34 passed, 1 skipped each, as
here), and a developer can run "kunit.py parse" on any .ktap file of out/.
What it does not do is the rest of this script: judge the kernel console
for splats, judge the two outputs of one boot (the guest's KTAP and the
KTAP of built-in KUnit suites on the console) as one run, and keep the
tally and the problems for make check's summary.
"""
import argparse
import os
import re
import sys

TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\]\s?')
RESULT = re.compile(r'^(\s*)(ok|not ok) (\d+)\s*(?:-\s*)?([^#]*?)\s*(#.*)?$')
PLAN = re.compile(r'^(\s*)1\.\.(\d+)\s*$')
HEADER = re.compile(r'^\s*(KTAP version \d+|TAP version \d+)\s*$')

SPLATS = [
    r'WARNING:', r'BUG:', r'Oops', r'Kernel panic', r'general protection fault',
    r'kernel BUG at', r'Call Trace:', r'possible circular locking',
    r'possible recursive locking', r'inconsistent lock state',
    r'suspicious RCU usage', r'KASAN:', r'UBSAN:',
    r'kmemleak: \d+ new suspected', r'rcu: INFO: .* stall',
    r'INFO: task .* blocked for more than', r'list_add corruption',
    r'list_del corruption', r'ODEBUG:', r'refcount_t:',
]
SPLAT = re.compile('|'.join(SPLATS))
# Lines that match the patterns above but are not reports.
BENIGN = re.compile(r'|'.join([
    r'kmemleak: Kernel memory leak detector',
    r'kmemleak: Automatic memory scanning thread',
    r'KASAN: .*(initialized|enabled)',
    r'^\s*#\s',  # KTAP diagnostics quoting a pattern are not splats
]))


def clean(line):
    return TIMESTAMP.sub('', line.rstrip('\r\n'))


def parse_ktap(lines, suites=None):
    """Return (passed, failed, skipped, problems).

    With a list @suites, append (name, passed, failed, skipped) for each
    top-level result that aggregates subtests (a KUnit suite, a selftest
    binary).
    """
    passed = failed = skipped = 0
    mark = (0, 0, 0)
    problems = []
    seen_header = False
    # Per indentation depth: planned count and results seen so far.
    plans, counts = {}, {}
    deepest_since = {}  # depth -> True if a deeper result came after the last one
    diags = []  # the last diagnostic lines, which say why a result failed

    for raw in lines:
        line = clean(raw)
        if HEADER.match(line):
            seen_header = True
            continue
        if not seen_header:
            continue
        m = PLAN.match(line)
        if m:
            depth = len(m.group(1))
            plans[depth] = int(m.group(2))
            counts[depth] = 0
            deepest_since[depth] = False
            continue
        m = RESULT.match(line)
        if not m:
            if line.strip().startswith('#'):
                diags = (diags + [line.strip()[1:].strip()])[-3:]
            continue
        depth = len(m.group(1))
        verdict, name, directive = m.group(2), m.group(4), (m.group(5) or '')
        counts[depth] = counts.get(depth, 0) + 1
        why, diags = diags, []
        # A result with deeper results before it aggregates them.
        is_leaf = not any(d > depth and counts.get(d, 0) for d in counts)
        if not is_leaf:
            for d in [d for d in counts if d > depth]:
                if d in plans and counts[d] != plans[d]:
                    problems.append('%s: planned %d subtests, got %d'
                                    % (name, plans[d], counts[d]))
                counts.pop(d, None)
                plans.pop(d, None)
            if verdict == 'not ok' and failed == mark[1] and \
                    'SKIP' not in directive.upper():
                # A suite failing with no failed leaf (crash, init error).
                problems.append('not ok (aggregate): %s %s' % (name, directive))
            if depth == 0 and suites is not None:
                suites.append((name, passed - mark[0], failed - mark[1],
                               skipped - mark[2]))
            if depth == 0:
                mark = (passed, failed, skipped)
            continue
        if 'SKIP' in directive.upper():
            skipped += 1
        elif verdict == 'ok':
            passed += 1
        else:
            failed += 1
            problems.append('not ok: %s %s [%s]' % (name, directive,
                                                    ' | '.join(why)))
        if depth == 0:
            mark = (passed, failed, skipped)

    if not seen_header:
        problems.append('no KTAP output at all')
    for d, n in plans.items():
        if counts.get(d, 0) != n:
            problems.append('planned %d results at depth %d, got %d (crash or timeout?)'
                            % (n, d, counts.get(d, 0)))
    return passed, failed, skipped, problems


def splats(lines):
    found = []
    for raw in lines:
        line = clean(raw)
        if SPLAT.search(line) and not BENIGN.search(line):
            found.append(line)
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('ktap', help='file holding the KTAP output')
    ap.add_argument('--console', help='kernel console log (default: the KTAP file)')
    ap.add_argument('--console-ktap', action='store_true',
                    help='also judge the KTAP printed on the console')
    ap.add_argument('--label', default='tests')
    ap.add_argument('--splats-only', action='store_true',
                    help='only look for kernel splats in KTAP (a console '
                    'log): exit 1 if there is one')
    args = ap.parse_args()
    if args.splats_only:
        with open(args.ktap, errors='replace') as f:
            return 1 if splats(f.readlines()) else 0

    with open(args.ktap, errors='replace') as f:
        ktap_lines = f.readlines()
    console_lines = ktap_lines
    if args.console:
        with open(args.console, errors='replace') as f:
            console_lines = f.readlines()

    suites = []
    passed, failed, skipped, problems = parse_ktap(ktap_lines, suites)
    if args.console_ktap:
        csuites = []
        p, f, s, cproblems = parse_ktap(console_lines, csuites)
        passed, failed, skipped = passed + p, failed + f, skipped + s
        suites += [('console: ' + n,) + tuple(c) for n, *c in csuites]
        problems += ['console: ' + c for c in cproblems]
    for name, p, f, s in suites:
        print('  %s: %s: %d passed, %d failed, %d skipped' % (args.label, name,
                                                             p, f, s))
    found = splats(console_lines)
    if found:
        problems.append('%d kernel splat line(s) in the console log, first: %s'
                        % (len(found), found[0]))
        failed += 1  # the run as a whole counts as one failure

    for p in problems:
        print('  %s: %s' % (args.label, p))
    if problems and os.environ.get('PROBLEMS_FILE'):
        with open(os.environ['PROBLEMS_FILE'], 'a') as f:
            f.writelines('%s: %s\n' % (args.label, p) for p in problems)
    summary = '%s: %d passed, %d failed, %d skipped' % (args.label, passed,
                                                        failed, skipped)
    print(summary)
    if os.environ.get('RESULTS_FILE'):
        with open(os.environ['RESULTS_FILE'], 'a') as f:
            f.write('%s %d %d %d\n' % (args.label, passed, failed, skipped))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
