"""README.zh-CN.md and notebooks/TEACHERS.zh-CN.md: built from docs.po (complete, current), the glossary's terms, the
links between the editions, and links that lead somewhere (the Chinese notebooks only once they exist)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from course import translate
from course.notebooks import ROOT

LANGUAGE = "zh-CN"
ZH = ROOT / translate.LANGUAGES[LANGUAGE]["readme"]
DOCS = {english: ROOT / translate.LANGUAGES[LANGUAGE][key] for english, key in translate.DOCS.items()}
REFRESH = ("run `python tools/translate.py update docs`, translate the new and fuzzy messages it lists in "
           "notebooks/locales/zh_CN/docs.po (deleting each `#, fuzzy` line), then `python tools/translate.py docs`")


def catalog():
    return translate.read_catalog(translate.catalog_path(LANGUAGE, "docs"))


@pytest.mark.parametrize("english", list(DOCS))
def test_the_chinese_doc_is_what_docs_po_makes_of_the_english_one(english):
    chinese = DOCS[english]
    try:
        built = translate.translate_doc(english, LANGUAGE)
    except translate.TranslationError as error:
        pytest.fail(f"{english} changed since docs.po was translated: {REFRESH}.\n{error}")
    assert chinese.read_text(encoding="utf-8") == built, (
        f"{translate.root_relative(chinese)} is not what docs.po makes of {english}: {REFRESH}")


def test_docs_po_holds_exactly_the_current_messages_all_translated():
    entries = [m for m in catalog() if m.id]
    current = {m for name in translate.DOCS for m, _, _ in translate.markdown_messages((ROOT / name).read_text())}
    assert {m.id for m in entries} == current, f"docs.po is not up to date: {REFRESH}"
    untranslated = [m.id[:80] for m in entries if not m.string or m.fuzzy]
    assert untranslated == [], f"untranslated or fuzzy messages in docs.po: {REFRESH}"


@pytest.mark.parametrize("english", list(DOCS))
def test_the_chinese_doc_uses_no_avoided_rendering_of_a_glossary_term(english):
    text = DOCS[english].read_text(encoding="utf-8")
    found = [f"{bad!r} for {term.english!r} (use {term.chinese!r})"
             for term in translate.glossary(LANGUAGE) for bad in term.avoid if bad in text]
    assert found == []


def test_each_edition_links_to_the_other():
    for english, chinese in DOCS.items():
        original, text = (ROOT / english).read_text(encoding="utf-8"), chinese.read_text(encoding="utf-8")
        assert f"]({chinese.name})" in original
        # "./README.md": translate_doc rewrites "](README.md)" to the twin, so a link meant for the English one is
        # written with "./" (and survives a rebuild of the Chinese document from docs.po).
        assert f"](./{Path(english).name})" in text
        assert f"]({Path(english).name})" not in text
    assert "](notebooks/TEACHERS.zh-CN.md)" in ZH.read_text(encoding="utf-8")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation (also full-width) dropped, spaces to hyphens."""
    text = re.sub(r"`|\*", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@pytest.mark.parametrize("english", list(DOCS))
def test_every_link_of_the_chinese_doc_leads_somewhere(english):
    chinese = DOCS[english]
    text = chinese.read_text(encoding="utf-8")
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    anchors = {slug(h) for h in re.findall(r"^#+ (.+)$", prose, flags=re.MULTILINE)}
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        if not path and anchor not in anchors:
            broken.append(target)
        elif path and not (chinese.parent / path).exists():
            broken.append(target)
    assert broken == []


def test_notebook_links_point_at_a_twin_only_once_it_exists(monkeypatch, tmp_path):
    pending = translate.LANGUAGES[LANGUAGE]["pending"]
    monkeypatch.setattr(translate, "twin", lambda nb, language: tmp_path / "none")
    none = translate.translate_doc("README.md", LANGUAGE)
    assert pending in none and "notebooks/zh-CN/" not in none  # no Chinese notebook yet: the English ones

    made = tmp_path / "03_rnn_sequence_models.ipynb"
    made.write_text("{}")
    monkeypatch.setattr(translate, "twin", lambda nb, language: made if nb == made.name else tmp_path / "none")
    one = translate.translate_doc("README.md", LANGUAGE)
    assert "](notebooks/zh-CN/03_rnn_sequence_models.ipynb)" in one and "/blob/main/notebooks/zh-CN/03_" in one
    assert "](notebooks/01_word_embeddings.ipynb)" in one and pending not in one
    assert "> 中文版笔记本正在翻译中：第 03 课已有中文版，其余笔记本的链接目前打开的是英文版。" in one

    monkeypatch.setattr(translate, "twin", lambda nb, language: made)
    every = translate.translate_doc("README.md", LANGUAGE)
    assert pending not in every and "](notebooks/01_" not in every and "/blob/main/notebooks/01_" not in every


@pytest.mark.parametrize("english", list(DOCS))
def test_no_line_break_between_two_chinese_characters(english):
    # Markdown renders a line break inside a paragraph as a space, which does not belong between Chinese characters:
    # in docs.po, join such lines (a break next to Latin text or code is fine, it reads as the usual space).
    cjk = "[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
    text = re.sub(r"```.*?```", "", DOCS[english].read_text(encoding="utf-8"), flags=re.DOTALL)
    found = re.findall(rf"{cjk}\n[ \t]*(?![-*] |\d+\. |\||#|>){cjk}", text)
    assert found == []


@pytest.mark.parametrize("english", list(DOCS))
def test_no_line_break_after_full_width_punctuation_or_before_a_full_width_bracket(english):
    # The same stray space, next to Latin text or code too: "；␠`make lab`", "练习 4␠（用…". In docs.po, join the lines.
    text = re.sub(r"```.*?```", "", DOCS[english].read_text(encoding="utf-8"), flags=re.DOTALL)
    after = re.findall(r"[，。；：、（）]\n[ \t]*(?![ \t]|[-*] |\d+\. |\||#|>)\S.{0,10}", text)
    before = re.findall(r"\S.{0,10}\n[ \t]*（", text)
    assert after == [] and before == []


def test_update_docs_refreshes_only_docs_po_and_lists_what_to_translate(monkeypatch, tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("translate_cli", ROOT / "tools" / "translate.py")
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    english = {"docs": [("| 01 | 52 s |", ("README.md", 13), False), ("## Tests", ("README.md", 40), False)],
               "01_word_embeddings": [("not this one", ("notebooks/src/01_word_embeddings.py", 3), False)]}
    monkeypatch.setattr(cli, "templates", lambda: english)
    monkeypatch.setattr(translate, "catalog_path", lambda language, name: tmp_path / f"{name}.po")
    monkeypatch.setattr(translate, "root_relative", str)
    cli.update(LANGUAGE, ["docs"])
    assert not (tmp_path / "01_word_embeddings.po").exists()
    po = translate.read_catalog(tmp_path / "docs.po")
    po.get("| 01 | 52 s |").string, po.get("## Tests").string = "| 01 | 52 s |", "## 测试"
    from babel.messages.pofile import write_po

    with (tmp_path / "docs.po").open("wb") as handle:
        write_po(handle, po, width=0)
    english["docs"][0] = ("| 01 | 50 s |", ("README.md", 13), False)  # the lead edits a timing
    capsys.readouterr()
    cli.update(LANGUAGE, ["docs"])
    out = capsys.readouterr().out
    assert "fuzzy README.md:13: | 01 | 50 s |" in out and "was '52' now '50'" in out and "Tests" not in out
    with pytest.raises(translate.TranslationError, match="no catalog named nonsense"):
        cli.update(LANGUAGE, ["nonsense"])
