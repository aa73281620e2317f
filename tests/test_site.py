"""The course website (`make site`, tools/website/): every page in headless Chromium with the network blocked.

CI runs `make site` and then this module (tools/ci.py, stream B); it tests build/site/ when that is newer than
everything the site is built from, and builds it first otherwise. The pages are served from 127.0.0.1; any other
request is blocked and recorded, and none may be attempted. On every page: maths rendered by the site's own MathJax
(no raw \\( left), every image loaded, every internal link and #anchor resolving, no script error. On the notebook
pages: the set-up cell hidden, each worked solution closed until its summary is clicked and open (highlighted code)
after, the launch row, previous/next through the whole course; search finds "spectral radius" on notebook 04's page;
a tiny fake second language (Chinese) shows that the language switch links each page to its twin, and that its
search finds Chinese words.
Needs the site's packages (requirements-site.txt), Debian's Chromium and playwright; skipped without them, except
under CI (CI=true). Screenshots land in test-artifacts/site/.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import json
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
from support import CHROMIUM_FLAGS, ROOT, chromium, unavailable

ARTIFACTS = ROOT / "test-artifacts" / "site"
WEBSITE = ROOT / "tools" / "website"
SITE = ROOT / "build" / "site"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _load("website_build", WEBSITE / "build.py")
CONFIG = builder.load_config()
ENGLISH = CONFIG["language"][0]

# Runs after MathJax has typeset the page: what a reader would see wrong.
INSPECT = r"""async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const images = [...document.images];
  images.forEach(image => { image.loading = "eager"; });
  await Promise.all(images.map(image => image.complete ? null
    : new Promise(done => { image.addEventListener("load", done); image.addEventListener("error", done); })));
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest("pre, code, script, style, textarea, mjx-assistive-mml")) continue;
    if (/\\\(|\\\)|\\\[|\\\]|\$\$/.test(node.textContent)) raw.push(node.textContent.trim().slice(0, 100));
  }
  return {
    math: document.querySelectorAll(".math").length,
    typeset: document.querySelectorAll("mjx-container").length,
    untypeset: [...document.querySelectorAll(".math")].filter(m => !m.querySelector("mjx-container"))
      .map(m => m.textContent.slice(0, 80)),
    raw,
    broken_images: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute("src")),
    images: images.length,
    links: [...document.querySelectorAll("a[href]")].map(a => a.href),
    ids: [...document.querySelectorAll("[id]")].map(e => e.id)
      .concat([...document.querySelectorAll("a[name]")].map(a => a.name)),
    next: (document.querySelector("a.right-next") || {}).href || null,
    lang: document.documentElement.lang,
  };
}"""


def inputs(root: Path = ROOT, settings: dict = CONFIG) -> list[Path]:
    """Every file the site is built from."""
    files = [p for p in WEBSITE.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    files += [root / settings["setup_cell"], ROOT / "tools" / "course" / "notebooks.py"]  # each set-up cell
    for language in settings["language"]:
        files += [root / path for _, path in builder.pages(language, root)]
    return files


@pytest.fixture(scope="module")
def site() -> Path:
    """build/site/ as `make site` made it, or made here when missing or older than what it is built from."""
    missing = [name for name in ("sphinx", "myst_nb", "sphinx_book_theme", "mathjax")
               if importlib.util.find_spec(name) is None]
    if missing:
        unavailable(f"the site's packages are not installed ({', '.join(missing)})",
                    "pip install -r requirements-site.txt")
    index = SITE / "index.html"
    if not index.exists() or index.stat().st_mtime < max(p.stat().st_mtime for p in inputs()):
        builder.build(SITE)
    return SITE


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """The folder over HTTP on 127.0.0.1 (as GitHub Pages serves it); yields the base address."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    path = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


