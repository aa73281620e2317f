"""README.zh-CN.md: the glossary's terms (no avoided rendering) and a link from each README to the other."""

from __future__ import annotations

from course import translate
from course.notebooks import ROOT

ZH = ROOT / translate.LANGUAGES["zh-CN"]["readme"]


def test_the_chinese_readme_uses_no_avoided_rendering_of_a_glossary_term():
    text = ZH.read_text(encoding="utf-8")
    found = [f"{bad!r} for {term.english!r} (use {term.chinese!r})"
             for term in translate.glossary("zh-CN") for bad in term.avoid if bad in text]
    assert found == []


def test_each_readme_links_to_the_other():
    assert f"]({ZH.name})" in (ROOT / "README.md").read_text(encoding="utf-8")
    # "./README.md": translate_doc rewrites "](README.md)" to the twin, so a link meant for the English one is written
    # with "./" (and survives a rebuild of the Chinese README from docs.po).
    assert "](./README.md)" in ZH.read_text(encoding="utf-8")
    assert "](README.md)" not in ZH.read_text(encoding="utf-8")
