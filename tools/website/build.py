"""`make site`: the course as a static website in build/site/, from the committed notebooks (never re-executed).

    python tools/website/build.py [--out build/site] [--config tools/website/site.toml] [--root .]

For each language in site.toml, its pages (the README as the home page, the NN_name.ipynb notebooks, the teacher's
guide, further pages) are copied at their repository paths into a staging folder beside the output, and Sphinx
builds them with MyST-NB and the book theme (tools/website/conf.py and course_site.py) into OUT/<code>/, warnings
as errors; several languages build side by side. OUT/index.html then leads to the first language's home page.
Offline and self-contained: MathJax is copied from the django-static-mathjax wheel, the fonts, scripts and search
come with the theme and Sphinx, and a page that would load anything from the network fails the build.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the site's packages (requirements-site.txt) need 3.11 too
    raise SystemExit("make site needs Python 3.11 or newer") from None

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))  # tools/: the course package, which writes each notebook's set-up cell
from course.notebooks import setup_cells  # noqa: E402

CONFIG = HERE / "site.toml"
OUT = ROOT / "build" / "site"
NOTEBOOK = re.compile(r"\d\d_\w+\.ipynb$")
# The parts of MathJax 3 that the pages use: the TeX-to-HTML component, the TeX extensions it loads on demand, its
# fonts, and the menu's accessibility tools.
MATHJAX_PARTS = ("tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y",
                 "sre/mathmaps/base.json", "sre/mathmaps/en.json")
# What a page must never load: a resource from another host (scripts, styles, fonts, images, frames) ...
REMOTE_RESOURCE = re.compile(
    r"""<(?:script|img|iframe|source|audio|video|embed|track)\b[^>]*\s(?:src|srcset|data)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|<link\b(?![^>]*rel=["']?(?:canonical|alternate))[^>]*\shref\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//|@import\s+["']\s*(?:https?:)?//""", re.IGNORECASE)
# ... nor name a CDN anywhere.
CDN_HOSTS = ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "fonts.googleapis.com", "fonts.gstatic.com",
             "code.jquery.com", "ajax.googleapis.com", "cdn.mathjax.org", "polyfill.io", "stackpath.bootstrapcdn.com")


def check_packages() -> None:
    missing = [name for name in ("sphinx", "myst_nb", "sphinx_book_theme") if importlib.util.find_spec(name) is None]
    if missing:
        raise SystemExit(f"make site needs {', '.join(missing)}: pip install -r requirements-site.txt")


def load_config(path: Path = CONFIG) -> dict:
    return tomllib.loads(Path(path).read_text(encoding="utf-8"))


def pages(language: dict, root: Path) -> list[tuple[str, str]]:
    """(twin key, repository path) of each page of a language, in the site's order; missing files are an error."""
    folder = root / language["notebooks"]
    notebooks = sorted(p for p in folder.glob("*.ipynb") if NOTEBOOK.match(p.name))
    if not notebooks:
        raise SystemExit(f"{language['code']}: no NN_name.ipynb notebooks in {folder}")
    found = [("home", language["readme"])]
    found += [(f"notebook:{p.name}", p.relative_to(root).as_posix()) for p in notebooks]
    found += [("teachers", language["teachers"])] if language.get("teachers") else []
    found += [(f"page:{i}", page) for i, page in enumerate(language.get("pages", []))]
    for _, path in found:
        if not (root / path).is_file():
            raise SystemExit(f"{language['code']}: {path} is in {CONFIG.name} but not in {root}")
    return found


def docname(path: str) -> str:
    return path.rsplit(".", 1)[0]


def mathjax_source() -> Path:
    """MathJax 3's ready-to-use components, as the django-static-mathjax wheel installs them."""
    spec = importlib.util.find_spec("mathjax")
    folder = Path(spec.origin).parent / "static" / "mathjax" if spec and spec.origin else None
    if folder is None or not (folder / "es5" / "tex-chtml.js").is_file():
        raise SystemExit("MathJax not found: pip install -r requirements-site.txt (django-static-mathjax)")
    return folder


def vendor(target: Path) -> Path:
    """A folder for html_static_path with mathjax/ in it: the parts of MathJax the pages use, and its licence."""
    source = mathjax_source()
    mathjax = target / "mathjax"
    if not (mathjax / "tex-chtml.js").is_file():
        shutil.rmtree(target, ignore_errors=True)
        for part in MATHJAX_PARTS:
            origin = source / "es5" / part
            if origin.is_dir():
                shutil.copytree(origin, mathjax / part)
            else:
                (mathjax / part).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, mathjax / part)
        shutil.copy2(source / "LICENSE", mathjax / "LICENSE")
    return target


def stage(found: list[tuple[str, str]], root: Path, src: Path) -> None:
    """Copy a language's pages into src/ at their repository paths (so their relative links still hold)."""
    shutil.rmtree(src, ignore_errors=True)
    for _, path in found:
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / path, src / path)
    badges = src / "_site"
    badges.mkdir(parents=True)
    for badge in ("colab-badge.svg", "binder-badge.svg"):
        shutil.copy2(HERE / "_static" / badge, badges / badge)


