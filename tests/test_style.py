"""The code is ruff-clean under the rules in pyproject.toml ([tool.ruff])."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ["helpers", "tests", "benchmarks", "tools", "notebooks/src", *sorted(
    str(path.relative_to(ROOT)) for path in (ROOT / "notebooks").glob("*.py"))]


def _ruff() -> list[str]:
    """The command that runs ruff from this environment (or PATH); skip, or fail under CI, when there is none."""
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    if shutil.which("ruff"):
        return [shutil.which("ruff")]
    reason = "ruff is not installed (`pip install -r requirements-test.txt`, or `make test`, installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: under CI the style check must run, not skip")
    pytest.skip(reason)


def test_code_is_ruff_clean():
    result = subprocess.run([*_ruff(), "check", "--no-cache", "--output-format", "concise", *CHECKED], cwd=ROOT,
                            capture_output=True, text=True)
    problems = result.stdout + result.stderr
    assert result.returncode == 0, f"ruff found problems (fix them, or try `ruff check --fix`):\n{problems}"
