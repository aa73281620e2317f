"""Build notebooks from their jupytext sources in notebooks/src and execute them top to bottom.

Usage:  python notebooks/build.py            # every notebook
        python notebooks/build.py 03 04      # only those whose name starts with 03 or 04
The .py sources are the diffable truth; the .ipynb files are committed with their outputs.
The shared set-up cell (src/setup_cell.py) is inserted before each notebook's first code cell.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
SETUP_CELL = (SRC / "setup_cell.py").read_text().strip()
# While building: a failed claim stops the build (helpers.claims), and progress bars are plain text so the
# committed notebook shows each bar's final state instead of a frozen widget.
BUILD_ENV = {"COURSE_STRICT_CLAIMS": "1", "COURSE_PLAIN_PROGRESS": "1"}
# What a static view (GitHub, nbviewer, Colab before running) shows in place of a control panel, which needs a
# live kernel; the labs print a static copy of their first result next to it.
WIDGET_TEXT = "[Interactive control panel: run this notebook in Jupyter or Colab to use it.]"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def finished_text(text: str) -> str:
    """What a terminal would show: on each line, only the text after the last carriage return."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def tidy_outputs(nb: nbformat.NotebookNode) -> None:
    """Drop execution timestamps and saved widget state; keep only the final state of progress bars; say what a
    control panel is where a static view would print its Python repr."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        merged = []  # a progress bar arrives as many stream outputs: join them so only its final state remains
        for output in cell.get("outputs", []):
            previous = merged[-1] if merged else {}
            if output.get("output_type") == "stream" and previous.get("output_type") == "stream" \
                    and previous.get("name") == output.get("name"):
                previous["text"] += output["text"]
            else:
                merged.append(output)
        for output in merged:
            if WIDGET_VIEW in output.get("data", {}):
                output["data"]["text/plain"] = WIDGET_TEXT
            if output.get("output_type") == "stream" and "\r" in output["text"]:
                # a progress bar: its final state, without the blank lines its redraws leave (other text is kept)
                output["text"] = re.sub(r"\n{2,}", "\n", finished_text(output["text"]))
        if "outputs" in cell:
            cell.outputs = [o for o in merged if o.get("output_type") != "stream" or o["text"].strip()]


def stable_ids(nb: nbformat.NotebookNode) -> None:
    """Give every cell an id derived from its type and source, so that rebuilding an unchanged notebook gives
    the same file (jupytext draws random ids); a repeated cell gets a numbered suffix."""
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        cell.id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def read_source(source: Path) -> nbformat.NotebookNode:
    """One notebook as it is built from its jupytext source, before execution: set-up cell in, stable ids."""
    nb = jupytext.read(source)
    first_code = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    nb.cells.insert(first_code, nbformat.v4.new_code_cell(SETUP_CELL))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.pop("jupytext", None)
    stable_ids(nb)
    return nb


def build(source: Path) -> Path:
    """Convert one source to .ipynb, execute it in notebooks/, and write it with its outputs."""
    nb = read_source(source)
    started = time.perf_counter()
    os.environ.update(BUILD_ENV)
    NotebookClient(nb, timeout=900, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(HERE)}}).execute()
    tidy_outputs(nb)
    target = HERE / f"{source.stem}.ipynb"
    tmp = target.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(target)
    print(f"{target.name}: executed in {time.perf_counter() - started:.0f} s")
    return target


def main(prefixes: list[str]) -> None:
    sources = sorted(SRC.glob("[0-9][0-9]_*.py"))
    chosen = [s for s in sources if not prefixes or any(s.name.startswith(p) for p in prefixes)]
    if not chosen:
        raise SystemExit(f"no notebook source matches {prefixes}; sources: {[s.name for s in sources]}")
    for source in chosen:
        build(source)


if __name__ == "__main__":
    main(sys.argv[1:])
