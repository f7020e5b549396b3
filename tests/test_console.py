"""What the grader prints never fails on a console that cannot show it (Windows' cp1252)."""

import io
import os
import subprocess
import sys

from grader.cli.live import PLAIN_FRAMES, ProgressLine
from grader.report.console import encodes, symbol, tolerate_any_text


def cp1252_stream():
    return io.TextIOWrapper(io.BytesIO(), encoding="cp1252", errors="strict")


def test_symbols_fall_back_to_ascii_on_cp1252():
    stream = cp1252_stream()
    assert symbol("✔", "+", stream) == "+"
    assert symbol("✔", "+", io.TextIOWrapper(io.BytesIO(), encoding="utf-8")) == "✔"
    assert encodes("José", stream) and not encodes("✘", stream)
    assert ProgressLine(stream).frames == PLAIN_FRAMES


def test_a_cp1252_stream_replaces_what_it_cannot_encode():
    stream = cp1252_stream()
    tolerate_any_text(stream)
    stream.write("✘ Δ José\n")
    stream.flush()
    assert stream.buffer.getvalue() == "? ? José\n".encode("cp1252")


def test_nnlab_grade_on_a_cp1252_console_prints_any_student_message(submission):
    folder = submission(replacements={"activations.relu": "def relu(z):\n    raise ValueError('✘ Δ 中文')"})
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}  # strict, as a redirected Windows console
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "-e", "activations"],
                         capture_output=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr.decode("cp1252", "replace")
    assert b"UnicodeEncodeError" not in run.stderr
    assert "ValueError: ? ? ??" in run.stdout.decode("cp1252")
