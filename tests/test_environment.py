"""The install files agree with each other, never force a torch or ipywidgets upgrade, and claim only tested floors."""

import re
from pathlib import Path

import pytest

from course import notebooks

tomllib = pytest.importorskip("tomllib")  # Python 3.11+
version = pytest.importorskip("packaging.version")
specifiers = pytest.importorskip("packaging.specifiers")

ROOT = Path(__file__).resolve().parents[1]
COLAB_TORCH = "2.11.0"  # Colab's torch (tools/colab-requirements.txt says why CI's Colab env runs 2.13 instead)


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


def _read_requirements(name: str) -> dict[str, str]:
    return _requirements((ROOT / name).read_text().splitlines())


def _environment_pip_lines() -> list[str]:
    text = (ROOT / "environment.yml").read_text()
    pip_block = text.split("- pip:", 1)[1]
    return [line.strip()[2:] for line in pip_block.splitlines() if line.strip().startswith("- ")]


def _colab_versions() -> dict[str, str]:
    """Colab's exact versions, as pinned in tools/colab-requirements.txt (plus Colab's own torch)."""
    pins = {name: spec[2:] for name, spec in _read_requirements("tools/colab-requirements.txt").items()
            if spec.startswith("==")}
    return {**pins, "torch": COLAB_TORCH}


def test_environment_yml_has_the_same_packages_as_requirements():
    assert _requirements(_environment_pip_lines()) == _read_requirements("requirements.txt")


def test_environment_yml_takes_the_cpu_build_of_torch():
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in _environment_pip_lines()


def test_pyproject_dependencies_are_a_subset_of_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = _read_requirements("requirements.txt")
    for name, spec in _requirements(project["dependencies"]).items():
        assert requirements.get(name) == spec, name


def test_every_current_python_from_3_10_is_allowed():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    allowed = specifiers.SpecifierSet(project["requires-python"])
    assert [f"3.{minor}" for minor in range(9, 16) if f"3.{minor}" in allowed] == [f"3.{m}" for m in range(10, 16)]


def test_no_exact_pins_that_would_break_colab():
    for path in ("requirements.txt", "requirements-test.txt", "environment.yml", "pyproject.toml"):
        text = (ROOT / path).read_text()
        assert not re.search(r"\b(torch|ipywidgets)\s*==", text), f"{path} pins torch or ipywidgets exactly"


def test_colab_keeps_its_torch_and_ipywidgets():
    requirements = _read_requirements("requirements.txt")
    for name in ("torch", "ipywidgets"):
        assert version.Version(_colab_versions()[name]) in specifiers.SpecifierSet(requirements[name]), name
    assert version.Version("8.1.7") in specifiers.SpecifierSet(requirements["ipywidgets"])  # JupyterLab's 8 too


def test_floors_are_the_versions_the_colab_environment_tests():
    """A floor below what CI runs would claim support nothing checks; above it, Colab would be upgraded."""
    colab = _colab_versions()
    checked = 0
    for name, spec in _read_requirements("requirements.txt").items():
        floors = [s.version for s in specifiers.SpecifierSet(spec) if s.operator == ">="]
        if name in colab and floors:
            assert version.Version(colab[name]) in specifiers.SpecifierSet(spec), f"{name}: Colab has {colab[name]}"
            assert version.Version(floors[0]).release[:2] == version.Version(colab[name]).release[:2], name
            checked += 1
    assert checked >= 10


def test_gensim_floor_has_wheels_for_python_3_13_and_numpy_2():
    assert version.Version("4.4") in specifiers.SpecifierSet(_read_requirements("requirements.txt")["gensim"])
    assert version.Version("4.3.3") not in specifiers.SpecifierSet(_read_requirements("requirements.txt")["gensim"])


def test_colab_environment_leaves_helpers_uninstalled_and_runs_the_cpu_torch():
    text = (ROOT / "tools" / "colab-requirements.txt").read_text()
    assert not re.search(r"^\s*(-e|\.)", text, re.MULTILINE)  # the notebooks find helpers as on Colab
    assert _read_requirements("tools/colab-requirements.txt")["torch"] == "==2.13.0"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert commands == ["make test"]


def test_no_environment_inherits_another_through_system_site_packages():
    assert not re.search(r"-m venv.*--system-site-packages", (ROOT / "Makefile").read_text())
    assert not re.search(r"[\"']--system-site-packages[\"']", (ROOT / "tools" / "colab_env.py").read_text())


@pytest.mark.parametrize("source", notebooks.sources(), ids=lambda p: p.stem)
def test_colab_setup_cell_never_reinstalls_torch_or_ipywidgets(source):
    cell = notebooks.source_setup_cell(source)  # as the build writes it for this notebook
    install_lines = [line for line in cell.splitlines() if '"pip"' in line or "lacking" in line or "course = " in line]
    assert bool(install_lines) == bool(notebooks.needs(source))  # a notebook that needs nothing installs nothing
    assert not any(re.search(r"torch|ipywidgets", line) for line in install_lines)
    assert "google.colab" in cell and "sys.path.insert" in cell


def test_every_package_the_set_up_cells_install_is_a_course_requirement():
    required = _read_requirements("requirements.txt")
    assert set(notebooks.COLAB_PACKAGES) <= set(required)
    assert set(notebooks.COLAB_PACKAGES) <= set(_read_requirements("tools/colab-requirements.txt"))
