"""The classroom edition: student notebooks, grading, slide decks and an nbgrader course, all from the course.

    python tools/classroom.py student [--repo owner/name]   # build/student/: the notebooks without worked solutions
    python tools/classroom.py grade SUBMISSIONS             # build/grades.csv and a table: each check, per student
    python tools/classroom.py slides [--offline]            # build/slides/NN_name.slides.html (reveal.js)
    python tools/classroom.py nbgrader [--out build/nbgrader] # an nbgrader course folder (source/ + config)
    python tools/classroom.py check                         # CI: format, no solution in the student edition, decks

The work is done in tools/course/ (editions, grading, slides); this file is only the command line. The teacher's
guide is notebooks/TEACHERS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import nbformat  # noqa: E402

from course import cells, editions, grading, slides  # noqa: E402
from course.notebooks import ROOT, committed, read_source, sources  # noqa: E402

BUILD = ROOT / "build"


def check(prefixes: list[str], slides_out: Path) -> int:
    """CI: every source follows the exercise format, every student edition leaks no solution text, decks build.
    (That the committed notebooks are their sources, run and fail each unanswered check is nbval's and
    tests/test_build.py's job; nothing is executed here.)"""
    failures = []
    for source, notebook in zip(sources(prefixes), committed(prefixes)):
        teacher = read_source(source)
        found = cells.problems(teacher, source.name)
        student = editions.student_edition(nbformat.read(notebook, as_version=4))
        found += [f"{source.name}: solution text in the student edition: {line!r}"
                  for line in editions.leaked_lines(teacher, student)]
        if not cells.exercises(student):
            found.append(f"{notebook.name}: no exercise in the student edition")
        print(f"{notebook.name}: {'ok' if not found else f'{len(found)} problem(s)'}")
        failures += found
    for deck in slides.write_slides(committed(prefixes), slides_out):
        sections = deck.read_text(encoding="utf-8").count("<section")
        print(f"{deck.relative_to(ROOT) if deck.is_relative_to(ROOT) else deck}: {sections} slide sections")
        if sections < 3:
            failures.append(f"{deck.name}: only {sections} slide sections")
    for failure in failures:
        print("✘", failure)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/classroom.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    student = commands.add_parser("student", help="write the student edition (no worked solutions, no outputs)")
    student.add_argument("notebooks", nargs="*", help="only these notebooks (name prefixes such as 03)")
    student.add_argument("--out", type=Path, default=BUILD / "student")
    student.add_argument("--repo", help="owner/name[@branch] of the class's copy on GitHub: the notebooks' "
                                        "Colab links open it instead of the course's")
    grade = commands.add_parser("grade", help="run each submitted notebook's checks; CSV + table")
    grade.add_argument("submissions", type=Path, help="folder of submitted notebooks (searched recursively)")
    grade.add_argument("--out", type=Path, default=BUILD / "grades.csv")
    grade.add_argument("--time-limit", type=float, default=120,
                       help="seconds for one submission's exercises (default 120)")
    deck = commands.add_parser("slides", help="build a reveal.js deck of each committed notebook")
    deck.add_argument("notebooks", nargs="*", help="only these notebooks (name prefixes such as 03)")
    deck.add_argument("--out", type=Path, default=BUILD / "slides")
    deck.add_argument("--offline", action="store_true", help="copy reveal.js beside the decks (npm registry)")
    course = commands.add_parser("nbgrader", help="write an nbgrader course folder (source/ and nbgrader_config.py)")
    course.add_argument("notebooks", nargs="*", help="only these notebooks (name prefixes such as 03)")
    course.add_argument("--out", type=Path, default=BUILD / "nbgrader")
    ci = commands.add_parser("check", help="CI: exercise format, no solution text in the student edition, decks")
    ci.add_argument("notebooks", nargs="*", help="only these notebooks (name prefixes such as 03)")
    ci.add_argument("--slides-out", type=Path, default=BUILD / "slides")
    args = parser.parse_args(argv)

    if args.command == "student":
        for path in editions.write_student(args.out, committed(args.notebooks), args.repo):
            print(f"wrote {path}")
    elif args.command == "grade":
        started = time.monotonic()
        references = {path.stem: path for path in committed()}
        rows = grading.grade(args.submissions, references, args.time_limit)
        grading.write_csv(rows, args.out)
        print(grading.table(rows))
        print(f"one row per student and exercise: {args.out} ({time.monotonic() - started:.0f} s in all)")
    elif args.command == "slides":
        for path in slides.write_slides(committed(args.notebooks), args.out, args.offline):
            print(f"wrote {path}")
    elif args.command == "nbgrader":
        for path in editions.write_nbgrader_course(args.out, args.notebooks):
            print(f"wrote {path}")
        print(f"then, in {args.out}: nbgrader generate_assignment NN_name (see notebooks/TEACHERS.md)")
    else:
        return check(args.notebooks, args.slides_out)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except cells.FormatError as error:
        sys.exit(f"✘ {error}")
