"""The Sphinx extension of the course website: what makes a committed learner-edition notebook a web page.

- the Colab set-up cell is hidden: the first code cell whose code (comments aside) is a notebook's set-up cell, as
  the build makes it from notebooks/src/setup_cell.py (tools/course/notebooks.py), gets MyST-NB's `remove-cell`
  tag as the notebook is read; the notebook file itself, which the page offers for download, is the committed one;
- a widget output (a lab's control panel) becomes a note that says where to run it (a static page cannot);
- raw HTML anchors (`<a id="s2"></a>`, as notebook 02 uses for its sections) become targets, so `[§2](#s2)` resolves;
- links to repository files that are not pages of the site (`tools/run_notebooks.py`) point at them on GitHub;
- images must be local (the site works offline): the Colab and Binder badges are replaced by local copies, any
  other remote image is a warning, so an error under `-W`;
- a launch row under each notebook's title (Colab, Binder, the .ipynb), the table of contents appended to the
  home page, and the language switch's links in every page's context.
The worked solutions need almost nothing: the learner edition folds each in <details>, which MyST passes through as
HTML around the solution's highlighted code block, so it stays closed until its summary is clicked; it only gets
the class worked-solution.
"""

from __future__ import annotations

import html
import io
import json
import re
import tokenize
from pathlib import Path, PurePosixPath

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

WIDGET = "application/vnd.jupyter.widget-view+json"
WORKED = "worked-solution"  # the tag of a learner edition's folded solution cells (tools/course/cells.py)
UNCLASSED_DETAILS = re.compile(r"<details(?![^>]*\bclass=)")
ANCHOR = re.compile(r"""^<a\s+(?:id|name)=["']([^"']+)["']\s*>\s*(</a>)?$""")
BADGES = {"https://colab.research.google.com/assets/colab-badge.svg": "colab-badge.svg",
          "https://mybinder.org/badge_logo.svg": "binder-badge.svg",
          "https://mybinder.org/badge.svg": "binder-badge.svg"}
BADGE_DIR = "_site"  # in the staged sources (build.py copies the badges there)


def code_tokens(source: str) -> list[tuple[int, str]] | None:
    """The code's tokens without comments and line breaks (so a translated comment still matches), or None."""
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENCODING, tokenize.ENDMARKER}
    try:
        return [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(source).readline)
                if t.type not in skip]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None


def cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def prepare_notebook(text: str, setup_codes: list[str] | str, widget_note: str, where: str) -> str:
    """The notebook's JSON with its set-up cell (one of `setup_codes`, the notebooks' set-up cells) tagged
    `remove-cell`, its worked solutions' <details> given the class worked-solution (for the style sheet and the
    test) and widget outputs replaced by a note."""
    nb = json.loads(text)
    wanted = [code_tokens(code) for code in ([setup_codes] if isinstance(setup_codes, str) else setup_codes)]
    code_cells = [cell for cell in nb.get("cells", []) if cell.get("cell_type") == "code"]
    if code_cells and code_tokens(cell_source(code_cells[0])) in wanted:
        tags = code_cells[0].setdefault("metadata", {}).setdefault("tags", [])
        if "remove-cell" not in tags:
            tags.append("remove-cell")
    else:
        logger.warning("%s: its first code cell is not the Colab set-up cell (%s), so it is not hidden",
                       where, "notebooks/src/setup_cell.py", type="course", subtype="setup-cell")
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown" and WORKED in cell.get("metadata", {}).get("tags", []):
            cell["source"] = UNCLASSED_DETAILS.sub('<details class="worked-solution"', cell_source(cell), count=1)
    note = f'<p class="widget-note">{html.escape(widget_note)}</p>'
    for cell in code_cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET in data:
                output["data"] = {"text/html": note}
    nb.get("metadata", {}).pop("widgets", None)  # no widget state: nothing for a widget manager to load
    return json.dumps(nb)


def toctree(caption: str, docnames: list[str]) -> str:
    entries = "\n".join(docnames)
    return f"\n\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n{entries}\n```\n"


