"""The install files agree with each other and never force a torch or ipywidgets upgrade."""

import re
import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _requirements(lines: list[str]) -> dict[str, str]:
    """Map package name -> version spec for requirement lines (options, comments and '-e .' skipped)."""
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        name, spec = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", line).groups()
        found[name.lower().replace("_", "-")] = spec.replace(" ", "")
    return found


def _environment_pip_lines() -> list[str]:
    text = (ROOT / "environment.yml").read_text()
    pip_block = text.split("- pip:", 1)[1]
    return [line.strip()[2:] for line in pip_block.splitlines() if line.strip().startswith("- ")]


def test_environment_yml_has_the_same_packages_as_requirements():
    requirements = _requirements((ROOT / "requirements.txt").read_text().splitlines())
    environment = _requirements(_environment_pip_lines())
    assert environment == requirements


def test_environment_yml_takes_the_cpu_build_of_torch():
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in _environment_pip_lines()


def test_pyproject_dependencies_are_a_subset_of_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = _requirements((ROOT / "requirements.txt").read_text().splitlines())
    for name, spec in _requirements(project["dependencies"]).items():
        assert requirements.get(name) == spec, name
    assert project["requires-python"] == ">=3.10,<3.14"


def test_no_exact_pins_that_would_break_colab():
    for path in ("requirements.txt", "requirements-test.txt", "environment.yml", "pyproject.toml"):
        text = (ROOT / path).read_text()
        assert not re.search(r"\b(torch|ipywidgets)\s*==", text), f"{path} pins torch or ipywidgets exactly"
    requirements = _requirements((ROOT / "requirements.txt").read_text().splitlines())
    assert requirements["ipywidgets"] == ">=7.7,<9"  # Colab's 7.7.1 and JupyterLab's 8 both satisfy it


def test_colab_setup_cell_never_reinstalls_torch_or_ipywidgets():
    cell = (ROOT / "notebooks" / "src" / "setup_cell.py").read_text()
    install_lines = [line for line in cell.splitlines() if "pip" in line or "lacking" in line]
    assert install_lines and not any(re.search(r"torch|ipywidgets", line) for line in install_lines)
    assert "google.colab" in cell and "sys.path.insert" in cell
