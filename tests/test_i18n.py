"""helpers/i18n.py: the language from COURSE_LANGUAGE, English without a catalog entry, a clear error otherwise."""

from __future__ import annotations

import pytest

from helpers import i18n


def test_english_by_default_and_a_message_without_translation_stays_english(monkeypatch):
    monkeypatch.delenv(i18n.VARIABLE, raising=False)
    assert i18n.language() == "en" and i18n._("a message {x}") == "a message {x}"
    monkeypatch.setenv(i18n.VARIABLE, "zh-CN")
    assert i18n.language() == "zh-CN" and i18n._("no such message, surely") == "no such message, surely"


def test_an_unknown_language_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv(i18n.VARIABLE, "klingon")
    with pytest.raises(ValueError, match=r"COURSE_LANGUAGE='klingon'.*\['en', 'zh-CN'\]"):
        i18n.language()


def test_chinese_figures_draw_real_glyphs_and_a_missing_glyph_is_an_error(tmp_path):
    """In a fresh process (matplotlib's settings are global): Chinese text renders with the CJK font, with no
    'Glyph missing' warning; a character no font has raises instead of drawing an empty box."""
    import os
    import subprocess
    import sys

    script = """
import matplotlib; matplotlib.use("Agg")
import helpers, matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.set_title("词嵌入 独热编码 负采样 梯度裁剪 困惑度 每字符比特数 −0.5")
fig.savefig(r"{out}")
try:
    ax.set_xlabel("\\U00017000")  # a Tangut character: in no font the course has
    fig.savefig(r"{out}")
    print("no error")
except UserWarning as error:
    print("error:", error)
"""
    out = tmp_path / "zh.png"
    done = subprocess.run([sys.executable, "-c", script.format(out=out)], capture_output=True, text=True,
                          env={**os.environ, "COURSE_LANGUAGE": "zh-CN"}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 0 and "error: Glyph" in done.stdout and "missing from" in done.stdout


def test_every_helper_message_has_a_chinese_translation_with_the_same_fields():
    """The catalog is complete: each `_("...")` of helpers/*.py has a non-fuzzy msgstr in helpers.po that keeps
    the message's {fields} (a translation that dropped or renamed one would fail, or mislead, when formatted)."""
    import re

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    helpers = i18n.LOCALES.parent
    marked = {message for _, _, message, _, _ in extract_from_dir(helpers, [("*.py", "python")],
                                                                 keywords={"_": None})}
    with (i18n.LOCALES / "zh_CN" / "LC_MESSAGES" / "helpers.po").open("rb") as handle:
        catalog = read_po(handle)
    assert marked, "no message is marked for translation"
    field = re.compile(r"\{[^{}]*\}")
    problems = []
    for message in sorted(marked):
        entry = catalog.get(message)
        if entry is None or not entry.string or entry.fuzzy:
            problems.append(f"untranslated or fuzzy: {message!r}")
        elif sorted(field.findall(entry.string)) != sorted(field.findall(message)):
            problems.append(f"fields differ: {message!r} -> {entry.string!r}")
    assert not problems, "\n".join(problems)


def test_listing_joins_with_the_languages_list_separator(monkeypatch):
    from helpers.i18n import listing

    assert listing(["a 1", "b 2", 3]) == "a 1, b 2, 3"
    monkeypatch.setenv("COURSE_LANGUAGE", "zh-CN")
    assert listing(["a 1", "b 2"]) == "a 1、b 2"


def test_printed_tables_count_a_chinese_character_as_two_columns(monkeypatch):
    import unicodedata

    import pandas as pd

    from helpers import i18n

    monkeypatch.setattr(i18n, "language", lambda: "en")
    with pd.option_context("display.unicode.east_asian_width", False):
        i18n.configure_tables()
        assert pd.get_option("display.unicode.east_asian_width") is False  # English: pandas' default
        monkeypatch.setattr(i18n, "language", lambda: "zh-CN")
        i18n.configure_tables()
        assert pd.get_option("display.unicode.east_asian_width") is True
        header, row = pd.DataFrame({"保留最小值": [1.0]}).to_string().splitlines()

        def width(text):  # as a monospaced font draws it: a CJK character takes two columns
            return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
        assert width(header) == width(row)  # the header ends where its column ends
