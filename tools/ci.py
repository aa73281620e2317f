"""`make test`: install, then every test, two streams at a time on a 2-core machine, with the time of each step.

    python tools/ci.py --make make --py .venv/bin/python

Stream A runs pytest in the course's environment: the unit tests, nbval over the five notebooks (each executed
once, its worked solutions after it) and the browser tests. Stream B runs the five notebooks in Colab's package
versions with CPU kernels held to AVX2 (each executed once there), the widget tests under ipywidgets 7.7.1,
nbgrader against `make student` / `make grade`, the classroom check, and `make site` with the website's browser
test (tests/test_site.py). Each step's output goes to test-artifacts/ci/STEP.log; its last lines are printed when
it ends, all of them when it fails.
Only the standard library: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "test-artifacts" / "ci"
COLAB = ".venv-colab/bin/python"


def steps(make: str, py: str) -> list[list[tuple[str, list[str]]]]:
    """Stages run one after the other; inside a stage, streams run side by side, each a list of named steps."""
    return [
        [[("install the course and test tools", [make, "--no-print-directory", "setup-test"])],
         [("make the Colab-pinned environment", [make, "--no-print-directory", "colab-env"])]],
        [[("pytest: unit tests, nbval (5 notebooks), browser",
           [py, "-m", "pytest", "-m", "not nbgrader and not site"])],
         [("Colab versions: 5 notebooks, AVX2 kernels", [COLAB, "tools/run_notebooks.py"]),
          ("Colab versions: widget tests (ipywidgets 7.7.1)",
           [COLAB, "-m", "pytest", "tests/test_widgets.py", "-p", "no:nbval", "-p", "no:cacheprovider",
            "-o", "addopts=-ra"]),
          ("nbgrader vs make student / make grade",
           [py, "-m", "pytest", "tests/test_nbgrader.py", "-m", "nbgrader", "-p", "no:nbval", "-o", "addopts=-ra"]),
          ("classroom check (format, student edition, decks)", [py, "tools/classroom.py", "check"]),
          ("make site: the course as a website", [make, "--no-print-directory", "site"]),
          ("website in Chromium: every page offline, solutions, search, languages",
           [py, "-m", "pytest", "tests/test_site.py", "-m", "site", "-p", "no:nbval", "-o", "addopts=-ra"])]],
    ]


def run_stream(stream: list[tuple[str, list[str]]], results: list) -> None:
    for name, command in stream:
        log = LOGS / (name.split(":")[0].split("(")[0].strip().replace(" ", "-").replace("/", "-") + ".log")
        started = time.monotonic()
        with log.open("w") as handle:
            code = subprocess.run(command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT).returncode
        seconds = time.monotonic() - started
        results.append((name, code, seconds, log))
        lines = log.read_text(errors="replace").splitlines()
        shown = lines if code else lines[-25:]
        print(f"\n===== {name}: {'ok' if code == 0 else f'FAILED (exit {code})'} in {seconds:.0f} s "
              f"(log: {log.relative_to(ROOT)}) =====", flush=True)
        print("\n".join(shown[-400:]), flush=True)
        if code:
            return  # the rest of this stream depends on this step


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--make", default="make")
    parser.add_argument("--py", default=sys.executable)
    args = parser.parse_args()
    LOGS.mkdir(parents=True, exist_ok=True)
    started, results = time.monotonic(), []
    for stage in steps(args.make, args.py):
        stage_started = time.monotonic()
        threads = [threading.Thread(target=run_stream, args=(stream, results)) for stream in stage]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results.append(("  (stage wall time)", 0, time.monotonic() - stage_started, None))
        if any(code for _, code, _, _ in results):
            break
    print("\n===== make test: time per step =====")
    for name, code, seconds, _ in results:
        print(f"{seconds:7.0f} s  {'FAILED ' if code else ''}{name}")
    print(f"{time.monotonic() - started:7.0f} s  in all")
    failed = [name for name, code, _, _ in results if code]
    if failed:
        print("failed: " + "; ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