class Offline:
    """A browser context where only base's pages load; everything else is blocked and recorded, as are errors."""

    def __init__(self, browser, base: str):
        self.base, self.blocked, self.errors = base, [], []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(f"{self.page.url}: {error}"))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"{self.page.url}: {m.text}"))

    def _route(self, route) -> None:
        if route.request.url.startswith(self.base + "/"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def open(self, path: str) -> dict:
        self.page.goto(f"{self.base}/{path}", wait_until="load")
        return self.page.evaluate(INSPECT)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def offline(site, browser):
    with serve(site) as base:
        view = Offline(browser, base)
        yield view
        view.close()


def html_pages(site: Path) -> list[str]:
    """Every page of the site but the redirects (index.html, which lead to each language's home page)."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if p.name != "index.html" and not {"_static", "_sources"} & set(p.relative_to(site).parts))


def notebook_pages(site: Path, language: dict = ENGLISH) -> list[str]:
    return [f"{language['code']}/{builder.docname(path)}.html" for key, path in builder.pages(language, ROOT)
            if key.startswith("notebook:")]


def setup_line() -> str:
    """The set-up cell's longest line of code: what a page would show if the cell were not hidden."""
    lines = (ROOT / CONFIG["setup_cell"]).read_text().splitlines()
    code = [line for line in lines if not line.lstrip().startswith("#")]
    return max(code, key=len).strip()


def local_target(base: str, site: Path, href: str) -> tuple[Path, str] | None:
    """(file, fragment) for a link into the site; None for a link elsewhere."""
    if not href.startswith(base + "/"):
        return None
    parts = urlsplit(href)
    path = site / unquote(parts.path).lstrip("/")
    return (path / "index.html" if href.endswith("/") or path.is_dir() else path), unquote(parts.fragment)


@pytest.mark.site
@pytest.mark.browser
def test_every_page_renders_offline(site, offline):
    """Maths typeset, images loaded, internal links and anchors resolving, no script error, no request elsewhere."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages, ids, links = html_pages(site), {}, []
    for path in pages:
        seen = offline.open(path)
        unrendered = seen["untypeset"] + seen["raw"]
        assert not unrendered, f"{path}: maths not rendered: {unrendered}"
        assert seen["math"] == 0 or seen["typeset"] > 0, path
        assert not seen["broken_images"], f"{path}: images that did not load: {seen['broken_images']}"
        ids[(site / path).resolve()] = set(seen["ids"])
        links += [(path, href) for href in seen["links"]]
        offline.page.screenshot(path=str(ARTIFACTS / (path.replace("/", "_").removesuffix(".html") + ".png")))
    assert sum(offline.open(p)["math"] for p in notebook_pages(site)[3:4]) > 0  # notebook 04 has maths
    broken = []
    for path, href in links:
        target = local_target(offline.base, site, href)
        if target is None:
            continue
        file, fragment = target
        if not file.is_file():
            broken.append(f"{path}: {href} (no such file)")
        elif fragment and file.suffix == ".html" and fragment not in ids.get(file.resolve(), set()):
            broken.append(f"{path}: {href} (no #{fragment} there)")
    assert not broken, "internal links that do not resolve:\n" + "\n".join(broken)
    assert not offline.errors, offline.errors
    assert not offline.blocked, f"requests to the network: {offline.blocked}"
    assert builder.external_resources(site) == []


@pytest.mark.site
@pytest.mark.browser
def test_home_leads_through_the_course(site, offline):
    """index.html leads to the course map, whose previous/next links visit every page in the sidebar's order."""
    offline.page.goto(f"{offline.base}/index.html")
    offline.page.wait_for_url(f"**/{ENGLISH['code']}/{builder.docname(ENGLISH['readme'])}.html")
    expected = [f"{ENGLISH['code']}/{builder.docname(path)}.html" for _, path in builder.pages(ENGLISH, ROOT)]
    sidebar = offline.page.eval_on_selector_all(".bd-sidebar-primary nav a.reference", "els => els.map(a => a.href)")
    assert [urlsplit(href).path.lstrip("/") for href in sidebar] == expected
    visited, path = [], expected[0]
    while path and len(visited) <= len(expected):
        visited.append(path)
        following = offline.open(path)["next"]
        path = urlsplit(following).path.lstrip("/") if following else None
    assert visited == expected
    assert not offline.blocked


@pytest.mark.site
@pytest.mark.browser
def test_notebook_pages_hide_the_setup_cell_and_fold_the_solutions(site, offline):
    import nbformat

    hidden = setup_line()
    total, learner_editions = 0, False
    for path in notebook_pages(site):
        name = Path(path).name.replace(".html", ".ipynb")
        committed = ROOT / ENGLISH["notebooks"] / name
        offline.open(path)
        page = offline.page
        assert page.locator("h1").count() >= 1, path
        assert hidden not in page.inner_text("body"), f"{path}: the Colab set-up cell is shown"

        row = page.locator(".launch-row")
        repo, branch, where = CONFIG["repository"], CONFIG["branch"], f"{ENGLISH['notebooks']}/{name}"
        assert row.locator("a.launch-colab").get_attribute("href") == \
            f"{CONFIG['colab']}/github/{repo}/blob/{branch}/{where}"
        assert row.locator("a.launch-binder").get_attribute("href") == \
            f"{CONFIG['binder']}/v2/gh/{repo}/{branch}?urlpath=lab/tree/{where}"
        download = local_target(offline.base, site, row.locator("a.launch-download").evaluate("a => a.href"))
        assert download and download[0].read_bytes() == committed.read_bytes()  # the committed notebook

        nb = nbformat.read(committed, as_version=4)
        expected = sum("worked-solution" in cell.metadata.get("tags", []) for cell in nb.cells)
        learner_editions |= any(cell.metadata.get("nbgrader", {}).get("solution") and "# YOUR CODE HERE" in cell.source
                                for cell in nb.cells)
        solutions = page.locator("details.worked-solution")
        assert solutions.count() == expected, path
        total += expected
        for i in range(expected):
            solution = solutions.nth(i)
            code = solution.locator("div.highlight pre")
            assert solution.evaluate("d => d.open") is False
            assert code.count() >= 1 and not code.first.is_visible(), f"{path}: solution {i + 1} shows before a click"
            if i == 0:
                solution.scroll_into_view_if_needed()
                page.screenshot(path=str(ARTIFACTS / f"{name[:2]}-solution-closed.png"))
            solution.locator("summary").click()
            assert solution.evaluate("d => d.open") is True
            assert code.first.is_visible(), f"{path}: solution {i + 1} stays hidden after a click"
            assert code.first.locator("span").count() > 0  # highlighted by Pygments
            if i == 0:
                page.screenshot(path=str(ARTIFACTS / f"{name[:2]}-solution-open.png"))
    if learner_editions:  # notebooks from before the learner edition have their solutions in the answer cells
        assert total > 0, "no worked solution on any notebook page"
    assert not offline.errors and not offline.blocked


@pytest.mark.site
@pytest.mark.browser
def test_search_finds_the_spectral_radius_on_notebook_04(site, offline):
    """Typed into the sidebar's search field, as a reader would."""
    offline.open(f"{ENGLISH['code']}/{builder.docname(ENGLISH['readme'])}.html")
    page = offline.page
    page.locator(".bd-sidebar-primary .search-button-field").first.click()
    field = page.locator("#pst-search-dialog input[name=q]")
    field.fill("spectral radius")
    field.press("Enter")
    page.wait_for_url("**/search.html?q=*")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=30_000)
    hrefs = results.evaluate_all("els => els.map(a => a.getAttribute('href'))")
    page.locator("#search-results p.context").first.wait_for()
    page.wait_for_function(  # the summaries' maths typeset too, as on the pages they come from
        r"""() => [...document.querySelectorAll('#search-results p.context')]
                  .every(p => !/\\[\(\[]/.test(p.innerText))""", timeout=20_000)
    assert not offline.page.evaluate(INSPECT)["raw"]
    page.screenshot(path=str(ARTIFACTS / "search-spectral-radius.png"))
    notebook_04 = [p for p in notebook_pages(site) if Path(p).name.startswith("04_")]
    assert notebook_04 and any(Path(notebook_04[0]).name in href for href in hrefs), hrefs
    assert not offline.blocked