def on_source_read(app, docname: str, source: list[str]) -> None:
    site = app.config.course_site
    language = site["language"]
    if app.env.doc2path(docname).suffix == ".ipynb":
        source[0] = prepare_notebook(source[0], site["setup_codes"], language["widget_note"], docname)
    if docname == language["home"]:
        captions = language["captions"]
        source[0] += toctree(captions["notebooks"], language["toc"]["notebooks"])
        if language["toc"]["more"]:
            source[0] += toctree(captions["more"], language["toc"]["more"])


class HtmlAnchors(SphinxTransform):
    """`<a id="x"></a>` written as HTML in markdown becomes a docutils target, so `[text](#x)` links resolve.

    Implicit targets: they resolve inside their page (MyST's local-anchor fallback) and never clash with the
    same anchor name in another page."""

    default_priority = 200  # before docutils' PropagateTargets (260), which moves the id onto the next section

    def apply(self, **kwargs) -> None:
        for raw in list(self.document.findall(nodes.raw)):
            if "html" not in raw.get("format", "").split():
                continue
            match = ANCHOR.match(raw.astext().strip())
            if not match:
                continue
            target = nodes.target("", "", names=[match.group(1)])
            self.document.note_implicit_target(target, target)
            following = raw.next_node(descend=False, siblings=True)
            if not match.group(2) and isinstance(following, nodes.raw) and following.astext().strip() == "</a>":
                following.parent.remove(following)
            raw.replace_self(target)
        for paragraph in list(self.document.findall(nodes.paragraph)):
            if paragraph.children and all(isinstance(child, nodes.target) for child in paragraph.children):
                paragraph.replace_self(paragraph.children)  # an anchor on a line of its own: no empty paragraph


class LocalImages(SphinxTransform):
    """Known badges from their local copies (a notebook's own Colab badge is left out: the launch row has it);
    any other remote image is a warning, so an error: the site must work offline."""

    default_priority = 210

    def apply(self, **kwargs) -> None:
        notebook = self.env.doc2path(self.env.docname).suffix == ".ipynb"
        for image in list(self.document.findall(nodes.image)):
            uri = image.get("uri", "")
            if "://" not in uri:
                continue
            paragraph = image.parent.parent if isinstance(image.parent, nodes.reference) else image.parent
            if (notebook and BADGES.get(uri) == "colab-badge.svg" and isinstance(paragraph, nodes.paragraph)
                    and not any(text.strip() for text in paragraph.findall(nodes.Text))
                    and len(list(paragraph.findall(nodes.image))) == 1):
                paragraph.parent.remove(paragraph)  # a notebook's own Colab badge: the launch row has the link
            elif uri in BADGES:
                image["uri"] = f"/{BADGE_DIR}/{BADGES[uri]}"
                image.attributes.pop("candidates", None)
            else:
                logger.warning("remote image %s: the site must work offline, so put the image in the repository",
                               uri, location=image, type="course", subtype="remote-image")


class RepositoryLinks(SphinxTransform):
    """A link to a repository file or folder that is not a page of the site points at it on GitHub."""

    default_priority = 220

    def apply(self, **kwargs) -> None:
        site = self.config.course_site
        root = Path(site["root"]).resolve()
        docdir = PurePosixPath(self.env.docname).parent
        for xref in list(self.document.findall(addnodes.pending_xref)):
            if xref.get("reftype") != "myst" or xref.get("refdomain") == "doc":
                continue
            target = str(xref.get("reftarget", ""))
            path, _, fragment = target.partition("#")
            if not path or "://" in path:
                continue
            found = (root / docdir / path).resolve()
            if not found.is_relative_to(root) or not found.exists():
                continue
            relative = found.relative_to(root).as_posix()
            kind = "tree" if found.is_dir() else "blob"
            uri = f"https://github.com/{site['repository']}/{kind}/{site['branch']}/{relative}"
            reference = nodes.reference("", "", *xref.children, refuri=uri + (f"#{fragment}" if fragment else ""),
                                        internal=False)
            reference["classes"].append("external")
            xref.replace_self(reference)


