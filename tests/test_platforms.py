"""The suite on macOS and Windows, simulated here: every test module imports, and the tests
of what only Linux (or POSIX) has skip with the reason instead of failing. On real macOS
and Windows runners, .github/workflows/ci.yml runs the suite itself."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT


def simulated_pytest(platform, *args):
    """pytest run under ``simulated_platform.py`` pretending to be ``platform``."""
    env = {**os.environ, "SIMULATED_PLATFORM": platform,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "simulated_platform", "-p", "no:cacheprovider",
                           "--capture=no", "-q", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.linux_only("simulates the other systems on Linux")
@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_every_test_module_imports_on_the_other_systems(platform):
    run = simulated_pytest(platform, "--collect-only")
    assert run.returncode == 0 and " collected" in run.stdout, run.stdout[-3000:] + run.stderr[-3000:]
    assert "error" not in run.stdout.splitlines()[-1], run.stdout[-3000:]


@pytest.mark.linux_only("simulates the other systems on Linux")
def test_what_windows_lacks_is_skipped_with_the_reason():
    run = simulated_pytest("win32", "-rs", "-k", "orphan or forged or stops_reading or shards",
                           "tests/test_adversarial_engine.py", "tests/test_batch.py")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    summary = run.stdout.splitlines()[-1]
    assert "skipped" in summary and "passed" not in summary and "failed" not in summary, run.stdout[-3000:]
    assert "needs Linux: the child subreaper adopts orphans" in run.stdout
    assert "needs POSIX: the attack finds its pipe with fcntl" in run.stdout
    assert "needs POSIX: nnlab batch runs on Linux and macOS" in run.stdout
