"""A reveal.js deck per committed notebook: nbconvert's SlidesExporter after the SlideDeck preprocessor."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor

from . import cells
from .notebooks import ROOT, SETUP_TEMPLATE, setup_cells

MAX_OUTPUT_LINES = 15
HEADING = re.compile(r"^(#{1,3}) \S")
SLIDE_TYPE = {1: "slide", 2: "slide", 3: "subslide"}
CACHE = ROOT / "build" / "cache"
# Offline slides: the files nbconvert's template loads from CDNs by default, from the npm registry (package spec,
# and the parts of the package the decks need; None: all of it).
VENDOR = {"reveal.js": ("reveal.js@4", None), "requirejs": ("requirejs@2", None), "jquery": ("jquery@3", None),
          "mathjax": ("mathjax@2", ("MathJax.js", "LICENSE", "config/TeX-AMS_CHTML-full.js", "config/Safe.js",
                                    "extensions/", "jax/input/TeX/", "jax/element/", "jax/output/CommonHTML/",
                                    "fonts/HTML-CSS/TeX/woff/", "localization/en/"))}


def split_at_headings(source: str) -> list[str]:
    """Markdown split before every #, ## or ### heading (outside code fences), so each heading starts a cell."""
    chunks, current, fenced = [], [], False
    for line in source.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and HEADING.match(line) and any(s.strip() for s in current):
            chunks.append("\n".join(current).strip("\n"))
            current = []
        current.append(line)
    chunks.append("\n".join(current).strip("\n"))
    return [c for c in chunks if c.strip()]


def cut(text) -> str:
    """Text cut to MAX_OUTPUT_LINES lines, saying how many more the notebook has."""
    text = "".join(text) if isinstance(text, list) else text
    lines = text.splitlines()
    if len(lines) <= MAX_OUTPUT_LINES:
        return text
    kept = MAX_OUTPUT_LINES - 1
    return "\n".join([*lines[:kept], f"⋯ {len(lines) - kept} more lines in the notebook"]) + "\n"


def short_outputs(outputs: list) -> list:
    """Outputs fit for a slide: long text cut to its first lines, widgets and long HTML tables left out."""
    kept = []
    for output in copy.deepcopy(outputs):
        kind = output.get("output_type")
        if kind == "stream":
            output["text"] = cut(output.get("text", ""))
        elif kind in {"execute_result", "display_data"}:
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                continue  # a live control: nothing to show on a static slide
            if "text/html" in data and len(re.findall(r"<tr\b", str(data["text/html"]))) > MAX_OUTPUT_LINES:
                data.pop("text/html")
            if "text/plain" in data:
                data["text/plain"] = cut(data["text/plain"])
            if not data:
                continue
        elif kind == "error":
            continue
        kept.append(output)
    return kept


class SlideDeck(Preprocessor):
    """Slide metadata: # and ## headings start slides, ### sub-slides; the set-up cell, answer cells and worked
    solutions skipped; check outputs dropped and long outputs shortened. A cell's own `slideshow` metadata wins."""

    def preprocess(self, nb, resources):
        setup = resources.get("setup_cell", setup_cells() if SETUP_TEMPLATE.exists() else [])
        setups = {code.strip() for code in ([setup] if isinstance(setup, str) else setup)}  # one cell or several
        nb.metadata.pop("widgets", None)
        deck = []
        for cell in nb.cells:
            explicit = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
            if cell.cell_type == "code":
                cell.outputs = [] if cells.is_check(cell) else short_outputs(cell.get("outputs", []))
            if explicit:
                deck.append(cell)
            elif (cells.is_answer(cell) or cells.is_worked_solution(cell)
                  or (cell.cell_type == "code" and cell.source.strip() in setups)):
                cell.metadata["slideshow"] = {"slide_type": "skip"}
                deck.append(cell)
            elif cell.cell_type == "markdown":
                for i, chunk in enumerate(split_at_headings(cell.source)):
                    part = cell if i == 0 else nbformat.v4.new_markdown_cell(chunk)
                    part.source = chunk
                    heading = HEADING.match(chunk)
                    part.metadata["slideshow"] = {"slide_type": SLIDE_TYPE[len(heading.group(1))] if heading else "-"}
                    deck.append(part)
            else:
                cell.metadata["slideshow"] = {"slide_type": "-"}
                deck.append(cell)
        nb.cells = deck
        return nb, resources


def vendor_reveal(out_dir: Path, cache: Path = CACHE) -> dict[str, str]:
    """Put reveal.js, require.js, jQuery and MathJax beside the decks (npm pack, cached in build/cache) and return
    the nbconvert settings that point at them, so the decks work without a network."""
    npm = shutil.which("npm")
    cache.mkdir(parents=True, exist_ok=True)
    for name, (spec, needed) in VENDOR.items():
        target = out_dir / "vendor" / name
        if target.exists():
            continue
        packed = sorted(cache.glob(f"{name}-[0-9]*.tgz"))
        if not packed:
            if not npm:
                raise SystemExit(f"offline slides need npm (to fetch {spec} from the npm registry) or {name}-*.tgz "
                                 f"in {cache}; without --offline the decks load reveal.js from a CDN")
            subprocess.run([npm, "pack", spec, "--silent"], cwd=cache, check=True, capture_output=True, timeout=600)
            packed = sorted(cache.glob(f"{name}-[0-9]*.tgz"))
        with tarfile.open(packed[-1]) as archive, tempfile.TemporaryDirectory(dir=out_dir) as tmp:
            members = [m for m in archive.getmembers()
                       if needed is None or any(m.name.startswith(f"package/{part}") for part in needed)]
            if hasattr(tarfile, "data_filter"):
                archive.extractall(tmp, members=members, filter="data")
            else:  # a Python without tarfile filters; the archive comes from the npm registry
                archive.extractall(tmp, members=members)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(Path(tmp) / "package"), target)
    return {"reveal_url_prefix": "vendor/reveal.js", "require_js_url": "vendor/requirejs/require.js",
            "jquery_url": "vendor/jquery/dist/jquery.min.js",
            "mathjax_url": "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"}


def write_slides(notebooks: list[Path], out_dir: Path, offline: bool = False) -> list[Path]:
    """Write one reveal.js deck per notebook (its committed outputs) as out_dir/NN_name.slides.html."""
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = {"reveal_scroll": True, "reveal_theme": "white", "reveal_number": "c/t",
                "exclude_input_prompt": True, "exclude_output_prompt": True}
    if offline:
        settings.update(vendor_reveal(out_dir))
    # As a configured preprocessor it runs before the reveal template's own, which reads the slide metadata.
    exporter = SlidesExporter(config=Config({"SlidesExporter": {**settings, "preprocessors": [SlideDeck]}}))
    written = []
    for path in notebooks:
        body, _ = exporter.from_notebook_node(nbformat.read(path, as_version=4),
                                              resources={"metadata": {"name": Path(path).stem}})
        target = out_dir / f"{Path(path).stem}.slides.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written