def launch_row(site: dict, docname: str) -> str:
    """The links under a notebook's title: Colab and Binder on the published repository, the .ipynb from here."""
    words = {key: html.escape(text) for key, text in site["language"]["launch"].items()}
    path = f"{docname}.ipynb"
    name = html.escape(PurePosixPath(path).name)
    colab = html.escape(f"{site['colab']}/github/{site['repository']}/blob/{site['branch']}/{path}")
    binder = html.escape(f"{site['binder']}/v2/gh/{site['repository']}/{site['branch']}?urlpath=lab/tree/{path}")
    up = "../" * docname.count("/")
    icons = f"{up}_static/images"  # the book theme's own logos
    return (f'<div class="launch-row">'
            f'<a class="launch-colab" href="{colab}">'
            f'<img src="{icons}/logo_colab.png" alt="" aria-hidden="true"> {words["colab"]}</a>'
            f'<a class="launch-binder" href="{binder}">'
            f'<img src="{icons}/logo_binder.svg" alt="" aria-hidden="true"> {words["binder"]}</a>'
            f'<a class="launch-download" href="{html.escape(up)}_sources/{html.escape(path)}" download="{name}">'
            f'<i class="fa-solid fa-download" aria-hidden="true"></i>'
            f'<span>{words["download"]} <code>{name}</code></span></a></div>')


def on_doctree_resolved(app, doctree, docname: str) -> None:
    if app.builder.format != "html" or app.env.doc2path(docname).suffix != ".ipynb":
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not isinstance(section[0], nodes.title):
        logger.warning("%s: a notebook needs a # title", docname, type="course", subtype="title")
        return
    section.insert(1, nodes.raw("", launch_row(app.config.course_site, docname), format="html"))


def on_html_page_context(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    """The language switch: for each language, the link to this page's twin there (or to its home page). The
    search page gets MathJax (as pages with maths do) and course-search.js, to typeset the results' summaries."""
    if pagename == "search" and app.builder.format == "html":
        if app.config.mathjax3_config:
            app.add_js_file(None, body=f"window.MathJax = {json.dumps(app.config.mathjax3_config)}")
        app.add_js_file(app.config.mathjax_path, defer="defer")
        app.add_js_file("course-search.js")
    site = app.config.course_site
    code = site["language"]["code"]
    key = site["keys"].get(pagename)
    up = "../" * (pagename.count("/") + 1)
    links = []
    for language in site["languages"]:
        twin = language["twins"].get(key, language["home"]) if key else language["home"]
        href = "#" if language["code"] == code else f"{up}{language['code']}/{twin}.html"
        links.append({"code": language["code"], "name": language["name"], "href": href,
                      "current": language["code"] == code})
    context["course_languages"] = links if len(links) > 1 else []


def on_build_finished(app, exception) -> None:
    """Sphinx 9.0 names a stemmer its language_data.js lacks for some languages (Chinese: `window.Stemmer =
    ChineseStemmer`, while the file defines the English stemmer that its Python side uses for Latin words): point
    it at the stemmer the file does define, or every page of that language raises a script error."""
    path = Path(app.outdir) / "_static" / "language_data.js"
    if exception or not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    named = re.search(r"window\.Stemmer = (\w+);", text)
    defined = re.findall(r"\b(?:var|let|const)\s+(\w+Stemmer)\s*=", text)
    if named and named.group(1) not in defined and named.group(1) != "BaseStemmer" and defined:
        path.write_text(text.replace(named.group(0), f"window.Stemmer = {defined[-1]};"), encoding="utf-8")


def setup(app):
    app.add_config_value("course_site", {}, "env")
    app.connect("source-read", on_source_read)
    app.add_transform(HtmlAnchors)
    app.add_transform(LocalImages)
    app.add_transform(RepositoryLinks)
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("html-page-context", on_html_page_context)
    app.connect("build-finished", on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
