"""`assembler verify` on a damaged or crafted receipt: a clear error naming the field (exit 2),
never a traceback; and it reads only regular files (a receipt naming /dev/zero must not hang)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assembler.cli import app
from media_tools import make_clip

EDL = """\
version: 1
output: {size: 320x180, fps: 24, video: {preset: ultrafast}}
video:
  - clip: s01.mp4
    out: 0.5
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """A real render's receipt."""
    folder = tmp_path_factory.mktemp("verify")
    make_clip(folder / "s01.mp4", duration=1, tone=440)
    (folder / "ep.yaml").write_text(EDL, encoding="utf-8")
    done = CliRunner().invoke(app, ["render", str(folder / "ep.yaml"), "-q", "--no-cache"])
    assert done.exit_code == 0, done.output
    return folder / "ep.receipt.json"


def verify(receipt: Path) -> subprocess.CompletedProcess:
    """The CLI in a process of its own, so that a hang is a failure, not a stuck suite."""
    return subprocess.run([sys.executable, "-m", "assembler", "verify", str(receipt)], capture_output=True,
                          text=True, timeout=120)


def crafted(rendered: Path, tmp_path: Path, change) -> Path:
    data = json.loads(rendered.read_text(encoding="utf-8"))
    data = change(data) or data
    path = tmp_path / "crafted.receipt.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def set_(keys, value):
    def change(data):
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return change


@pytest.mark.parametrize("change, expected", [
    (set_(["inputs"], "s01.mp4"), "inputs: expected a list, found a string"),
    (set_(["inputs", 0], "s01.mp4"), "inputs[0]: expected an object, found a string"),
    (set_(["inputs", 0, "sha256"], 5), "inputs[0].sha256: expected a string, found a number (5)"),
    (set_(["inputs", 0, "path"], None), "inputs[0].path: expected a string, found null"),
    (set_(["output", "sha256"], ["ab"]), "output.sha256: expected a string, found a list"),
    (set_(["output", "path"], {"x": 1}), "output.path: expected a string, found an object"),
    (set_(["edl", "path"], 12), "edl.path: expected a string or null, found a number (12)"),
    (set_(["edl"], True), "edl: expected an object, found true/false (true)"),
    (set_(["edl", "path"], "/dev/zero"), "edl.path: /dev/zero is not a file"),
    (lambda data: data.pop("output") and None, "output is missing"),
    (lambda data: [data], "the receipt: expected an object, found a list"),
])
def test_a_receipt_with_wrong_fields_is_a_clear_error(rendered, tmp_path, change, expected):
    path = crafted(rendered, tmp_path, change)
    done = verify(path)
    assert done.returncode == 2, done.stderr
    assert f"{path}: {expected}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("text, expected", [
    ("{not json", "not a receipt: not JSON"),
    ("[" * 200_000, "not a receipt: not JSON"),
    ('"a receipt"', "the receipt: expected an object, found a string"),
])
def test_a_receipt_that_is_not_json_is_a_clear_error(tmp_path, text, expected):
    path = tmp_path / "bad.receipt.json"
    path.write_text(text, encoding="utf-8")
    done = verify(path)
    assert done.returncode == 2, done.stderr
    assert f"{path}: {expected}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_receipt_that_is_a_device_is_not_read():
    done = verify(Path("/dev/zero"))
    assert done.returncode == 2, done.stderr
    assert "/dev/zero: not a receipt: not a regular file" in done.stderr


def test_an_input_that_is_a_device_is_not_read_and_counts_as_changed(rendered, tmp_path):
    path = crafted(rendered, tmp_path, lambda data: data["inputs"].append({"path": "/dev/zero", "sha256": "0" * 64}))
    done = verify(path)
    assert done.returncode == 0, done.stderr
    assert "changed since the receipt: /dev/zero" in done.stderr
    assert "OK:" in done.stdout
