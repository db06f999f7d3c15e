"""Issue 11's leftovers: Ctrl-C while `python -m assembler` imports, deep nesting refused
before the YAML parser builds it, a lower bound on rates, and problems that hid others."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import assembler
from assembler.errors import EdlError
from assembler.model.load import parse
from conftest import write_edl
from media_tools import count_frames, make_clip, mean_color

CARD = "video:\n  - color: red\n    duration: 1\n"

_CHEAP = """
import sys
import assembler
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"pydantic", "ruamel", "rich", "typer", "av", "PIL"}
               or m.startswith("assembler."))
import assembler.cli  # imports the submodule `render`, which shares its name with a function
print(heavy, assembler.render.__module__, assembler.load.__module__, callable(assembler.render))
"""


def test_importing_the_package_is_cheap_and_every_public_name_resolves():
    done = subprocess.run([sys.executable, "-c", _CHEAP], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["[]", "assembler.render", "assembler.model.load", "True"], done.stdout + done.stderr
    assert sorted(assembler._HOME) == sorted(assembler.__all__)
    for name in assembler.__all__:
        assert name in dir(assembler)
        home = importlib.import_module(f"assembler.{assembler._HOME[name]}")
        assert getattr(assembler, name) is getattr(home, name)
    from assembler import EdlError as imported, render
    assert imported is EdlError and render.__module__ == "assembler.render"
    assert "__version__" in dir(assembler) and assembler.__version__ == importlib.metadata.version("edl-assembler")
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        assembler.nonesuch  # noqa: B018


def test_what_type_checkers_see_of_the_package_is_what_it_exports():
    # Editors and mypy read the names imported under TYPE_CHECKING; a script gets _HOME's.
    tree = ast.parse(Path(assembler.__file__).read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    seen = {alias.asname or alias.name: node.module for node in block.body if isinstance(node, ast.ImportFrom)
            and node.module != "typing" for alias in node.names}
    assert seen == {name: f"assembler.{home}" for name, home in assembler._HOME.items()}
    assert sorted(assembler.__all__) == assembler.__all__ and len(set(assembler.__all__)) == len(assembler.__all__)
    # Every error the library raises can be caught by its public name.
    import assembler.errors as errors
    raised = {name for name, value in vars(errors).items()
              if isinstance(value, type) and issubclass(value, errors.AssemblerError)}
    assert raised <= set(assembler.__all__) and "Cancelled" in raised


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
        elif sent == signal.SIGINT and stderr == "":  # typer's own 130, in a command: it prints nothing
            # (and CPython kills itself with SIGINT at the end when the interrupt fell in exec()'d code)
            assert returncode in (130, -signal.SIGINT), (delay, returncode)
            stopped += 1
        else:  # (stopped while it printed the table, its first lines may be out)
            assert returncode == code, (delay, returncode, stderr)
            assert sent != signal.SIGINT or stderr == "interrupted\n", stderr
            stopped += 1
    assert stopped  # at least the first delays fall while Python imports


DEEP = 10_000
# (name, file, its text, the line where the 65th level opens); every one built as it is
# read, 10,000 levels took ruamel 0.2-3.5 s (flow: seconds in its scanner) and had no line.
NESTED = [
    ("flow", "ep.yaml", "version: 1\nx: " + "[{a: " * DEEP + "1" + "}]" * DEEP + "\n" + CARD, 2),
    ("flow-spaced", "ep.yaml", "version: 1\nx: " + "[ { a : " * DEEP + "1" + " } ]" * DEEP + "\n" + CARD, 2),
    ("flow-a-line-each", "ep.yaml", "version: 1\nx:\n" + "  [\n" * DEEP + "  1\n" + "  ]\n" * DEEP + CARD, 66),
    ("flow-30-a-line", "ep.yaml", "version: 1\nx:\n" + ("  " + "[" * 30 + "\n") * 400 + "  1\n"
     + ("  " + "]" * 30 + "\n") * 400 + CARD, 5),
    ("json", "ep.json", '{"version": 1, "x": ' + '[{"a": ' * DEEP + "1" + "}]" * DEEP + "}", 1),
    # a C1 control character: ruamel refuses the file and Python's json reads it
    ("json-fallback", "ep.json", '{"version": 1, "t": "\x80",\n"x": ' + '[{"a": ' * DEEP + "1" + "}]" * DEEP + "}", 2),
    ("block-compact", "ep.yaml", "version: 1\nx:\n  " + "- " * DEEP + "1\n" + CARD, 3),
    ("block-sequences", "ep.yaml", "version: 1\nx:\n" + "".join("  " * k + "- a:\n" for k in range(1, 300))
     + "  " * 300 + "- 1\n" + CARD, 34),
    ("block-mappings", "ep.yaml", "version: 1\nx:\n" + "".join(" " * k + "a:\n" for k in range(1, 300))
     + " " * 300 + "b: 1\n" + CARD, 66),
]


@pytest.mark.parametrize("name, file, text, line", NESTED, ids=[case[0] for case in NESTED])
def test_deep_nesting_is_refused_where_it_passes_64_levels_before_it_is_built(tmp_path, name, file, text, line):
    path = tmp_path / file
    path.write_text(text, encoding="utf-8")
    started = time.process_time()  # CPU time: the other processes of a busy machine do not count
    with pytest.raises(EdlError) as caught:
        parse(path)
    assert time.process_time() - started < 0.5
    [problem] = caught.value.problems
    assert str(problem) == (f"{path}:{line}: lists or mappings nested too deeply (more than 64 levels) "
                            "(an EDL needs fewer than ten)")


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_64_levels_are_read_and_65_are_not(tmp_path, suffix):
    """The top level is the first: 63 lists inside `x` make the 64th."""
    for levels, readable in ((63, True), (64, False)):
        path = tmp_path / f"ep{suffix}"
        path.write_text('{"version": 1, "x": ' + "[" * levels + "]" * levels + "}")
        if readable:
            assert parse(path).data["x"]
        else:
            with pytest.raises(EdlError, match="nested too deeply"):
                parse(path)


def test_brackets_in_a_block_of_text_are_not_depth(tmp_path):
    path = tmp_path / "ep.yaml"
    path.write_text("version: 1\nvideo:\n  - title: |\n      " + "[" * 100 + "\n    duration: 1\n", encoding="utf-8")
    assert assembler.load(path).video[0].title == "[" * 100 + "\n"


RATES = [("fps", 0.5), ("fps", "0.25"), ("fps", "1/2"), ("fps", "1000/1001"), ("fps", 0), ("fps", 241),
         ("audio", {"rate": 7999}), ("audio", {"rate": 192001}), ("audio", {"rate": 0})]


@pytest.mark.parametrize("field, value", RATES, ids=[f"{f}-{v}" for f, v in RATES])
def test_a_rate_out_of_bounds_is_one_problem_at_its_line_with_a_hint(tmp_path, field, value):
    path = tmp_path / "ep.yaml"
    path.write_text(f"version: 1\noutput:\n  size: 320x180\n  {field}: {json.dumps(value)}\n" + CARD)
    with pytest.raises(EdlError) as caught:
        assembler.check(path)
    [problem] = caught.value.problems
    if field == "fps":
        assert str(problem).startswith(f"{path}:4: output.fps: frame rate {value!r} is out of range (1 <= fps <= 240)"
                                       if isinstance(value, str) else
                                       f"{path}:4: output.fps: frame rate {value} is out of range (1 <= fps <= 240)")
        assert problem.hint == "the usual rates are 24, 25, 30 and 60, and NTSC's 23.976, 29.97 and 59.94"
    else:
        assert str(problem).startswith(f"{path}:4: output.audio.rate: sample rate {value['rate']} Hz is out of range "
                                       "(8000 <= rate <= 192000)")
        assert problem.hint == "the usual rates are 48000 for video and 44100 for music"


def test_the_lowest_rates_are_rendered(tmp_path):
    path = write_edl(tmp_path, "ep.yaml", {"version": 1, "output": {"size": "320x180", "fps": 1,
                                                                     "video": {"preset": "ultrafast"}},
                                           "video": [{"color": "red", "duration": 2}, {"color": "blue", "duration": 1}]})
    result = assembler.render(path, tmp_path / "ep.mp4", cache=False)
    assert (result.frames, count_frames(result.path)) == (3, 3)
    red, blue = mean_color(result.path, 1.5), mean_color(result.path, 2.5)
    assert red[0] > 150 > red[2] and blue[2] > 150 > blue[0]
    assert assembler.Output(audio=assembler.OutputAudio(rate=8000)).audio.rate == 8000
    with pytest.raises(EdlError, match="sample rate 192001 Hz is out of range"):
        assembler.OutputAudio(rate=192001)


def _problems_of(path) -> list[str]:
    with pytest.raises(EdlError) as caught:
        assembler.check(path)
    return [str(problem) for problem in caught.value.problems]


def test_a_missing_clip_a_long_transition_and_a_bad_j_cut_are_all_reported(tmp_path):
    make_clip(tmp_path / "a.mp4", color="red", duration=2, tone=440)
    path = tmp_path / "ep.yaml"
    path.write_text("version: 1\noutput: {size: 320x180, fps: 25}\nvideo:\n"
                    "  - clip: missing.mp4\n"
                    "  - color: blue\n    duration: 1\n"
                    "  - transition: dissolve\n    duration: 3\n"   # longer than the card before it
                    "  - clip: a.mp4\n"
                    "  - transition: cut\n    audio: {lead: 0.5}\n"  # a.mp4 has nothing before its in-point
                    "  - clip: a.mp4\n")
    assert _problems_of(path) == [
        f"{path}:4: video[0].clip: {tmp_path / 'missing.mp4'} does not exist (check the path; relative paths "
        "start at the EDL's folder)",
        f"{path}:8: video[2].duration: the transition (3 s) is longer than its neighbour (1 s) (shorten the "
        "transition or lengthen the items)",
        f"{path}:11: video[4].audio.lead: the J-cut needs 0.500 s of a.mp4 before its in-point, and there are "
        "0.000 s (shorten the lead or move the clip's `in` later)"]


def test_a_transition_beside_a_missing_clip_and_an_l_cut_after_a_long_transition_are_reported(tmp_path):
    make_clip(tmp_path / "a.mp4", color="red", duration=2, tone=440)
    path = tmp_path / "ep.yaml"
    path.write_text("version: 1\noutput: {size: 320x180, fps: 25}\nvideo:\n"
                    "  - clip: missing.mp4\n"
                    "  - transition: wipeleft\n    duration: 2\n"   # 2 s: longer than the card after it
                    "  - color: blue\n    duration: 1\n"
                    "  - transition: fade\n    duration: 1.2\n"     # fits the card after, not the one before
                    "  - color: red\n    duration: 1.5\n"
                    "  - transition: cut\n"                         # no overlap of its own to collide
                    "  - clip: a.mp4\n    out: 1.5\n"
                    "  - transition: cut\n    audio: {lag: 1}\n"    # a.mp4 has 0.5 s after its out-point
                    "  - clip: lost.mp4\n")
    assert [line.split(": ")[0:2] for line in _problems_of(path)] == [
        [f"{path}:4", "video[0].clip"], [f"{path}:6", "video[1].duration"], [f"{path}:10", "video[3].duration"],
        [f"{path}:17", "video[7].audio.lag"], [f"{path}:18", "video[8].clip"]]
    assert "the L-cut needs 1.000 s of a.mp4 after its out-point, and there are 0.500 s" in _problems_of(path)[3]


_UNRAISABLE = """
import sys
import time
import assembler.launch as launch
sys.unraisablehook = launch._again
class Dies:
    def __del__(self):
        raise KeyboardInterrupt
try:
    Dies()
    for _ in range(200):  # two seconds of ordinary work, where it can be raised
        time.sleep(0.01)
    print("missed")
except KeyboardInterrupt:
    print("raised again")
"""


def test_a_ctrl_c_python_cannot_raise_where_it_lands_is_raised_again():
    """A Ctrl-C inside a callback (an import lock's, while the command starts) would be
    printed as "Exception ignored ... Traceback" and lost: the guard sends it again, and it
    arrives where it is handled like any other."""
    done = subprocess.run([sys.executable, "-c", _UNRAISABLE], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "raised again", done.stdout + done.stderr
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, done.stderr
