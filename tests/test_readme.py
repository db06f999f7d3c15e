"""The README's promises stay true: CI runs its test command, and its commands exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci_line = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci_line.replace(" -q", "") in readme.replace(" -q", "")


def test_readme_example_command_names_real_files():
    readme = (ROOT / "README.md").read_text()
    for path in ("edl_examples/pilot/make_media.py", "edl_examples/pilot/episode.yaml"):
        assert path in readme and (ROOT / path).exists()



def _anchor(heading: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces as dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_between_the_docs_lead_somewhere():
    """The README and the reference link to files and headings that exist (a fresh clone
    has everything they point at)."""
    checked = 0
    for doc in ("README.md", "docs/edl.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith("http"):
                continue
            path, _, fragment = target.partition("#")
            file = (ROOT / doc).parent / path if path else ROOT / doc
            assert file.exists(), f"{doc}: {target}"
            if fragment:
                headings = re.findall(r"^#+ (.+)$", file.read_text(encoding="utf-8"), re.M)
                assert fragment in {_anchor(h) for h in headings}, f"{doc}: {target}"
            checked += 1
    assert checked > 15
