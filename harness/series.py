#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Build the kernel series as git commits on the base (harness/series.sh).

  series.py build TOP REPO BASE STAGE
      In the git repository REPO, whose branch "base" holds the unpacked
      base tree BASE, make branch "series": one commit per step of
      TOP/series/*.step (see series/README).  Checks that every file of
      ours and every patch of patches/series is in exactly one step, in the
      order of patches/series, and that the last commit's tree is the base
      with STAGE (harness/lib.sh's overlay_stage for CORE=ours) over it.

  series.py cover TOP COVER_PATCH OUT
      Fill the cover letter git format-patch wrote (COVER_PATCH) from
      TOP/series/cover-letter and the latest results under OUT.
"""
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import maintainers  # noqa: E402

AUTHOR = os.environ.get("SERIES_AUTHOR", "IOMMU core series <iommu-core@localhost>")
# Fixed dates make the series the same, commit IDs included, on every run.
DATE = 1767225600  # 2026-01-01 00:00:00 UTC
OUR_DIRS = ("drivers", "include", "Documentation", "tools")


def die(msg):
    sys.exit(f"[series] error: {msg}")


def run(cmd, **kw):
    kw.setdefault("check", True)
    kw.setdefault("text", True)
    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(cmd, **kw).stdout


class Git:
    def __init__(self, repo, index):
        self.env = dict(os.environ, GIT_DIR=repo, GIT_INDEX_FILE=index)

    def __call__(self, *args, inp=None, env=None):
        return run(["git", *args], env=dict(self.env, **(env or {})),
                   input=inp)

    def blob(self, path):
        return self("hash-object", "-w", "--no-filters", path).strip()


def parse_step(path):
    with open(path) as fh:
        text = fh.read()
    head, sep, body = text.partition("\n\n")
    if not sep or not body.strip():
        die(f"{path}: no body (the message follows the first empty line)")
    fields = {}
    key = None
    for line in head.splitlines():
        if line[:1].isspace() and key:
            fields[key] += " " + line.strip()
            continue
        m = re.match(r"([A-Za-z-]+):\s*(.*)", line)
        if not m:
            die(f"{path}: bad header line: {line!r}")
        key = m.group(1).lower()
        if key not in ("subject", "files", "patches"):
            die(f"{path}: unknown header {m.group(1)}")
        fields[key] = (fields.get(key, "") + " " + m.group(2)).strip()
    if not fields.get("subject"):
        die(f"{path}: no Subject:")
    for n, line in enumerate(body.splitlines(), 1):
        if len(line) > 75:
            die(f"{path}: body line {n} is longer than 75 columns")
    return {
        "name": os.path.basename(path),
        "subject": fields["subject"],
        "files": fields.get("files", "").split(),
        "patches": fields.get("patches", "").split(),
        "body": body.strip("\n"),
    }


def lsdiff(patch):
    return run(["lsdiff", "--strip=1", patch]).split()


def our_files(top):
    out = []
    for d in OUR_DIRS:
        for root, _, files in os.walk(os.path.join(top, d)):
            for f in files:
                out.append(os.path.relpath(os.path.join(root, f), top))
    return sorted(out)


def series_patches(top):
    with open(os.path.join(top, "patches", "series")) as fh:
        names = [ln.strip() for ln in fh
                 if ln.strip() and not ln.startswith("#")]
    for n in names:
        if not os.path.isfile(os.path.join(top, "patches", n)):
            die(f"patches/series names missing patches/{n}")
    return names


def plan(top):
    steps = [parse_step(os.path.join(top, "series", f))
             for f in sorted(os.listdir(os.path.join(top, "series")))
             if f.endswith(".step")]
    if not steps:
        die("no series/*.step")
    ours = our_files(top)
    owner = {}
    for s in steps:
        s["paths"] = []
        for pat in s["files"]:
            if not pat.startswith(tuple(d + "/" for d in OUR_DIRS)):
                die(f"{s['name']}: {pat} is not under {', '.join(OUR_DIRS)}")
            rx = re.compile(fnmatch.translate(pat).replace(".*", "[^/]*"))
            hits = [f for f in ours if rx.match(f)]
            if not hits:
                die(f"{s['name']}: {pat} matches no file of ours")
            for f in hits:
                if f in owner:
                    die(f"{f} is in {owner[f]} and in {s['name']}")
                owner[f] = s["name"]
                s["paths"].append(f)
    missing = [f for f in ours if f not in owner]
    if missing:
        die("in no step of series/: " + " ".join(missing))

    listed = series_patches(top)
    mnt = [p for p in listed
           if lsdiff(os.path.join(top, "patches", p)) == ["MAINTAINERS"]]
    in_steps = [p for s in steps for p in s["patches"]]
    for p in in_steps:
        if p not in listed:
            die(f"a step names {p}, which patches/series does not list")
        if p in mnt:
            die(f"{p} changes only MAINTAINERS: no step takes it "
                "(series.sh spreads it over the steps)")
    if len(set(in_steps)) != len(in_steps):
        die("a patch is in two steps")
    rest = [p for p in listed if p not in mnt]
    if in_steps != rest:
        missing = [p for p in rest if p not in in_steps]
        if missing:
            die("in no step of series/: " + " ".join(missing))
        die("the steps take patches in another order than patches/series:\n  "
            + "\n  ".join(in_steps))
    return steps, ours, mnt


def build(top, repo, base, stage):
    steps, ours, mnt = plan(top)
    tmp = tempfile.mkdtemp(prefix="series.")
    try:
        git = Git(repo, os.path.join(tmp, "index"))
        git("read-tree", "base")

        # MAINTAINERS as our patches leave it, to be spread over the steps.
        final_mnt = os.path.join(tmp, "MAINTAINERS.final")
        shutil.copy(os.path.join(base, "MAINTAINERS"), final_mnt)
        for p in mnt:
            run(["patch", "-s", "--no-backup-if-mismatch", "-F0", final_mnt,
                 os.path.join(top, "patches", p)])

        parent = git("rev-parse", "base").strip()
        for n, s in enumerate(steps, 1):
            entries = []
            for f in s["paths"]:
                mode = "100755" if os.access(os.path.join(top, f), os.X_OK) \
                    else "100644"
                entries.append(f"{mode} {git.blob(os.path.join(top, f))}\t{f}")
            if entries:
                git("update-index", "--add", "--index-info",
                    inp="\n".join(entries) + "\n")

            for p in s["patches"]:
                pfile = os.path.join(top, "patches", p)
                scratch = os.path.join(tmp, "scratch")
                shutil.rmtree(scratch, ignore_errors=True)
                os.makedirs(scratch)
                files = lsdiff(pfile)
                modes = {}
                for f in files:
                    ls = git("ls-files", "-s", "--", f).split()
                    if not ls:
                        continue
                    modes[f] = ls[0]
                    os.makedirs(os.path.dirname(os.path.join(scratch, f)),
                                exist_ok=True)
                    with open(os.path.join(scratch, f), "wb") as out:
                        subprocess.run(["git", "cat-file", "blob", ls[1]],
                                       env=git.env, stdout=out, check=True)
                r = subprocess.run(["patch", "-s", "-p1", "-d", scratch,
                                    "--no-backup-if-mismatch", "-F0", "-i",
                                    pfile], text=True, capture_output=True)
                if r.returncode:
                    die(f"{s['name']}: patches/{p} does not apply:\n"
                        + r.stdout + r.stderr)
                entries = []
                for f in files:
                    path = os.path.join(scratch, f)
                    if os.path.exists(path):
                        entries.append(f"{modes.get(f, '100644')} "
                                       f"{git.blob(path)}\t{f}")
                    else:
                        git("update-index", "--force-remove", "--", f)
                git("update-index", "--add", "--index-info",
                    inp="\n".join(entries) + "\n")

            if mnt:
                flist = os.path.join(tmp, "files")
                with open(flist, "w") as fh:
                    fh.write(git("ls-files"))
                mpath = os.path.join(tmp, "MAINTAINERS")
                with open(flist) as fl, open(mpath, "w") as fh:
                    fh.write(maintainers.step_text(
                        os.path.join(base, "MAINTAINERS"), final_mnt,
                        [ln.strip() for ln in fl]))
                git("update-index", "--add", "--cacheinfo",
                    f"100644,{git.blob(mpath)},MAINTAINERS")

            tree = git("write-tree").strip()
            if tree == git("rev-parse", parent + "^{tree}").strip():
                die(f"{s['name']} changes nothing")
            added = git("diff-tree", "-r", "--name-only", "--diff-filter=A",
                        parent, tree).split()
            changed = git("diff-tree", "-r", "--name-only", parent,
                          tree).split()
            if added and "MAINTAINERS" not in changed:
                print(f"[series] warning: {s['name']} adds files but no "
                      "MAINTAINERS line", file=sys.stderr)
            name, email = re.match(r"(.*) <(.*)>", AUTHOR).groups()
            date = f"@{DATE + 60 * n} +0000"
            msg = f"{s['subject']}\n\n{s['body']}\n\nSigned-off-by: {AUTHOR}\n"
            parent = git("commit-tree", tree, "-p", parent, inp=msg, env={
                "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
                "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_NAME": name,
                "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": date,
            }).strip()

        check_final(git, parent, stage)
        with open(os.path.join(tmp, "ours"), "w") as fh:
            fh.write("\n".join(ours) + "\n")
        if mnt and maintainers.cover(os.path.join(base, "MAINTAINERS"),
                                     final_mnt, ours):
            die("MAINTAINERS does not cover every file of ours (above)")
        git("update-ref", "refs/heads/series", parent)
        print(parent)
    finally:
        shutil.rmtree(tmp)


def check_final(git, commit, stage):
    """The last commit's tree is the base with the overlay's stage over it."""
    changed = set(git("diff-tree", "-r", "--name-only", "base",
                      commit).split())
    staged = set()
    for root, _, files in os.walk(stage):
        for f in files:
            staged.add(os.path.relpath(os.path.join(root, f), stage))
    want = {}
    for f in sorted(staged):
        want[f] = git("hash-object", "--no-filters",
                      os.path.join(stage, f)).strip()
    have = {}
    for line in git("ls-tree", "-r", commit, "--", *sorted(staged)).splitlines():
        meta, path = line.split("\t", 1)
        have[path] = meta.split()[2]
    bad = sorted(f for f in staged if have.get(f) != want[f])
    bad += sorted(f for f in changed - staged)
    if bad:
        die("the series does not end with the overlaid tree (tree.sh); "
            "differs: " + " ".join(bad))


def cover(top, patch, out):
    with open(os.path.join(top, "series", "cover-letter")) as fh:
        tmpl = fh.read()
    m = re.match(r"Subject: (.*)\n\n", tmpl)
    if not m:
        die("series/cover-letter: Subject: line and empty line first")
    subject, blurb = m.group(1), tmpl[m.end():].rstrip("\n")

    version = "unknown"
    vfile = os.path.join(os.environ.get("WORK", os.path.join(top, "work")),
                         "base", ".version")
    if os.path.exists(vfile):
        version = open(vfile).read().strip()
    subs = {"@BASE@": f"Debian's linux-source-6.12 {version}"}

    results = os.path.join(out, "results")
    if os.path.exists(results) and os.path.getsize(results):
        rows = [ln.split() for ln in open(results) if len(ln.split()) == 4]
        when = time.strftime("%Y-%m-%d %H:%M UTC",
                             time.gmtime(os.path.getmtime(results)))
        text = [f"From the latest `make check` (out/results, {when}):", ""]
        text.append(f"  {'suite':32} {'passed':>6} {'failed':>6} {'skipped':>7}")
        tot = [0, 0, 0]
        for r in rows:
            text.append(f"  {r[0]:32} {r[1]:>6} {r[2]:>6} {r[3]:>7}")
            for i in range(3):
                tot[i] += int(r[i + 1])
        text.append(f"  {'total':32} {tot[0]:>6} {tot[1]:>6} {tot[2]:>7}")
        subs["@RESULTS@"] = "\n".join(text)
    else:
        subs["@RESULTS@"] = ("No `make check` results were at hand when this "
                             "letter was made;\n`make check` prints them "
                             "(its last line is the tally) and\nwrites them "
                             "to out/results.")

    klog = os.path.join(out, "ours", "kunit.log")
    rates = []
    if os.path.exists(klog):
        rates = [re.sub(r"^\s*#\s*", "  ", ln.rstrip())
                 for ln in open(klog) if "ns/op" in ln]
    subs["@RATES@"] = "\n".join(rates) if rates else (
        "  (no KUnit log at hand: `make check` writes out/ours/kunit.log)")

    cp = os.path.join(out, "series-checkpatch.txt")
    subs["@CHECKPATCH@"] = open(cp).read().rstrip("\n") if os.path.exists(cp) \
        else "  (not run yet: `make series-check` runs it on every patch)"

    exc = os.path.join(top, "series", "checkpatch-exceptions")
    items = []
    for line in open(exc) if os.path.exists(exc) else []:
        if line.startswith("#") or not line.strip():
            continue
        if line[0].isspace():
            items[-1] += "\n    " + line.strip()
        else:
            path, kind = line.split()
            items.append(f"  - {kind} in {path}:")
    subs["@EXCEPTIONS@"] = "\n".join(items) if items else "  (none)"

    for k, v in subs.items():
        blurb = blurb.replace(k, v)
    with open(patch) as fh:
        text = fh.read()
    # The letter's sender and date are the series', not those of whoever
    # ran git format-patch when.
    head, sep, rest = text.partition("\n\n")
    head = re.sub(r"^From: .*(\n .*)*", lambda m: f"From: {AUTHOR}", head,
                  flags=re.M)
    head = re.sub(r"^Date: .*", time.strftime(
        "Date: %a, %-d %b %Y %H:%M:%S +0000", time.gmtime(DATE)), head,
        flags=re.M)
    text = head + sep + rest
    if "*** SUBJECT HERE ***" in text:
        text = text.replace("*** SUBJECT HERE ***", subject, 1)
        text = text.replace("*** BLURB HERE ***", blurb, 1)
    else:
        # Filled before: replace what lies between the headers and the
        # shortlog (the line "IOMMU core series (N):").
        head, _, rest = text.partition("\n\n")
        head = re.sub(r"(Subject: \[[^]]*\] ).*", lambda m: m.group(1) + subject,
                      head)
        idx = rest.find("\n\n" + AUTHOR.split(" <")[0] + " (")
        if idx < 0:
            die(f"{patch}: cannot find the shortlog to refill")
        text = head + "\n\n" + blurb + rest[idx:]
    with open(patch, "w") as fh:
        fh.write(text)


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "build":
        build(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "cover":
        cover(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
