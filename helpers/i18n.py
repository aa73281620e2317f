"""The language the helpers speak: their messages (checks, labs, progress bars) and figure text.

English by default; the set-up cell of a translated notebook sets COURSE_LANGUAGE (e.g. "zh-CN"). Messages are
marked `_("...")` in helpers/ and translated from the gettext catalog helpers/locales/<locale>/LC_MESSAGES/
helpers.mo (made by `python tools/translate.py update`). A message without a translation stays English.
"""

from __future__ import annotations

import functools
import gettext
import os
from pathlib import Path

VARIABLE = "COURSE_LANGUAGE"
LOCALES = Path(__file__).resolve().parent / "locales"
SUPPORTED = {"en": "en", "zh-CN": "zh_CN"}  # language tag -> gettext locale


def language() -> str:
    """The language tag in use: COURSE_LANGUAGE, or 'en'."""
    tag = os.environ.get(VARIABLE, "en").strip() or "en"
    if tag not in SUPPORTED:
        raise ValueError(f"{VARIABLE}={tag!r} is not a language of the course; use one of {sorted(SUPPORTED)}")
    return tag


@functools.cache
def _catalog(tag: str) -> gettext.NullTranslations:
    return gettext.translation("helpers", LOCALES, languages=[SUPPORTED[tag]], fallback=True)


def _(message: str) -> str:
    """`message` in the course's language (a str.format template stays a template: format after translating)."""
    tag = language()
    return message if tag == "en" else _catalog(tag).gettext(message)
