#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that every function a C file exports has a complete kernel-doc.

Usage: kdoc-exports.py KERNEL_TREE FILE...

For each EXPORT_SYMBOL*() of a function in FILE (relative to KERNEL_TREE),
the tree's scripts/kernel-doc must find a kernel-doc comment for it, and
that comment must have a "Context:" section and, unless the function
returns void, a "Return:" section.  (kernel-doc -Wall checks Return only
on the functions that have a comment; this also catches the exports
that have none, and Context, which kernel-doc does not check.)  Exported
variables are skipped: kernel-doc does not document them.

Prints one "FILE: SYMBOL: problem" line per problem and exits 1 if there
was any.
"""
import os
import re
import subprocess
import sys

EXPORT = re.compile(r'^\s*EXPORT_SYMBOL\w*\(\s*(\w+)', re.M)
KUNIT_EXPORT = re.compile(r'^\s*EXPORT_SYMBOL_IF_KUNIT\(\s*(\w+)', re.M)
FUNCTION = re.compile(r'^\.\. c:function:: (.*?)\s*$')


def documented(tree, path, kunit_exports):
    """Map each function name kernel-doc documents among the exports of
    @path to (prototype, the set of its section headings).  kernel-doc's
    -export knows EXPORT_SYMBOL*() but not EXPORT_SYMBOL_IF_KUNIT(): those
    (@kunit_exports) are asked for by name."""
    by_name = []
    for name in kunit_exports:
        by_name += ['-function', name]
    out = ''
    for sel in (['-export'], by_name):
        if sel:
            out += subprocess.run([f'{tree}/scripts/kernel-doc', '-rst'] +
                                  sel + [path], cwd=tree,
                                  capture_output=True, text=True,
                                  check=True).stdout
    docs, cur = {}, None
    for line in out.splitlines():
        m = FUNCTION.match(line)
        if m:
            proto = m.group(1)
            name = re.search(r'(\w+)\s*\(', proto).group(1)
            cur = docs.setdefault(name, (proto, set()))
            continue
        if line.startswith('.. c:'):
            cur = None
            continue
        m = re.match(r'^\s*\*\*(\w[\w ]*)\*\*\s*$', line)
        if m and cur is not None:
            cur[1].add(m.group(1))
    return docs


def is_function(src, name):
    """Whether @name is defined as a function (not a variable) in @src."""
    return re.search(r'^[\w][^;=]*\b' + name + r'\s*\(', src, re.M) is not None


def main():
    tree, files = os.path.abspath(sys.argv[1]), sys.argv[2:]
    problems = 0
    for path in files:
        with open(f'{tree}/{path}', encoding='utf-8') as f:
            src = f.read()
        exports = EXPORT.findall(src)
        if not exports:
            continue
        docs = documented(tree, path, KUNIT_EXPORT.findall(src))
        for name in exports:
            if not is_function(src, name):
                continue
            what = []
            if name not in docs:
                what.append('no kernel-doc comment')
            else:
                proto, sections = docs[name]
                if 'Context' not in sections:
                    what.append('no "Context:" section')
                returns_void = re.match(r'^(static\s+)?(inline\s+)?void\s+\w',
                                        proto) is not None
                if not returns_void and 'Return' not in sections:
                    what.append('no "Return:" section')
            for w in what:
                print(f'{path}: {name}: exported, {w}')
                problems += 1
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
