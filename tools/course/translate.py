"""Translations of the course: one source, catalogs keyed by the English text, code identical by construction.

What is translated, and how a translated notebook is made from its English source:
- markdown: each block (a paragraph, list, table or heading, split at blank lines outside code fences and $$
  maths) is one message; links to other files of the course are re-pointed after translation (RELINK);
- code: only string literals in the places a learner reads them (TEXT_CALLS, TEXT_KEYWORDS: claim statements and
  their measured values,
  Markdown(...), print(...), figure titles and labels, progress-bar descriptions, a table's index name) are
  messages; for an f-string the message is its template ("{gap:.2f}" kept as written) and the translation must keep
  the same fields. Display labels are messages too (`labels`): a dict's keys (a table's column headers), both
  branches of a conditional assigned to a name (`name = "bidirectional" if b else "left to right"`) and the names
  in (name, value) pairs looped over; every other literal of the notebook equal to a label (a key looked up, a
  label inside an f-string's field) is translated the same way, so lookups stay consistent. The rest of the code,
  comments included, is the English code: `skeleton` proves it.
The catalogs are gettext PO files read and written with Babel: notebooks/locales/<locale>/NN_name.po (one per
notebook, so translators can work in parallel) and docs.po (README, teacher's guide). A message with no
translation, or marked fuzzy (its English changed since it was translated), stops the build.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .notebooks import NOTEBOOKS, ROOT

LOCALES = NOTEBOOKS / "locales"
# The editions: language tag -> (gettext locale, folder of its notebooks relative to notebooks/, its README and
# teacher's guide relative to the root).
LANGUAGES = {"zh-CN": {"locale": "zh_CN", "folder": "zh-CN", "readme": "README.zh-CN.md",
                       "teachers": "notebooks/TEACHERS.zh-CN.md", "name": "简体中文",
                       # shown under the language switch of the README and teacher's guide while a twin is missing
                       "pending": ("> 中文版笔记本正在翻译中：本页提到的笔记本链接"
                                   "目前打开的都是英文版。"),
                       # ... and once some twins exist ({done}: the notebooks that have one)
                       "pending_some": ("> 中文版笔记本正在翻译中：{done}已有中文版，其余笔记本的链接"
                                        "目前打开的是英文版。"),
                       "notebook": "第 {number} 课", "and": "、",
                       # what its twins' Colab set-up cells install besides the English ones' (a font for figures)
                       "packages": ("zhplot",),
                       # what a static view shows in place of a control panel (notebooks.WIDGET_TEXT in English)
                       "widget_text": "[交互式控制面板：请在 Jupyter 或 Colab 中运行本笔记本后使用。]"}}
TEXT_CALLS = {"claim": (0, 2), "Markdown": (0,), "print": None, "set_title": (0,), "set_xlabel": (0,),
              "set_ylabel": (0,), "suptitle": (0,), "title": (0,), "xlabel": (0,), "ylabel": (0,),
              "rename_axis": (0,), "text": (2,), "annotate": (0,)}
TEXT_KEYWORDS = {"title", "xlabel", "ylabel", "label", "desc", "description", "chance_label", "band_label",
                 "single_label", "summary"}
LETTER = re.compile(r"[^\W\d_]")  # a letter of any script
IDEOGRAPH = re.compile(r"[\u3400-\u9fff]")  # a CJK ideograph: one is a word (对, 比), so a message on its own
COLON = re.compile(r": |：")  # "{name}: {value}" has no words but a colon, which a language writes its own way
FIELD = re.compile(r"\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}")  # an f-string field, one level of nesting (format specs)


class TranslationError(ValueError):
    """A message without a usable translation; the message lists them."""


# ------------------------------------------------------------------------------------------------ markdown

def blocks(markdown: str) -> list[str]:
    """The blocks of a markdown text: split at blank lines, never inside a ``` fence or a $$ maths block."""
    found, current, fenced, maths = [], [], False, False
    for line in markdown.split("\n"):
        stripped = line.strip()
        if not stripped and not fenced and not maths:
            if current:
                found.append("\n".join(current))
            current = []
            continue
        current.append(line)
        if stripped.startswith("```"):
            fenced = not fenced
        elif stripped.count("$$") % 2 == 1 and not fenced:
            maths = not maths
    if current:
        found.append("\n".join(current))
    return found