def external_resources(out: Path) -> list[str]:
    """'page: what' for every generated page or style sheet that would load something from the network."""
    problems = []
    for path in sorted([*out.rglob("*.html"), *out.rglob("*.css")]):
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(out).as_posix()
        problems += [f"{where}: {m.group(0)[:120]}" for m in REMOTE_RESOURCE.finditer(text)]
        problems += [f"{where}: names {host}" for host in CDN_HOSTS if host in text]
    return problems


def redirect(target: str) -> str:
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Redirecting</title>'
            f'<meta http-equiv="refresh" content="0; url={target}"><link rel="canonical" href="{target}"></head>'
            f'<body><a href="{target}">{target}</a></body></html>\n')


def build(out: Path = OUT, config: Path | dict = CONFIG, root: Path = ROOT, jobs: str | None = None) -> Path:
    """Build every language of the site (config: site.toml's path or its settings) into out/; returns out.
    Raises SystemExit on a warning or an error."""
    check_packages()
    out, root = Path(out).resolve(), Path(root).resolve()
    settings = config if isinstance(config, dict) else load_config(config)
    languages = settings["language"]
    work = out.parent / f"{out.name}-work"
    vendored = vendor(work / "vendor")
    setup_codes = setup_cells((root / settings["setup_cell"]).read_text(encoding="utf-8"))  # each notebook's
    found = {lang["code"]: pages(lang, root) for lang in languages}
    twins = [{"code": lang["code"], "name": lang["name"], "home": docname(lang["readme"]),
              "twins": {key: docname(path) for key, path in found[lang["code"]]}} for lang in languages]
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    running = []
    for lang in languages:
        code = lang["code"]
        src, doctrees = work / code / "src", work / code / "doctrees"
        stage(found[code], root, src)
        shutil.rmtree(doctrees, ignore_errors=True)
        docs = [(key, docname(path)) for key, path in found[code]]
        info = {**{k: v for k, v in settings.items() if k != "language"}, "root": str(root), "vendor": str(vendored),
                "setup_codes": setup_codes, "languages": twins, "keys": {doc: key for key, doc in docs},
                "language": {**lang, "home": docname(lang["readme"]),
                             "toc": {"notebooks": [d for k, d in docs if k.startswith("notebook:")],
                                     "more": [d for k, d in docs if k == "teachers" or k.startswith("page:")]}}}
        (work / code / "site.json").write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
        command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-c", str(HERE),
                   "-d", str(doctrees), *(["-j", jobs] if jobs else []), str(src), str(out / code)]
        log = (work / code / "sphinx.log").open("w+", encoding="utf-8")
        env = {**os.environ, "COURSE_SITE": str(work / code / "site.json"), "PYTHONWARNINGS": "ignore"}
        running.append((code, subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env), log))
    failed = []
    for code, process, log in running:
        process.wait()
        log.seek(0)
        text = log.read()
        log.close()
        if text.strip():
            print(f"--- {code}: Sphinx says\n{text.rstrip()}", file=sys.stderr)
        if process.returncode:
            failed.append(code)
    if failed:
        raise SystemExit(f"the site did not build ({', '.join(failed)}): see the warnings above")
    for lang in languages:
        home = docname(lang["readme"])
        if home != "index":
            (out / lang["code"] / "index.html").write_text(redirect(f"{home}.html"), encoding="utf-8")
    (out / "index.html").write_text(redirect(f"{languages[0]['code']}/{docname(languages[0]['readme'])}.html"),
                                    encoding="utf-8")
    # The theme's source maps (for its developers: a third of the site's size) and template macros (not pages).
    for leftover in [*out.rglob("*.map"), *out.glob("*/_static/*.html")]:
        leftover.unlink()
    (out / ".nojekyll").write_text("")  # GitHub Pages: serve _static/ and _sources/ as they are
    problems = external_resources(out)
    if problems:
        raise SystemExit("pages that would load from the network (the site must work offline):\n  "
                         + "\n  ".join(problems[:20]))
    return out


def size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository whose files the site shows")
    parser.add_argument("-j", "--jobs", help="Sphinx's parallel jobs per language (default: one)")
    args = parser.parse_args()
    started, cpu = time.monotonic(), os.times()
    out = build(args.out, args.config, args.root, args.jobs)
    ended = os.times()
    cpu_s = (ended.user + ended.system + ended.children_user + ended.children_system
             - cpu.user - cpu.system - cpu.children_user - cpu.children_system)
    count, total = size(out)
    where = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    print(f"{where}/: {count} files, {total / 2**20:.1f} MiB, built in {time.monotonic() - started:.0f} s "
          f"({cpu_s:.0f} s of CPU); open {where}/index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