def fake_second_language(tmp: Path) -> tuple[Path, dict]:
    """A repository with notebook 04 in English and a pretend translation in zh-CN (its title changed), each
    language with its README, and a teacher's guide in English only; returns (root, settings)."""
    root = tmp / "repo"
    notebook = sorted((ROOT / ENGLISH["notebooks"]).glob("04_*.ipynb"))[0]
    (root / "notebooks" / "zh-CN").mkdir(parents=True)
    (root / "notebooks" / "src").mkdir()
    shutil.copy2(ROOT / CONFIG["setup_cell"], root / CONFIG["setup_cell"])
    shutil.copy2(notebook, root / "notebooks" / notebook.name)
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and re.search(r"^# ", text, re.MULTILINE):
            cell["source"] = re.sub(r"^# .*$", "# 04 · 梯度（测试用的第二语言）", text, count=1, flags=re.MULTILINE)
            break
    (root / "notebooks" / "zh-CN" / notebook.name).write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    (root / "README.md").write_text(f"# The course\n\n- [Notebook 04](notebooks/{notebook.name})\n")
    (root / "README.zh-CN.md").write_text(f"# 课程\n\n- [第 04 课](notebooks/zh-CN/{notebook.name})\n",
                                          encoding="utf-8")
    (root / "notebooks" / "TEACHERS.md").write_text("# Teacher's guide\n\nIn English only, for now.\n")
    english = {**ENGLISH, "pages": []}
    chinese = {**ENGLISH, "code": "zh-CN", "name": "简体中文", "sphinx": "zh_CN", "title": "课程",
               "readme": "README.zh-CN.md", "notebooks": "notebooks/zh-CN", "teachers": "", "pages": []}
    return root, {**CONFIG, "language": [english, chinese]}