def has_text(block: str) -> bool:
    """Whether a block holds words to translate (not only markup, maths, code or links' targets)."""
    text = re.sub(r"```.*?```", "", block, flags=re.DOTALL)
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`|<[^>]+>|\]\([^)]*\)|https?://\S+", " ", text, flags=re.DOTALL)
    return len(LETTER.findall(text)) >= 2


def translate_markdown(markdown: str, translate) -> str:
    """Each block with text through `translate`, blank lines as they were."""
    out = [translate(block) if has_text(block) else block for block in blocks(markdown)]
    return "\n\n".join(out)


# ------------------------------------------------------------------------------------------ code literals

@dataclass
class Literal:
    """A string literal a learner reads: where it is in the cell, its message, and whether it is an f-string."""

    start: int
    end: int
    message: str
    formatted: bool
    quote: str


def _offsets(code: str) -> list[int]:
    starts, total = [0], 0
    for line in code.split("\n"):
        total += len(line.encode()) + 1
        starts.append(total)
    return starts


def _template(node: ast.JoinedStr, code: str) -> str:
    """An f-string's message: its text with {{ }} for literal braces, its fields as written."""
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value).replace("{", "{{").replace("}", "}}"))
        else:
            inner = ast.get_source_segment(code, value.value) or ast.unparse(value.value)
            conversion = {-1: "", 115: "!s", 114: "!r", 97: "!a"}[value.conversion]
            spec = ":" + _template(value.format_spec, code) if value.format_spec else ""
            parts.append("{" + inner + conversion + spec + "}")
    return "".join(parts)


def _strings(node):
    """The string and f-string nodes a value is made of (both branches of a conditional)."""
    if isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "text " + ", ".join(...) + " more text"
        yield from _strings(node.left)
        yield from _strings(node.right)
    elif isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        yield node


def _label_nodes(tree: ast.AST):
    """Display labels: a dict's keys, a conditional's branches assigned to a name, the names of (name, value)
    pairs looped over (a snake_case key such as batch_size is a name, not a label)."""
    for node in _label_candidates(tree):
        if not (isinstance(node, ast.Constant) and node.value.isidentifier() and "_" in node.value):
            yield node


def _label_candidates(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if key is not None:
                    yield from _strings(key)
        elif isinstance(node, ast.DictComp):
            yield from _strings(node.key)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.IfExp):
            yield from _strings(node.value)
        elif isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.iter, (ast.Tuple, ast.List)):
            for pair in node.iter.elts:
                if isinstance(pair, ast.Tuple) and pair.elts:
                    yield from _strings(pair.elts[0])


def _in_fields(tree: ast.AST) -> set[int]:
    """The ids of the nodes inside an f-string's fields (translated with the f-string, not on their own)."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FormattedValue):
            inside |= {id(n) for n in ast.walk(node)}
    return inside


def _text_nodes(tree: ast.AST, labels: frozenset[str] = frozenset()):
    """String and f-string nodes in the places a learner reads them, display labels and their other uses."""
    strings = _strings
    yield from _label_nodes(tree)
    inside = _in_fields(tree)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in labels
                and id(node) not in inside):
            yield node
    shown = set()  # names of variables a text call shows: text = "..."; text += "..."; display(Markdown(text))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if name in TEXT_CALLS:
            positions = TEXT_CALLS[name]
            for i, arg in enumerate(node.args):
                if positions is None or i in positions:
                    yield from strings(arg)
                    shown |= {arg.id} if isinstance(arg, ast.Name) else set()
        for keyword in node.keywords:
            if keyword.arg in TEXT_KEYWORDS:
                yield from strings(keyword.value)
            elif keyword.arg == "name" and isinstance(keyword.value, ast.Constant) and " " in str(keyword.value.value):
                yield keyword.value  # a run's name of several words is shown (a one-word name may be a key)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign):
            targets = [node.target]
        else:
            continue
        if any(isinstance(target, ast.Name) and target.id in shown for target in targets):
            yield from strings(node.value)


def _parse(code: str) -> ast.AST | None:
    lines = code.split("\n")
    parsable = "\n".join("#" + line[1:] if line.lstrip().startswith(("%", "!")) else line for line in lines)
    try:
        return ast.parse(parsable)
    except SyntaxError:
        return None


def _text_of(message: str) -> str:
    return re.sub(r"\{[^}]*\}", "", message)


def _is_text(message: str) -> bool:
    text = _text_of(message)
    return len(LETTER.findall(text)) >= 2 or bool(IDEOGRAPH.search(text))


def labels(cells: list[str]) -> frozenset[str]:
    """The display labels (see the module's docstring) of a notebook's code cells: plain strings with text."""
    found = set()
    for code in cells:
        tree = _parse(code)
        if tree is not None:
            found |= {n.value for n in _label_nodes(tree) if isinstance(n, ast.Constant) and _is_text(n.value)}
    return frozenset(found)


def notebook_labels(nb: NotebookNode) -> frozenset[str]:
    return labels([cell.source for cell in nb.cells if cell.cell_type == "code"])


def literals(code: str, labels: frozenset[str] = frozenset()) -> list[Literal]:
    """The translatable literals of a code cell, in order (IPython magics are left alone); `labels`: the
    notebook's display labels, translated wherever they occur."""
    tree = _parse(code)
    if tree is None:
        return []
    offsets, raw = _offsets(code), code.encode()
    found = []
    for node in _text_nodes(tree, labels):
        start = offsets[node.lineno - 1] + node.col_offset
        end = offsets[node.end_lineno - 1] + node.end_col_offset
        segment = raw[start:end].decode()
        message = _template(node, code) if isinstance(node, ast.JoinedStr) else node.value
        if not _is_text(message) and not (isinstance(node, ast.JoinedStr) and COLON.search(_text_of(message))):
            continue
        quote = '"' if '"' in segment.lstrip("rRbBuUfF")[:1] else "'"
        found.append(Literal(start, end, message, isinstance(node, ast.JoinedStr), quote))
    return sorted({(x.start, x.end): x for x in found}.values(), key=lambda x: x.start)


def _escape(text: str, quote: str) -> str:
    return text.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n")


def literal_source(literal: Literal, translation: str) -> str:
    """The Python literal for a translation: the same kind (f-string or not) and quotes; f-string fields verbatim."""
    if not literal.formatted:
        return literal.quote + _escape(translation, literal.quote) + literal.quote
    pieces, last = [], 0
    for match in FIELD.finditer(translation):
        pieces += [_escape(translation[last:match.start()], literal.quote), match.group(0)]
        last = match.end()
    pieces.append(_escape(translation[last:], literal.quote))
    return "f" + literal.quote + "".join(pieces) + literal.quote


def fields(message: str) -> list[str]:
    """An f-string template's fields, in order ({{ }} are text, not fields)."""
    return FIELD.findall(message.replace("{{", "").replace("}}", ""))


QUOTED = re.compile(r"""(['"])((?:(?!\1).)*)\1""")  # a plain string inside an f-string's field


def _relabel(translation: str, labels: frozenset[str], translate) -> str:
    """An f-string's translation with the display labels quoted inside its fields translated too."""
    def field(match: re.Match) -> str:
        return QUOTED.sub(lambda q: q.group(1) + translate(q.group(2), None) + q.group(1)
                          if q.group(2) in labels else q.group(0), match.group(0))

    return FIELD.sub(field, translation)


def translate_code(code: str, translate, labels: frozenset[str] = frozenset()) -> str:
    """The code with each translatable literal replaced by its translation's literal (`labels`: the notebook's)."""
    raw, out, last = code.encode(), [], 0
    for literal in literals(code, labels):
        translation = translate(literal.message, literal)
        if literal.formatted and labels:
            translation = _relabel(translation, labels, translate)
        out += [raw[last:literal.start].decode(), literal_source(literal, translation)]
        last = literal.end
    out.append(raw[last:].decode())
    return "".join(out)


def skeleton(code: str, labels: frozenset[str] = frozenset()) -> str:
    """The code with every translatable literal blanked: equal for a cell and its translation (each with its own
    notebook's labels)."""
    return translate_code(code, lambda message, literal: "…", labels)


# --------------------------------------------------------------------------------------------- messages

def notebook_messages(nb: NotebookNode) -> list[tuple[str, str, bool]]:
    """(message, cell index, is an f-string template) for every markdown block and translatable literal."""
    found, names = [], notebook_labels(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found += [(b, index, False) for b in blocks(cell.source) if has_text(b)]
        elif cell.cell_type == "code":
            found += [(x.message, index, x.formatted) for x in literals(cell.source, names)]
    return found


def markdown_messages(text: str) -> list[tuple[str, int, bool]]:
    """(message, block number, False) for every block of a document."""
    return [(b, i, False) for i, b in enumerate(blocks(text)) if has_text(b)]


class Translator:
    """Translations from a Babel catalog; `missing` collects the messages it could not translate."""

    def __init__(self, catalog):
        self.catalog, self.missing = catalog, []

    def __call__(self, message: str, literal: Literal | None = None) -> str:
        entry = self.catalog.get(message)
        if entry is None or not entry.string or entry.fuzzy:
            self.missing.append(message if entry is None or not entry.string else f"(fuzzy) {message}")
            return message
        if literal is not None and literal.formatted and sorted(fields(entry.string)) != sorted(fields(message)):
            self.missing.append(f"(fields differ) {message}")
            return message
        return entry.string

    def done(self, what: str) -> None:
        if self.missing:
            shown = "\n  ".join(m[:120] for m in self.missing[:20])
            raise TranslationError(f"{what}: {len(self.missing)} message(s) without a usable translation (run "
                                   f"`python tools/translate.py update` and translate them):\n  {shown}")


def catalog_path(language: str, name: str) -> Path:
    return LOCALES / LANGUAGES[language]["locale"] / f"{name}.po"


def helpers_catalog(language: str) -> Path:
    """The PO file of the helpers' own messages (helpers/i18n.py reads the .mo compiled from it)."""
    return ROOT / "helpers" / "locales" / LANGUAGES[language]["locale"] / "LC_MESSAGES" / "helpers.po"


def read_catalog(path: Path):
    from babel.messages.pofile import read_po

    with Path(path).open("rb") as handle:
        return read_po(handle)


def translate_notebook(nb: NotebookNode, language: str, catalog) -> NotebookNode:
    """A translated copy of a teacher-edition notebook (see the module's docstring)."""
    translator = Translator(catalog)
    out = nbformat.from_dict(nb)
    names = notebook_labels(nb)
    for cell in out.cells:
        if cell.cell_type == "markdown":
            cell.source = relink(translate_markdown(cell.source, translator), language)
        elif cell.cell_type == "code":
            cell.source = translate_code(cell.source, translator, names)
    translator.done(f"{language} catalog")
    out.metadata["language"] = language
    return out


def relink(markdown: str, language: str) -> str:
    """Links of a notebook in notebooks/ re-pointed for its twin in notebooks/<folder>/: Colab badges to the twin,
    other files of the repository one level further up (the twins of other notebooks sit beside it)."""
    folder = LANGUAGES[language]["folder"]
    markdown = re.sub(r"(colab\.research\.google\.com/github/[^)\s]*?/blob/[^/)\s]+/notebooks/)(\d\d_)",
                      rf"\g<1>{folder}/\g<2>", markdown)
    return re.sub(r"\]\((\.\./[^)]+|TEACHERS\.md[^)]*)\)", lambda m: f"](../{m.group(1)})", markdown)


def root_relative(path: Path) -> str:
    return Path(path).resolve().relative_to(ROOT).as_posix()


# ------------------------------------------------------------------------------------------ the editions

DOCS = {"README.md": "readme", "notebooks/TEACHERS.md": "teachers"}  # the documents translated beside notebooks


def setup_cell(english: str, language: str) -> str:
    """The set-up cell of a translated notebook: the course two folders up, the Colab clone's twin folder, the
    packages its language needs on Colab, and the language the helpers speak (their messages, labels and figure
    fonts)."""
    from .notebooks import with_packages

    folder = LANGUAGES[language]["folder"]
    try:
        english = with_packages(english, LANGUAGES[language]["packages"])
    except ValueError as error:
        raise TranslationError(f"the set-up cell no longer contains what notebooks.setup_cell writes ({error}): "
                               "update translate.setup_cell") from None
    changes = [('os.chdir("/content/nlp-basics-pytorch/notebooks")',
                f'os.chdir("/content/nlp-basics-pytorch/notebooks/{folder}")'),
               ('os.path.abspath("..")', 'os.path.abspath("../..")'),
               ("# opened from notebooks/ without", f"# opened from notebooks/{folder}/ without")]
    for old, new in changes:
        if old not in english:
            raise TranslationError(f"the set-up cell no longer contains {old!r}: update translate.setup_cell")
        english = english.replace(old, new)
    return f'{english}\nos.environ["COURSE_LANGUAGE"] = "{language}"  # the helpers\' messages and figures'


def translated_edition(learner: NotebookNode, source: Path, language: str) -> NotebookNode:
    """The twin of a learner edition in `language`, from its catalog (the set-up cell made for its folder)."""
    from .notebooks import stable_ids

    path = catalog_path(language, Path(source).stem)
    if not path.exists():
        raise TranslationError(f"no catalog {root_relative(path)}: run `python tools/translate.py update`")
    nb = translate_notebook(learner, language, read_catalog(path))
    first_code = next(cell for cell in nb.cells if cell.cell_type == "code")
    first_code.source = setup_cell(first_code.source, language)
    stable_ids(nb)
    return nb


def twin(notebook: str, language: str) -> Path:
    """Where the translated twin of notebooks/NN_name.ipynb is (or will be)."""
    return NOTEBOOKS / LANGUAGES[language]["folder"] / Path(notebook).name


def translate_doc(name: str, language: str) -> str:
    """A translated document (README, teacher's guide): blocks through docs.po, links to the twins.

    Links are relative to the document's folder. Links to README.md or notebooks/TEACHERS.md become links to their
    twins; a translation that means the English original (the language switch) writes it as ./README.md (or
    ./TEACHERS.md), which is left alone. A link or Colab badge of a notebook is re-pointed to its twin only once
    the twin exists; while any is missing, the language's `pending` note follows the language switch."""
    catalog = read_catalog(catalog_path(language, "docs"))
    translator = Translator(catalog)
    text = translate_markdown((ROOT / name).read_text(encoding="utf-8"), translator)
    translator.done(f"{name} in {language}")
    here = (ROOT / name).parent
    folder = LANGUAGES[language]["folder"]
    to_notebooks = Path(os.path.relpath(NOTEBOOKS, here)).as_posix()
    prefix = "" if to_notebooks == "." else f"{to_notebooks}/"

    def notebook(match: re.Match) -> str:
        found = twin(match.group(2), language).exists()
        return f"{match.group(1)}{folder}/{match.group(2)}" if found else match.group(0)

    text = re.sub(rf"(\]\({re.escape(prefix)}|/blob/main/notebooks/)(\d\d_\w+\.ipynb)", notebook, text)
    for english, key in DOCS.items():
        old = Path(os.path.relpath(ROOT / english, here)).as_posix()
        new = Path(os.path.relpath(ROOT / LANGUAGES[language][key], here)).as_posix()
        text = re.sub(rf"\]\({re.escape(old)}(?=[)#])", f"]({new}", text)
    english = sorted(n.name for n in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    done = [n for n in english if twin(n, language).exists()]
    switch = re.search(rf"\]\(\./{re.escape(Path(name).name)}\)[^\n]*(\n[^\n]+)*", text)
    if len(done) < len(english) and switch:
        text = f"{text[:switch.end()]}\n\n{pending_note(language, done)}{text[switch.end():]}"
    return text


def pending_note(language: str, done: list[str]) -> str:
    """The note under a document's language switch while some notebooks have no twin yet: which ones have one."""
    words = LANGUAGES[language]
    if not done:
        return words["pending"]
    names = words["and"].join(words["notebook"].format(number=name[:2]) for name in done)
    return words["pending_some"].format(done=names)


# ------------------------------------------------------------------------------------------------ glossary

@dataclass
class Term:
    """One concept: its English words, its one Chinese rendering, and renderings the course does not use."""

    english: str
    chinese: str
    avoid: list[str]


def glossary(language: str) -> list[Term]:
    """The terms of notebooks/locales/<locale>/glossary.tsv (english, chinese, avoid (|-separated), note)."""
    path = LOCALES / LANGUAGES[language]["locale"] / "glossary.tsv"
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    return [Term(r[0], r[1], [a for a in r[2].split("|") if a]) for r in rows]


def glossary_problems(catalog, terms: list[Term]) -> list[str]:
    """Where a translation renders a glossary term another way: an avoided rendering anywhere, or an entry whose
    English uses the term and whose translation has neither the Chinese term nor the English one."""
    found = []
    for entry in catalog:
        if not entry.id or not entry.string:
            continue
        for term in terms:
            for bad in term.avoid:
                if bad in entry.string:
                    found.append(f"{bad!r} for {term.english!r} (use {term.chinese!r}): {entry.string[:60]!r}")
            uses = re.search(rf"\b{re.escape(term.english)}", entry.id, re.IGNORECASE)
            if uses and term.chinese not in entry.string and term.english.lower() not in entry.string.lower():
                found.append(f"{term.english!r} without {term.chinese!r}: {entry.string[:60]!r}")
    return found
