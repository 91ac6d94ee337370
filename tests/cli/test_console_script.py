"""The CLI is installed as a console script too, and behaves as `python -m starter` does."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "wl-provisioning"


def test_the_console_script_lists_the_same_nouns_as_python_m_starter() -> None:
    script = subprocess.run(
        [str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    module = subprocess.run(
        [sys.executable, "-m", "starter", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert script.returncode == 0, script.stderr
    assert script.stdout == module.stdout
    assert "{db,wl,plans,numbers,customers,temporal,api,dev}" in script.stdout


def test_the_console_script_names_a_bad_argument_in_one_line_and_exits_2() -> None:
    run = subprocess.run(
        [str(SCRIPT), "customers", "show", "not-a-uuid"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1
    assert "not-a-uuid" in run.stderr
