"""tools/course/slides.py: reveal.js decks from the committed notebooks, and an offline one in Chromium."""

from __future__ import annotations

import copy
import re
import shutil

import nbformat
import pytest
from support import FIXTURE, FIXTURE_SRC, ROOT, chromium, unavailable

from course import cells, editions, slides
from course.notebooks import committed, read_source, setup_cells

ARTIFACTS = ROOT / "test-artifacts" / "classroom"


@pytest.fixture
def learner():
    """The fixture's learner edition with the outputs a built notebook would have: a 40-line print, a widget, an
    unanswered check."""
    nb = editions.learner_edition(read_source(FIXTURE), FIXTURE.name)
    long_cell = next(c for c in nb.cells if "range(40)" in c.source)
    long_cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                text="".join(f"line {i}\n" for i in range(40)))]
    nb.cells[-1].outputs = [nbformat.v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "x"}, "text/plain": "HBox()"})]
    check = nb.cells[cells.exercises(nb)[0].check]
    check.outputs = [nbformat.v4.new_output("error", ename="NotAnswered", evalue="○", traceback=["○ not yet"])]
    return nb


def test_every_notebooks_own_set_up_cell_is_skipped():
    made = [nbformat.v4.new_code_cell(code) for code in setup_cells()] + [nbformat.v4.new_code_cell("x = 1")]
    deck, _ = slides.SlideDeck().preprocess(nbformat.v4.new_notebook(cells=made), {})
    assert [cell.metadata.slideshow.slide_type for cell in deck.cells] == ["skip"] * (len(made) - 1) + ["-"]


def test_slide_metadata_from_headings_answers_and_solutions_skipped_explicit_metadata_wins(learner):
    setup = (FIXTURE_SRC / "setup_cell.py").read_text()
    deck, _ = slides.SlideDeck().preprocess(copy.deepcopy(learner), {"setup_cell": setup})
    kinds = [(cell.metadata.slideshow.slide_type, cell.source.splitlines()[0]) for cell in deck.cells]
    assert kinds[0] == ("slide", "# 99 · A tiny notebook for the classroom tools")
    assert ("skip", setup.splitlines()[0]) in kinds
    assert ("slide", "## 1. A long output") in kinds
    assert ("-", "Prose that ends section 1.") in kinds  # a markdown cell split at its headings
    assert ("slide", "## 2. Exercises") in kinds
    assert ("subslide", "### Exercise 1 — square a number") in kinds
    assert [k for k, _ in kinds].count("skip") == 5  # the set-up cell, two answer cells, two worked solutions
    assert ("notes", "Speaker notes: explicit slide metadata in the source wins over the derived one.") in kinds
    long_text = next(c for c in deck.cells if "range(40)" in c.source).outputs[0]["text"]
    assert len(long_text.splitlines()) == slides.MAX_OUTPUT_LINES and "more lines in the notebook" in long_text
    assert deck.cells[-1].outputs == []  # a widget has nothing to show on a slide
    assert all(deck.cells[e.check].outputs == [] for e in cells.exercises(deck))


def test_decks_are_reveal_html_without_the_solutions(learner, tmp_path):
    path = tmp_path / "99_fixture.ipynb"
    nbformat.write(learner, path)
    (deck,) = slides.write_slides([path], tmp_path / "slides")
    html = deck.read_text(encoding="utf-8")
    assert html.count("<section") >= 5
    assert "squared_value" not in html and "ex99-1" in html  # the solution skipped, its check shown
    assert "more lines in the notebook" in html
    assert 'class="notes"' in html
    assert "unpkg.com/reveal.js" in html  # learners' default: reveal.js from its CDN


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_an_offline_deck_renders_in_chromium(tmp_path):
    """A real notebook's deck, with reveal.js from the npm registry beside it, opened with every network request
    refused: the first slide shows the title, the arrow key moves on, and the maths is typeset."""
    from playwright.sync_api import sync_playwright

    path = chromium()
    cached = all(list(slides.CACHE.glob(f"{name}-[0-9]*.tgz")) for name in slides.VENDOR)
    if not cached and not shutil.which("npm"):
        unavailable("npm is needed once to fetch reveal.js", "install Node.js and npm")
    notebook = committed()[0]
    (deck,) = slides.write_slides([notebook], tmp_path, offline=True)
    title = next(c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "markdown")
    title = title.source.splitlines()[0].lstrip("# ").strip()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            refused, failed = [], []
            page.route(re.compile(r"^(?!file:).*"), lambda route: (refused.append(route.request.url), route.abort()))
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.goto(deck.as_uri(), wait_until="domcontentloaded")
            page.wait_for_selector(".reveal.ready", timeout=60_000)
            first = page.locator(".slides section.present").first
            assert title.lower() in first.inner_text().lower()
            assert page.locator(".slides > section").count() >= 3
            page.screenshot(path=str(ARTIFACTS / "slide-1.png"))
            page.keyboard.press("ArrowRight")
            page.wait_for_function("location.hash === '#/1'", timeout=10_000)
            if "$" in notebook.read_text():
                page.wait_for_selector(".MathJax_CHTML", timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "slide-2.png"))
            assert [url for url in failed if url.startswith("file:")] == []
        finally:
            browser.close()