@pytest.mark.site
@pytest.mark.browser
def test_language_switch_links_each_page_to_its_twin(site, browser, tmp_path):
    """Two languages from one configuration: one site, each page's switch leading to the same page in the other."""
    root, settings = fake_second_language(tmp_path)
    out = builder.build(tmp_path / "site", settings, root)
    nb = sorted((root / "notebooks").glob("04_*.ipynb"))[0].stem
    assert (out / "en" / "notebooks" / f"{nb}.html").is_file()
    assert (out / "zh-CN" / "notebooks" / "zh-CN" / f"{nb}.html").is_file()
    twins = [(f"en/notebooks/{nb}.html", f"zh-CN/notebooks/zh-CN/{nb}.html"),
             ("en/README.html", "zh-CN/README.zh-CN.html"),
             ("en/notebooks/TEACHERS.html", "zh-CN/README.zh-CN.html")]  # no Chinese guide: its home page
    with serve(out) as base:
        view = Offline(browser, base)
        try:
            for english, chinese in twins:
                assert view.open(english)["lang"] == "en"
                view.page.locator(".language-switch a[hreflang='zh-CN']").click()
                view.page.wait_for_url(f"{base}/{chinese}")
                assert view.page.evaluate(INSPECT)["lang"] == "zh-CN"
                if english.endswith(f"{nb}.html"):
                    assert "梯度" in view.page.locator("h1").first.inner_text()
                    view.page.screenshot(path=str(ARTIFACTS / "language-switch-zh-CN.png"))
                    view.page.locator(".language-switch a[hreflang='en']").click()
                    view.page.wait_for_url(f"{base}/{english}")
            view.page.goto(f"{base}/zh-CN/search.html?q={quote('梯度')}")  # Chinese words indexed (jieba)
            results = view.page.locator("#search-results ul.search li a")
            results.first.wait_for(timeout=30_000)
            assert any(nb in href for href in results.evaluate_all("els => els.map(a => a.href)"))
            assert not view.blocked and not view.errors, view.blocked + view.errors
        finally:
            view.close()
    assert builder.external_resources(out) == []


# ------------------------------------------------------------------------------------ publishing (no browser)

def test_pages_workflow_publishes_what_ci_tests():
    """The GitHub Pages workflow runs exactly the make target that CI builds and tests, and deploys its output."""
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "site.yml").read_text())
    steps = [step for job in workflow["jobs"].values() for step in job.get("steps", [])]
    runs = [step["run"] for step in steps if "run" in step]
    make_targets = [line.split()[1] for run in runs for line in run.splitlines() if line.strip().startswith("make ")]
    ci = _load("website_ci", ROOT / "tools" / "ci.py")
    commands = [command for stream in ci.streams("make", "python") for _, command, _ in stream]
    ci_targets = [c[-1] for c in commands if c[0] == "make" and c[-1] == "site"]
    assert make_targets == ["site"] and ci_targets == ["site"]
    assert any("requirements-site.txt" in run for run in runs)
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert {"actions/checkout", "actions/setup-python", "actions/upload-pages-artifact",
            "actions/deploy-pages"} <= set(uses)
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == SITE.relative_to(ROOT).as_posix()
    assert workflow["permissions"]["pages"] == "write" and workflow["permissions"]["id-token"] == "write"
    assert any(c[-1] == "tests/test_site.py" or "tests/test_site.py" in c for c in commands)


def test_makefile_and_readme_describe_the_site():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^site:\n\t\$\(PY\) tools/website/build\.py$", makefile, re.MULTILINE)
    readme = (ROOT / "README.md").read_text()
    assert "make site" in readme and CONFIG["url"] in readme
    assert "-r requirements-site.txt" in (ROOT / "requirements-test.txt").read_text()
    assert not re.search(r"sphinx|myst", (ROOT / "requirements.txt").read_text(), re.IGNORECASE)
