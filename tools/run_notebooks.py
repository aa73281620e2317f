"""Execute the notebooks with nbval as Colab would run them, each notebook once: fail on any cell, claim or output.

Usage:  .venv-colab/bin/python tools/run_notebooks.py [03 04 ...]
Run it with the Python of the environment under test (`make colab-test` uses .venv-colab, Colab's versions).
Each notebook runs once here: its translated twin where one exists (the twin's code is the English code, a test
says so; its set-up cell and the helpers' translations are what only the twin runs), else the English notebook.
nbval runs it in a fresh kernel of this Python, from its folder, with the course's helpers not installed (its
set-up cell puts the clone on sys.path, as on Colab), compares its outputs with the committed ones and then runs
its worked solutions against their checks (notebooks/conftest.py). Claims are strict (a failed claim raises),
and PyTorch, oneDNN and MKL are held to AVX2-level kernels and to one thread, so the claims are shown to hold on
an instruction set and a thread count other than this machine's.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from course.notebooks import NOTEBOOKS, ROOT, client, committed, kernel_env  # noqa: E402
from course.translate import LANGUAGES, twin  # noqa: E402

# This environment's python3 kernel, not one in the user's Jupyter folders.
EXTRA_ENV = {"JUPYTER_PREFER_ENV_PATH": "1"}


def chosen(prefixes: list[str]) -> list[Path]:
    """The English notebooks matching `prefixes`, each replaced by its translated twin where one exists."""
    paths = []
    for path in committed(prefixes):
        twins = [twin(path.name, language) for language in LANGUAGES if twin(path.name, language).exists()]
        paths.append(twins[0] if twins else path)
    return paths


def check_kernel_and_imports() -> None:
    """The kernel is this environment's Python, and helpers is importable only through the set-up cell."""
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import importlib.util, sys; print(sys.prefix); print(importlib.util.find_spec('helpers') is None)")])
    client(probe, NOTEBOOKS, 60).execute(env=kernel_env(**EXTRA_ENV))
    prefix, hidden = probe.cells[0].outputs[0]["text"].split()
    if Path(prefix).resolve() != Path(sys.prefix).resolve():
        sys.exit(f"the python3 kernel runs {prefix}, not this environment ({sys.prefix}): "
                 "see `jupyter kernelspec list`")
    if hidden != "True":
        sys.exit("helpers is importable before the set-up cell runs (installed, or on PYTHONPATH): on Colab it is not, "
                 "so this run would not test the set-up cell. Uninstall it from this environment.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose name starts with these (default: all)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed per cell (default 900)")
    args = parser.parse_args()
    os.environ.pop("PYTHONPATH", None)
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}"
                         for name in ("torch", "numpy", "transformers", "ipywidgets", "ipykernel"))
    print(f"Python {sys.version.split()[0]} ({sys.prefix}): {versions}", flush=True)
    check_kernel_and_imports()
    paths = chosen(args.prefixes)
    print("notebooks: " + ", ".join(path.relative_to(NOTEBOOKS).as_posix() for path in paths), flush=True)
    os.environ.update(kernel_env(portable=True, **EXTRA_ENV))  # nbval's kernels inherit this process's environment
    os.chdir(ROOT)  # pyproject.toml's nbval options and notebooks/conftest.py apply
    code = pytest.main([*map(str, paths), "-p", "no:cacheprovider", f"--nbval-cell-timeout={args.timeout}"])
    if code != 0:
        sys.exit(f"nbval failed in this environment ({sys.prefix}): exit status {code}")


if __name__ == "__main__":
    main()
