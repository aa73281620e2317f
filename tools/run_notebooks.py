"""Execute the committed notebooks top to bottom as Colab would, and fail if any cell or claim fails.

Usage:  .venv-colab/bin/python tools/run_notebooks.py [03 04 ...]
Run it with the Python of the environment under test (`make colab-test` uses .venv-colab, Colab's versions).
Each notebook runs in a fresh kernel of that Python, from notebooks/, with the course's helpers not installed:
its set-up cell puts '..' on sys.path, as it puts the clone on sys.path on Colab. Claims are strict (a failed
claim raises), PyTorch, oneDNN and MKL are held to AVX2-level kernels and to one thread, so the claims are shown
to hold on an instruction set and a thread count other than this machine's. Outputs are not compared (nbval does
that in `make test`); the executed notebooks are written to test-artifacts/colab/ for inspection.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))

from course.notebooks import NOTEBOOKS, ROOT, client, committed, execute, kernel_env  # noqa: E402

ARTIFACTS = ROOT / "test-artifacts" / "colab"
# This environment's python3 kernel, not one in the user's Jupyter folders.
EXTRA_ENV = {"JUPYTER_PREFER_ENV_PATH": "1"}


def run(path: Path, timeout: int) -> str | None:
    """Run one notebook and its worked solutions in a fresh python3 kernel started in notebooks/; the first
    failing cell's error, if any."""
    nb = nbformat.read(path, as_version=4)
    try:
        execute(nb, NOTEBOOKS, kernel_env(portable=True, **EXTRA_ENV), timeout)
        return None
    except CellExecutionError as error:
        return str(error)
    except Exception as error:  # a timeout, a dead kernel or an nbclient failure: report, go on
        return f"{type(error).__name__}: {error}"
    finally:
        nbformat.write(nb, ARTIFACTS / path.name)


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
    paths = committed(args.prefixes)
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}"
                         for name in ("torch", "numpy", "transformers", "ipywidgets", "ipykernel"))
    print(f"Python {sys.version.split()[0]} ({sys.prefix}): {versions}", flush=True)
    check_kernel_and_imports()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failed = []
    for path in paths:
        started = time.perf_counter()
        error = run(path, args.timeout)
        if error:
            failed.append(path.name)
            print(f"FAILED {path.name}:\n{error}", flush=True)
        else:
            print(f"ok     {path.name}: executed in {time.perf_counter() - started:.0f} s", flush=True)
    if failed:
        sys.exit(f"{len(failed)} of {len(paths)} notebooks failed in this environment: {', '.join(failed)}")
    print(f"all {len(paths)} notebooks ran top to bottom")


if __name__ == "__main__":
    main()
