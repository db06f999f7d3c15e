"""Issue 11's leftovers: Ctrl-C while `python -m assembler` imports, deep nesting refused
before the YAML parser builds it, a lower bound on rates, and problems that hid others."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import signal
import subprocess
import sys
import time

import pytest

import assembler
from assembler.errors import EdlError
from conftest import write_edl
from media_tools import make_clip

_CHEAP = """
import sys
import assembler
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"pydantic", "ruamel", "rich", "typer", "av", "PIL"}
               or m.startswith("assembler."))
import assembler.cli  # imports the submodules `render` and `load`, which share names with functions
print(heavy, assembler.render.__module__, assembler.load.__module__, callable(assembler.render))
"""


def test_importing_the_package_is_cheap_and_every_public_name_resolves():
    done = subprocess.run([sys.executable, "-c", _CHEAP], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["[]", "assembler.render", "assembler.load", "True"], done.stdout + done.stderr
    for name in assembler.__all__:
        assert name in dir(assembler)
        home = importlib.import_module(f"assembler.{assembler._HOME[name]}")
        assert getattr(assembler, name) is getattr(home, name)
    from assembler import EdlError as imported, render
    assert imported is EdlError and render.__module__ == "assembler.render"
    assert "__version__" in dir(assembler) and assembler.__version__ == importlib.metadata.version("edl-assembler")
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        assembler.nonesuch  # noqa: B018


# The interpreter's own start (site and the .pth files of an editable install: 20-100 ms
# on a busy machine) runs before any code of ours, as for every Python program; it ends
# with `sitecustomize`, which says so, and the delays count from there.
_STARTED = "import os\nos.write(2, b'started\\n')\n"


def _interrupt(folder, args: list[str], sent: int | None, delay: float) -> tuple[int, str, str]:
    (folder / "sitecustomize.py").write_text(_STARTED)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-m", "assembler", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr.readline() == "started\n"
    time.sleep(delay)
    if sent is not None and proc.poll() is None:
        os.kill(proc.pid, sent)
    stdout, stderr = proc.communicate(timeout=60)
    return proc.returncode, stdout, stderr


@pytest.mark.parametrize("sent, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_a_signal_in_the_first_second_of_python_m_assembler_is_no_traceback(tmp_path, sent, code):
    make_clip(tmp_path / "a.mp4", color="red", duration=1, tone=440)
    path = write_edl(tmp_path, "ep.yaml", {"version": 1, "output": {"size": "320x180", "fps": 25},
                                           "video": [{"clip": "a.mp4"}]})
    finished = _interrupt(tmp_path, ["check", str(path)], None, 0)
    assert finished[0] == 0 and "a.mp4" in finished[1], finished
    stopped = 0
    for delay in (0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8):
        returncode, stdout, stderr = _interrupt(tmp_path, ["check", str(path)], sent, delay)
        assert "Traceback" not in stderr, (delay, stderr)
        if stdout == finished[1]:  # done before the signal (Python, ending, may die of it then)
            assert returncode in (0, -sent), (delay, returncode, stderr)
        else:
            assert (returncode, stdout) == (code, ""), (delay, stderr)
            assert sent != signal.SIGINT or stderr in ("interrupted\n", ""), stderr  # "" from typer's own 130
            stopped += 1
    assert stopped  # at least the first delays fall while Python imports
