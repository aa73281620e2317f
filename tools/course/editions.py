"""The editions of a notebook, as nbconvert preprocessors (nbgrader's own where nbgrader has one).

- teacher: the source as written (worked solutions in the answer cells): what nbgrader's generate_assignment reads;
- learner: what is committed and what a self-learner opens: each answer cell stubbed by nbgrader's ClearSolutions,
  its worked solution folded in a <details> cell after the check (FoldSolutions), cells locked as in nbgrader's
  release (LockCells);
- student: the learner edition for a class (`make student`): no worked solutions, no outputs.
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor, Preprocessor, TagRemovePreprocessor
from nbformat import NotebookNode
from traitlets.config import Config

from . import cells
from .notebooks import ROOT, sources, stable_ids

# Files that make a student edition a complete copy of the course a class can clone (nbgitpuller, Binder, pip).
STUDENT_COPY = ["helpers", "data", "requirements.txt", "environment.yml", "pyproject.toml"]
COLAB_BASE = "https://colab.research.google.com/github/nlp-basics-course/nlp-basics-pytorch/blob/main/"
# nbgrader's settings for the course, in its own config file format (written into an nbgrader course folder).
NBGRADER_CONFIG = f'''c = get_config()
c.CourseDirectory.course_id = "nlp-basics"
c.ClearSolutions.code_stub = {{"python": {cells.CODE_STUB!r}}}
c.ClearSolutions.text_stub = {cells.TEXT_STUB!r}
c.Execute.timeout = 600
'''


def nbgrader_config() -> Config:
    """The same settings as NBGRADER_CONFIG, for nbgrader's preprocessors run from Python."""
    config = Config()
    config.ClearSolutions.code_stub = {"python": cells.CODE_STUB}
    config.ClearSolutions.text_stub = cells.TEXT_STUB
    return config


class FoldSolutions(Preprocessor):
    """After each check cell, a markdown cell tagged 'worked-solution' with the worked solution of the answer cells
    before it, folded in <details>; check cells get the tag raises-exception (unanswered, a check raises)."""

    def preprocess(self, nb, resources):
        name = resources.get("metadata", {}).get("name", "notebook")
        for exercise in reversed(cells.exercises(nb)):
            solution = "\n\n".join(cells.worked_solution(nb.cells[i].source, f"{name}, cell {i}")
                                   for i in exercise.answers)
            cell = nbformat.v4.new_markdown_cell(cells.folded(solution),
                                                 metadata={"tags": [cells.WORKED]})
            nb.cells.insert(exercise.check + 1, cell)
            check = nb.cells[exercise.check]
            # unanswered, a check raises NotAnswered; its committed output is a plain line (tidy_outputs), so
            # nbval runs the cell but does not compare it
            added = [tag for tag in ("raises-exception", "nbval-ignore-output") if tag not in cells.tags(check)]
            check.metadata["tags"] = [*cells.tags(check), *added]
        for cell in nb.cells:
            cell.metadata.get("jupyter", {}).pop("source_hidden", None)
            if cell.metadata.get("jupyter") == {}:
                del cell.metadata["jupyter"]
        return nb, resources


def _run(preprocessors: list[Preprocessor], nb: NotebookNode, name: str) -> NotebookNode:
    nb = copy.deepcopy(nb)
    resources = {"metadata": {"name": name}}
    for preprocessor in preprocessors:
        nb, resources = preprocessor.preprocess(nb, resources)
    return nb


