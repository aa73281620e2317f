"""Sphinx configuration of the course website, for one language; tools/website/build.py runs it once per language
with $COURSE_SITE naming the JSON it wrote (the language, its pages, the other languages' twins)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

course_site = json.loads(Path(os.environ["COURSE_SITE"]).read_text(encoding="utf-8"))
_language = course_site["language"]


def _jieba() -> None:
    """Sphinx splits Chinese text into words for the search index with jieba; without it none would be indexed."""
    import logging

    try:
        import jieba
    except ImportError:
        raise SystemExit("a Chinese edition's search needs jieba: pip install -r requirements-site.txt") from None
    jieba.setLogLevel(logging.WARNING)


if _language["sphinx"].startswith("zh"):
    _jieba()

project = _language["title"]
author = "the course's authors"
copyright = "the course's authors (MIT licence)"
language = _language["sphinx"]
root_doc = _language["home"]
extensions = ["myst_nb", "sphinx.ext.mathjax", "course_site"]
templates_path = [str(HERE / "_templates")]
exclude_patterns = ["_site"]
# Notebooks are written for Jupyter, where a heading may skip a level (# title, then ### What you will learn).
suppress_warnings = ["myst.header"]

# Markdown: GitHub-style heading anchors (`#set-up-two-commands`), $…$ maths as in Jupyter.
myst_enable_extensions = ["dollarmath", "amsmath", "strikethrough"]
myst_heading_anchors = 4
# The committed outputs, never re-executed; no widget manager (it loads from a CDN; widgets become a note).
nb_execution_mode = "off"
nb_ipywidgets_js = {}
nb_merge_streams = True
# A check cell's output is the check's one-line message (○ not answered yet, ✘ wrong): plain text, not a traceback.
nb_render_error_lexer = "text"

# Maths: MathJax 3 from the site itself (build.py copies it from the django-static-mathjax wheel).
mathjax_path = "mathjax/tex-chtml.js"  # its fonts and extensions load from beside it

html_theme = "sphinx_book_theme"
html_title = _language["title"]
html_static_path = [str(HERE / "_static"), course_site["vendor"]]
html_css_files = ["course-site.css"]
html_sourcelink_suffix = ""  # _sources/notebooks/NN_name.ipynb is the committed notebook, for download
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": f"https://github.com/{course_site['repository']}",
    "repository_branch": course_site["branch"],
    "path_to_docs": "",
    "use_repository_button": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "article_header_end": ["language-switch.html", "article-header-buttons.html"],
    "navigation_with_keys": False,
    "navbar_persistent": [],  # search lives in the sidebar (the book theme leaves the top bar empty)
}
html_context = {"default_mode": "light"}
