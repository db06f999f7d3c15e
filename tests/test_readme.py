"""The README's promises stay true: CI runs its test command, and its commands exist."""

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