def learner_edition(teacher: NotebookNode, name: str = "notebook") -> NotebookNode:
    """The committed edition: solutions folded after their checks, answer cells stubbed, cells locked."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions, LockCells

    cells.require_valid(teacher, name)
    config = nbgrader_config()
    nb = _run([FoldSolutions(), ClearSolutions(config=config), ClearHiddenTests(config=config),
               LockCells(config=config)], teacher, name)
    for index, cell in enumerate(nb.cells):
        if cells.is_answer(cell):
            try:
                compile(cell.source, f"{name}, cell {index}", "exec")
            except SyntaxError as error:
                raise cells.FormatError(
                    f"{name}, cell {index}: the learner's stub does not compile ({error.msg}, line {error.lineno}); "
                    f"a function whose body is the solution needs its docstring before '{cells.BEGIN_SOLUTION}'"
                ) from None
    stable_ids(nb)
    return nb


def student_edition(learner: NotebookNode, repo: str | None = None) -> NotebookNode:
    """A learner edition for a class: worked solutions and outputs removed (repo: the class's copy on GitHub)."""
    remove = TagRemovePreprocessor(remove_cell_tags={cells.WORKED})
    remove.enabled = True
    nb = _run([remove, ClearOutputPreprocessor()], learner, "student")
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("language_info", None)
    if repo:
        point_colab_badges(nb, repo)
    return nb


def point_colab_badges(nb: NotebookNode, repo: str) -> None:
    """Make the notebook's "Open in Colab" links open `repo` ("owner/name" or "owner/name@branch") instead."""
    name, _, branch = repo.partition("@")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", name):
        raise ValueError(f"repo {repo!r}: expected owner/name or owner/name@branch, e.g. my-school/nlp-class")
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = cell.source.replace(COLAB_BASE, f"https://colab.research.google.com/github/{name}/blob/"
                                                          f"{branch or 'main'}/")


def leaked_lines(teacher: NotebookNode, student: NotebookNode) -> list[str]:
    """Lines of a worked solution that survive in the student edition (lines also found outside the solutions,
    such as starter code or prose, are not solution text)."""
    solution, elsewhere = set(), set()
    for cell in teacher.cells:
        lines = [line.strip() for line in cell.source.splitlines()]
        if cells.is_answer(cell):
            inside = {i for start, stop in cells.regions(cell.source.splitlines(), cells.BEGIN_SOLUTION,
                                                          cells.END_SOLUTION, "cell") for i in range(start, stop + 1)}
            solution.update(line for i, line in enumerate(lines) if i in inside)
            elsewhere.update(line for i, line in enumerate(lines) if i not in inside)
        else:
            elsewhere.update(lines)
    secret = solution - elsewhere - {cells.CODE_STUB, cells.TEXT_STUB, ""}
    found = {line.strip() for cell in student.cells for line in cell.source.splitlines()}
    found |= {line.strip() for cell in student.cells for out in cell.get("outputs", [])
              for line in str(out).split("\\n")}
    return sorted(line for line in found if line in secret or cells.BEGIN_SOLUTION in line)


def write_student(out_dir: Path, notebooks: list[Path], repo: str | None = None) -> list[Path]:
    """The student edition of each committed notebook in out_dir/notebooks, beside a copy of the course's files."""
    out_dir = Path(out_dir)
    written = []
    for path in notebooks:
        student = student_edition(nbformat.read(path, as_version=4), repo)
        target = out_dir / "notebooks" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student, target)
        written.append(target)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "cache", ".ipynb_checkpoints")
    for name in STUDENT_COPY:
        source, target = ROOT / name, out_dir / name
        if source.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, target)
    (out_dir / "README.md").write_text(
        "# NLP basics with PyTorch: student edition\n\n"
        "Open the notebooks in `notebooks/` (JupyterLab: `pip install -r requirements.txt`, then\n"
        f"`jupyter lab notebooks/`). Each exercise has an answer cell marked `{cells.CODE_STUB}`:\n"
        "write your answer there, run it, then run the check cell below it, which prints ✔ or says what is wrong.\n\n"
        "Generated by `make student` from the course; edit the course, not this copy.\n")
    return written


def write_nbgrader_course(out_dir: Path, prefixes: list[str] | None = None) -> list[Path]:
    """An nbgrader course folder: source/NN_name/NN_name.ipynb (the teacher's editions) and nbgrader_config.py."""
    from .notebooks import read_source

    out_dir = Path(out_dir)
    written = []
    for source in sources(prefixes or ()):
        teacher = read_source(source)
        cells.require_valid(teacher, source.name)
        target = out_dir / "source" / source.stem / f"{source.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(teacher, target)
        written.append(target)
    (out_dir / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
    return written
