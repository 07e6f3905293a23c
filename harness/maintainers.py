#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""MAINTAINERS helpers for the series (harness/series.sh).

  maintainers.py step BASE FINAL FILES
      Print MAINTAINERS as it is in a patch of the series whose tree holds
      the files listed in FILES (one path a line): FINAL (the base's
      MAINTAINERS with our MAINTAINERS patch applied) without the F: lines
      that patch adds and that match none of those files, and without the
      sections it adds that are left with no F: line.

  maintainers.py cover BASE FINAL OURS
      Check that every file listed in OURS is matched by an F: line of the
      lines our patch adds (and not excluded by one of its X: lines); list
      those that are not and fail.

F: and X: patterns match as scripts/get_maintainer.pl matches them: a
pattern ending in "/" matches everything below it, "*" and "?" are
wildcards, and otherwise a pattern matches files at its own depth only; a
pattern naming a directory without the trailing "/" counts as one with it.

scripts/get_maintainer.pl is not used for either job: "step" rewrites
MAINTAINERS, which it does not do, and "cover" asks whether the lines
our patch adds cover a file, where get_maintainer.pl answers from the
whole file: the base's own sections (IOMMU SUBSYSTEM's F: drivers/iommu/
and include/linux/iommu.h) would make every file of ours look covered.
"""
import re
import subprocess
import sys


def marked_lines(base, final):
    """FINAL's lines as (added, text); fails if our patch removes lines."""
    out = subprocess.run(
        ["diff", "--old-line-format=-%L", "--new-line-format=+%L",
         "--unchanged-line-format= %L", base, final],
        capture_output=True, text=True, check=False)
    if out.returncode > 1:
        sys.exit(f"maintainers.py: diff failed: {out.stderr}")
    lines = []
    for raw in out.stdout.splitlines():
        if raw[0] == "-":
            sys.exit("maintainers.py: our MAINTAINERS patch removes lines; "
                     "only additions can be spread over the series")
        lines.append((raw[0] == "+", raw[1:]))
    return lines


def matcher(pattern, files):
    """A function telling whether a file matches an F:/X: pattern."""
    if not pattern.endswith("/") and any(
            f.startswith(pattern + "/") for f in files):
        pattern += "/"
    rx = re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."))
    depth = pattern.count("/")

    def match(f):
        if not rx.match(f):
            return False
        return pattern.endswith("/") or f.count("/") == depth
    return match


def sections(lines):
    """Split (added, text) lines into runs of non-empty lines and the
    empty lines between them: [(is_section, [(added, text), ...]), ...]."""
    out = []
    for added, text in lines:
        is_sec = text != ""
        if out and out[-1][0] == is_sec:
            out[-1][1].append((added, text))
        else:
            out.append((is_sec, [(added, text)]))
    return out


def step_text(base, final, files):
    parts = sections(marked_lines(base, final))
    result = []
    drop_blank = False      # drop an added empty line of the next run
    added_blank = None      # index in result of one of the last run
    for is_sec, body in parts:
        if not is_sec:
            added_blank = None
            for added, text in body:
                if added and drop_blank:
                    drop_blank = False
                    continue
                if added:
                    added_blank = len(result)
                result.append(text)
            drop_blank = False
            continue
        kept = [(added, text) for added, text in body
                if not (added and re.match(r"F:", text) and
                        not any(map(matcher(text[2:].strip(), files), files)))]
        if all(added for added, _ in body) and \
                not any(re.match(r"F:", t) for _, t in kept):
            # A section of ours with no file yet, and the empty line that
            # our patch added with it, before or after it.
            if added_blank is not None:
                del result[added_blank]
            else:
                drop_blank = True
            added_blank = None
            continue
        added_blank = None
        result.extend(text for _, text in kept)
    return "".join(t + "\n" for t in result)


def cover(base, final, ours):
    added = [t for a, t in marked_lines(base, final) if a]
    pats = [re.match(r"([FX]):\s*(\S+)", t) for t in added]
    pats = [(m.group(1), m.group(2)) for m in pats if m]
    missing = []
    for f in ours:
        if any(k == "X" and matcher(p, ours)(f) for k, p in pats):
            missing.append(f)
        elif not any(k == "F" and matcher(p, ours)(f) for k, p in pats):
            missing.append(f)
    for f in missing:
        print(f"MAINTAINERS: no F: line of ours covers {f}", file=sys.stderr)
    return 1 if missing else 0


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("step", "cover"):
        sys.exit(__doc__)
    with open(sys.argv[4]) as fh:
        files = [line.strip() for line in fh if line.strip()]
    if sys.argv[1] == "step":
        sys.stdout.write(step_text(sys.argv[2], sys.argv[3], files))
        return 0
    return cover(sys.argv[2], sys.argv[3], files)


if __name__ == "__main__":
    sys.exit(main())
