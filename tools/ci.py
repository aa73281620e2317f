"""`make test`: install and every test, in two streams side by side on a 2-core machine, with each step's time.

    python tools/ci.py --make make --py .venv/bin/python

Stream A installs the course and runs pytest in its environment: the unit tests (the benchmarks' quick runs
aside), nbval over the five English notebooks (each executed once, its worked solutions after it) and the browser
tests. Stream B makes the Colab-pinned environment and runs nbval there, with CPU kernels held to AVX2, over each
notebook once (its Chinese twin where one exists), then the widget tests under ipywidgets 7.7.1, and, once stream A
has installed the course, nbgrader against `make student` / `make grade`, the benchmarks' quick runs, the classroom
check, and `make site` with the website's browser test (tests/test_site.py). Each step's output goes to
test-artifacts/ci/STEP.log; its last lines are printed when it ends, all of them when it fails.
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


INSTALL = "install the course and test tools"


def streams(make: str, py: str) -> list[list[tuple[str, list[str], str | None]]]:
    """Two streams run side by side, each a list of (name, command, the step of the other stream it waits for)."""
    return [
        [(INSTALL, [make, "--no-print-directory", "setup-test"], None),
         ("pytest: unit tests, nbval (5 notebooks), browser",
          [py, "-m", "pytest", "-m", "not nbgrader and not site", "--ignore=notebooks/zh-CN",
           "--ignore=tests/test_benchmarks.py"], None)],
        [("make the Colab-pinned environment", [make, "--no-print-directory", "colab-env"], None),
         ("Colab versions: nbval, each notebook once (a Chinese twin where one exists), AVX2 kernels",
          [COLAB, "tools/run_notebooks.py"], None),
         ("Colab versions: widget tests (ipywidgets 7.7.1)",
          [COLAB, "-m", "pytest", "tests/test_widgets.py", "-p", "no:nbval", "-p", "no:cacheprovider",
           "-o", "addopts=-ra"], None),
         ("nbgrader vs make student / make grade",
          [py, "-m", "pytest", "tests/test_nbgrader.py", "-m", "nbgrader", "-p", "no:nbval", "-o", "addopts=-ra"],
          INSTALL),
         ("benchmarks: each benchmarks/bench_*.py --quick runs",
          [py, "-m", "pytest", "tests/test_benchmarks.py", "-p", "no:nbval", "-o", "addopts=-ra"], None),
         ("classroom check (format, student edition, decks)", [py, "tools/classroom.py", "check"], None),
         ("make site: the course as a website", [make, "--no-print-directory", "site"], None),
         ("website in Chromium: every page offline, solutions, search, languages",
          [py, "-m", "pytest", "tests/test_site.py", "-m", "site", "-p", "no:nbval", "-o", "addopts=-ra"], None)],
    ]


def run_stream(stream: list[tuple[str, list[str], str | None]], results: list, done: dict) -> None:
    for name, command, after in stream:
        if after is not None:
            done[after].wait()
            if not any(step == after and code == 0 for step, code, _, _ in results):
                return  # what this step needs failed
        log = LOGS / (name.split(":")[0].split("(")[0].strip().replace(" ", "-").replace("/", "-") + ".log")
        started = time.monotonic()
        with log.open("w") as handle:
            code = subprocess.run(command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT).returncode
        seconds = time.monotonic() - started
        results.append((name, code, seconds, log))
        done[name].set()
        lines = log.read_text(errors="replace").splitlines()
        shown = lines if code else lines[-25:]
        print(f"\n===== {name}: {'ok' if code == 0 else f'FAILED (exit {code})'} in {seconds:.0f} s "
              f"(log: {log.relative_to(ROOT)}) =====", flush=True)
        print("\n".join(shown[-400:]), flush=True)
        if code:
            break  # the rest of this stream depends on this step
    for name, _, _ in stream:
        done[name].set()  # a step the other stream waits for never comes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--make", default="make")
    parser.add_argument("--py", default=sys.executable)
    args = parser.parse_args()
    LOGS.mkdir(parents=True, exist_ok=True)
    started, results, lengths = time.monotonic(), [], {}
    plan = streams(args.make, args.py)
    done = {name: threading.Event() for stream in plan for name, _, _ in stream}

    def timed(letter: str, stream: list) -> None:
        run_stream(stream, results, done)
        lengths[letter] = time.monotonic() - started

    threads = [threading.Thread(target=timed, args=(letter, stream)) for letter, stream in zip("AB", plan)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("\n===== make test: time per step =====")
    for name, code, seconds, _ in results:
        print(f"{seconds:7.0f} s  {'FAILED ' if code else ''}{name}")
    for letter in "AB":
        print(f"{lengths[letter]:7.0f} s    (stream {letter}, from the start)")
    print(f"{time.monotonic() - started:7.0f} s  in all")
    failed = [name for name, code, _, _ in results if code]
    if failed:
        print("failed: " + "; ".join(failed))
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
