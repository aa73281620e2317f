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
