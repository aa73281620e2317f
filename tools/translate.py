"""The course's translations: catalogs keyed by the English text (gettext PO, through Babel).

    python tools/translate.py update [--lang zh-CN]   # add new English messages, mark changed ones fuzzy
    python tools/translate.py update docs             # only docs.po (README, teacher's guide); lists what to translate
    python tools/translate.py status [--lang zh-CN]   # per catalog: translated, missing, fuzzy
    python tools/translate.py docs [--lang zh-CN]     # write README.zh-CN.md and notebooks/TEACHERS.zh-CN.md
    python notebooks/build.py 03 --lang zh-CN         # build and execute a translated notebook

What is a message, and how a translated notebook is made, is in tools/course/translate.py (a location "#: file:N"
in a catalog is the Nth cell of a notebook, or the Nth block of a document, counted from 1); the helpers' own
messages (checks, labs, figures) are in helpers/locales (see helpers/i18n.py).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from course import translate  # noqa: E402
from course.editions import learner_edition  # noqa: E402
from course.notebooks import ROOT, read_source, sources  # noqa: E402


def templates() -> dict[str, list[tuple[str, tuple[str, int], bool]]]:
    """Catalog name -> its English messages: (message, (file, cell or block number), is an f-string template)."""
    found = {}
    for source in sources():
        learner = learner_edition(read_source(source), source.name)
        where = translate.root_relative(source)
        found[source.stem] = [(m, (where, i + 1), f) for m, i, f in translate.notebook_messages(learner)]
    found["docs"] = [(m, (name, i + 1), f) for name in translate.DOCS
                     for m, i, f in translate.markdown_messages((ROOT / name).read_text())]
    found["helpers"] = helper_messages()
    return found


def helper_messages() -> list[tuple[str, tuple[str, int], bool]]:
    """The helpers' messages: every `_("...")` in helpers/*.py (Babel's Python extractor)."""
    from babel.messages.extract import extract_from_dir

    return [(message, (f"helpers/{name}", line), "{" in message)
            for name, line, message, _, _ in extract_from_dir(ROOT / "helpers", [("*.py", "python")],
                                                               keywords={"_": None})]


def update(language: str, only: list[str] | None = None) -> None:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    locale = translate.LANGUAGES[language]["locale"]
    found = templates()
    unknown = sorted(set(only or []) - set(found))
    if unknown:
        raise translate.TranslationError(f"no catalog named {', '.join(unknown)} (choose from {', '.join(found)})")
    for name, messages in found.items():
        if only and name not in only:
            continue
        template = Catalog(project="nlp-basics-pytorch", fuzzy=False)
        for message, where, formatted in messages:
            template.add(message, locations=[where], flags=["python-brace-format"] if formatted else [])
        path = translate.catalog_path(language, name)
        if name == "helpers":
            path = translate.helpers_catalog(language)
        if path.exists():
            catalog = translate.read_catalog(path)
            template.creation_date = catalog.creation_date  # no header churn (nor merge conflicts) from a re-run
            catalog.update(template, update_header_comment=False)
        else:
            catalog = Catalog(locale=locale, project="nlp-basics-pytorch", fuzzy=False)
            catalog.update(template)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=0, omit_header=False, ignore_obsolete=True, include_previous=True)
        print(f"{translate.root_relative(path)}: {len(template)} messages")
        todo(catalog)
    if not only or "helpers" in only:
        compile_helpers(language)


def todo(catalog) -> None:
    """Print the messages of a catalog that need a translator: new (no translation) or fuzzy (English changed)."""
    for entry in catalog:
        if entry.id and (not entry.string or entry.fuzzy):
            where = ", ".join(f"{f}:{n}" for f, n in entry.locations)
            first = entry.id.split("\n")[0][:90]
            print(f"  {'fuzzy' if entry.string else 'new  '} {where}: {first}")
            if entry.string and entry.previous_id:
                old, new = entry.previous_id[0].split(), entry.id.split()
                for tag, i, j, k, m in difflib.SequenceMatcher(None, old, new).get_opcodes():
                    if tag != "equal":
                        print(f"        was {' '.join(old[i:j]) or '-'!r} now {' '.join(new[k:m]) or '-'!r}")


def compile_helpers(language: str) -> Path:
    """helpers.po -> helpers.mo, what helpers/i18n.py reads at run time (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo

    po = translate.helpers_catalog(language)
    with po.with_suffix(".mo").open("wb") as handle:
        write_mo(handle, translate.read_catalog(po), use_fuzzy=False)
    return po.with_suffix(".mo")


def status(language: str) -> int:
    complete = True
    for name in templates():
        path = translate.helpers_catalog(language) if name == "helpers" else translate.catalog_path(language, name)
        if not path.exists():
            print(f"{translate.root_relative(path)}: missing")
            complete = False
            continue
        catalog = translate.read_catalog(path)
        entries = [m for m in catalog if m.id]
        missing = sum(1 for m in entries if not m.string)
        fuzzy = sum(1 for m in entries if m.string and m.fuzzy)
        complete &= not (missing or fuzzy)
        print(f"{translate.root_relative(path)}: {len(entries) - missing - fuzzy} translated, {missing} missing, "
              f"{fuzzy} fuzzy")
    return 0 if complete else 1


def docs(language: str) -> None:
    for english, key in translate.DOCS.items():
        target = ROOT / translate.LANGUAGES[language][key]
        target.write_text(translate.translate_doc(english, language))
        print(f"wrote {translate.root_relative(target)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/translate.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["update", "status", "docs"])
    parser.add_argument("catalogs", nargs="*", help="update: only these catalogs (e.g. docs, 03_rnn_sequence_models)")
    parser.add_argument("--lang", default="zh-CN", choices=sorted(translate.LANGUAGES))
    args = parser.parse_args(argv)
    if args.command == "update":
        update(args.lang, args.catalogs)
    elif args.command == "status":
        return status(args.lang)
    else:
        docs(args.lang)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except translate.TranslationError as error:
        sys.exit(f"✘ {error}")
