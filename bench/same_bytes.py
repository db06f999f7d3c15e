"""Render a set of EDLs with two checkouts of assembler and compare what they write, byte for byte.

    .venv/bin/python bench/same_bytes.py                      # HEAD against the working tree
    .venv/bin/python bench/same_bytes.py --before A --after B # two commits (or branches)
    .venv/bin/python bench/same_bytes.py --harvest            # (re)make the corpus first

A redesign of the middle of the pipeline must not change what users get: run this before
every commit of such work. The corpus (``bench/work/corpus`` unless ``--corpus``) holds
self-contained cases: every EDL the test suite writes (harvested by running pytest with
``ASSEMBLER_CORPUS``, see tests/corpus.py), the pilot example with its demo media, and the
bench scenario's EDL when ``bench/work`` has one. Each checkout renders each case through
its own command line (``python -m assembler render``, with the checkout first on
``PYTHONPATH``) into a fresh cache; then for each case the exit status, the sha256 of every
file written (output, sidecar subtitles, stems; not the receipt, which holds timings), and,
for a refused EDL, the error text with paths made neutral, must be the same. A difference
must be a named bug fix in its own commit.

Exit 0 when every case agrees, 1 when one does not; the table and a JSON of the results go
to ``--out`` (default ``bench/work/same_bytes``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORKTREE = "WORKTREE"


@dataclass(frozen=True)
class Outcome:
    code: int
    files: dict[str, str]  # name -> sha256
    message: str  # the error text of a refused or failed render, paths made neutral


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True).stdout.strip()


def checkout(rev: str, scratch: Path) -> tuple[Path, str]:
    """A folder holding ``rev``'s tree (the working tree itself for WORKTREE), and its name."""
    if rev == WORKTREE:
        dirty = " (uncommitted changes)" if _git("status", "--porcelain", "--untracked-files=no") else ""
        return REPO, f"working tree at {_git('rev-parse', '--short', 'HEAD')}{dirty}"
    sha = _git("rev-parse", rev)
    tree = scratch / f"tree-{sha[:12]}"
    if not (tree / "assembler").is_dir():
        shutil.rmtree(tree, ignore_errors=True)
        tree.mkdir(parents=True)
        # an export, not a worktree: nothing to clean up in the repository afterwards
        archive = subprocess.run(["git", "-C", str(REPO), "archive", sha], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree, f"{rev} ({sha[:10]})"


def harvest(corpus: Path, jobs: int) -> None:
    """Fill the corpus: the suite's EDLs, the pilot, the bench scenario."""
    shutil.rmtree(corpus, ignore_errors=True)
    raw = corpus.with_name(corpus.name + ".raw")
    shutil.rmtree(raw, ignore_errors=True)
    print(f"harvesting the test suite's EDLs into {raw} (runs the suite)", flush=True)
    env = dict(os.environ, ASSEMBLER_CORPUS=str(raw))
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", str(jobs), "-p", "no:cacheprovider"],
                   cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    sys.path.insert(0, str(REPO / "tests"))
    from corpus import fingerprint  # noqa: E402  (the harvester's own rule of sameness)

    corpus.mkdir(parents=True)
    seen: set[str] = set()
    for case in sorted(raw.iterdir()):
        key = fingerprint(case)
        if key not in seen:
            seen.add(key)
            case.rename(corpus / f"suite-{len(seen):04d}")
    shutil.rmtree(raw, ignore_errors=True)
    print(f"{len(seen)} distinct EDLs from the suite", flush=True)

    pilot = REPO / "edl_examples" / "pilot"
    subprocess.run([sys.executable, str(pilot / "make_media.py")], check=True, stdout=subprocess.DEVNULL)
    shutil.copytree(pilot, corpus / "pilot", ignore=shutil.ignore_patterns("*.py", ".assembler-cache"))
    scenario = REPO / "bench" / "work" / "episode14.yaml"
    if scenario.is_file() and (scenario.parent / "media").is_dir():
        (corpus / "bench14").mkdir()
        shutil.copyfile(scenario, corpus / "bench14" / "episode.yaml")
        (corpus / "bench14" / "media").symlink_to((scenario.parent / "media").resolve())


def _episode(case: Path) -> Path:
    for name in ("episode.yaml", "episode.json", "episode.yml"):
        if (case / name).is_file():
            return case / name
    raise FileNotFoundError(f"{case} holds no episode.yaml or episode.json")


def _neutral(text: str, *paths: Path) -> str:
    for p in sorted({str(p) for p in paths}, key=len, reverse=True):
        text = text.replace(p, "<>")
    # elapsed times, speeds, ffmpeg's object addresses, temporary names and pids are not behaviour
    text = re.sub(r"0x[0-9a-f]+", "0x<>", text)
    text = re.sub(r"(/tmp|/var/folders)/[^\s'\"]+", "<tmp>", text)
    text = re.sub(r"\.\d+\.[0-9a-f]{8}\.partial", ".<partial>", text)
    return re.sub(r"\d+(\.\d+)? ?(s|ms|x)\b", "<t>", text)


# The editable install's import hook would find the venv's own checkout before PYTHONPATH:
# drop it, so that the tree named here is the assembler that runs.
_LAUNCH = ("import sys; tree = sys.argv.pop(1); "
           "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f)]; "
           "sys.path.insert(0, tree); sys.argv[0] = 'assembler'; "
           "import assembler; assert assembler.__file__.startswith(tree), assembler.__file__; "
           "from assembler.cli import main; main()")


def render(tree: Path, case: Path, out: Path) -> Outcome:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    cmd = [sys.executable, "-c", _LAUNCH, str(tree), "render", str(_episode(case)), "-o", str(out / "episode.mp4"),
           "--cache", str(out / ".cache")]
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=out)
        code, stderr = done.returncode, done.stderr
    except subprocess.TimeoutExpired:
        code, stderr = -1, "timed out"
    files = {}
    for p in sorted(out.iterdir()):
        if p.is_file() and not p.name.endswith(".receipt.json"):
            files[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
    message = _neutral(stderr, case.resolve(), case, out.resolve(), out, tree) if code != 0 else ""
    shutil.rmtree(out / ".cache", ignore_errors=True)
    return Outcome(code, files, message)


def _steady(message: str) -> str:
    """What of an error's text is behaviour: not the progress bar's last frame, nor where
    ffmpeg is installed, nor the order in which ffmpeg's threads say goodbye."""
    message = re.sub(r"\S*/imageio_ffmpeg/binaries/\S+", "<ffmpeg>", message)
    lines = [line for line in message.splitlines() if "\u2501" not in line]  # the bar's ━
    said = sorted(line for line in lines if line.startswith("["))
    return "\n".join([*(line for line in lines if not line.startswith("[")), *said])


def compare(a: Outcome, b: Outcome) -> str:
    if a.code != b.code:
        return f"exit {a.code} -> {b.code}"
    if a.files != b.files:
        changed = sorted(n for n in set(a.files) | set(b.files) if a.files.get(n) != b.files.get(n))
        return "bytes differ: " + ", ".join(changed)
    if _steady(a.message) != _steady(b.message):
        return "message differs"
    return "same"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default="HEAD", help="a commit or branch (default HEAD)")
    ap.add_argument("--after", default=WORKTREE, help="a commit or branch (default: the working tree as it is)")
    ap.add_argument("--corpus", type=Path, default=REPO / "bench" / "work" / "corpus")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "work" / "same_bytes")
    ap.add_argument("--harvest", action="store_true", help="(re)make the corpus first (runs the test suite)")
    ap.add_argument("--only", default="", help="render only the cases whose name holds this text")
    ap.add_argument("--sample", type=int, default=0, help="render only every N-th case (a quick look)")
    ap.add_argument("--memo", type=Path, default=None,
                    help="remember the outcomes of committed checkouts here (default: under --out), so that "
                         "comparing many changes with one commit renders that commit once")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    args = ap.parse_args()

    if args.harvest or not args.corpus.is_dir():
        harvest(args.corpus, args.jobs)
    cases = sorted(c for c in args.corpus.iterdir() if c.is_dir() and args.only in c.name)
    if args.sample > 1:
        cases = cases[::args.sample]
    if not cases:
        print(f"no cases in {args.corpus} (matching {args.only!r})", file=sys.stderr)
        return 2
    before, before_name = checkout(args.before, args.out)
    after, after_name = checkout(args.after, args.out)
    print(f"{len(cases)} cases; before: {before_name}; after: {after_name}", flush=True)

    started = time.monotonic()

    memo = args.memo or args.out / "memo"

    def remembered(rev: str, tree: Path, case: Path, side: str) -> Outcome:
        if rev == WORKTREE:
            return render(tree, case, args.out / side / case.name)
        sys.path.insert(0, str(REPO / "tests"))
        from corpus import fingerprint  # noqa: E402
        note = memo / tree.name / f"{case.name}-{fingerprint(case)[:16]}.json"
        if note.is_file():
            return Outcome(**json.loads(note.read_text()))
        outcome = render(tree, case, args.out / side / case.name)
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text(json.dumps(outcome.__dict__))
        return outcome

    def one(case: Path) -> tuple[str, Outcome, Outcome]:
        a = remembered(args.before, before, case, "before")
        b = remembered(args.after, after, case, "after")
        return case.name, a, b

    results = []
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for n, (name, a, b) in enumerate(pool.map(one, cases), 1):
            verdict = compare(a, b)
            results.append({"case": name, "verdict": verdict, "before": a.__dict__, "after": b.__dict__})
            if verdict != "same":
                print(f"  {name}: {verdict}", flush=True)
            if n % 25 == 0:
                print(f"  {n}/{len(cases)} compared", flush=True)
    differ = [r for r in results if r["verdict"] != "same"]
    rendered = sum(1 for r in results if r["before"]["code"] == 0)
    summary = (f"{len(results) - len(differ)}/{len(results)} cases the same ({rendered} rendered, "
               f"{len(results) - rendered} refused or failed alike); {len(differ)} differ; "
               f"{time.monotonic() - started:.0f} s")
    (args.out / "results.json").write_text(json.dumps({"before": before_name, "after": after_name,
                                                       "summary": summary, "results": results}, indent=1))
    print(summary)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
