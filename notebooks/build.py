"""Build notebooks from their jupytext sources in notebooks/src and execute them top to bottom.

Usage:  python notebooks/build.py                   # every notebook (English)
        python notebooks/build.py 03 04             # only those whose name starts with 03 or 04
        python notebooks/build.py 03 --lang zh-CN   # the Chinese twin, notebooks/zh-CN/ (--lang all: every edition)
The .py sources are the diffable truth; the .ipynb files are committed with their outputs. Each is the learner
edition of its source (tools/course/editions.py): answer cells stubbed, worked solutions folded after their
checks. After the notebook, every worked solution runs against its check in the same kernel; a failing check,
a failed claim or any error stops the build and leaves the committed notebook as it was.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import nbformat  # noqa: E402

from course.editions import learner_edition  # noqa: E402
from course.notebooks import NOTEBOOKS, execute, read_source, sources, tidy_outputs  # noqa: E402
from course.translate import LANGUAGES, translated_edition  # noqa: E402


def build(source: Path, language: str = "en") -> Path:
    """Convert one source to its learner edition (or its twin in `language`), execute it where it is committed,
    and write it with its outputs."""
    nb = learner_edition(read_source(source), source.name)
    folder = NOTEBOOKS
    if language != "en":
        nb, folder = translated_edition(nb, source, language), NOTEBOOKS / LANGUAGES[language]["folder"]
        folder.mkdir(exist_ok=True)
    started = time.perf_counter()
    times = execute(nb, folder)
    tidy_outputs(nb)
    target = folder / f"{source.stem}.ipynb"
    tmp = target.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(target)
    stages = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in times.items())
    print(f"{target.relative_to(NOTEBOOKS)}: executed in {time.perf_counter() - started:.0f} s ({stages})", flush=True)
    return target


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="notebook name prefixes (default: all)")
    parser.add_argument("--lang", default="en", choices=["en", "all", *LANGUAGES])
    args = parser.parse_args(argv)
    languages = ["en", *LANGUAGES] if args.lang == "all" else [args.lang]
    for source in sources(args.prefixes):
        for language in languages:
            build(source, language)


if __name__ == "__main__":
    main(sys.argv[1:])
