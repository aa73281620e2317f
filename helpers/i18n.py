"""The language the helpers speak: their messages (checks, labs, progress bars) and figure text.

English by default; the set-up cell of a translated notebook sets COURSE_LANGUAGE (e.g. "zh-CN"). Messages are
marked `_("...")` in helpers/ and translated from the gettext catalog helpers/locales/<locale>/LC_MESSAGES/
helpers.mo (made by `python tools/translate.py update`). A message without a translation stays English.
Figures in Chinese need a CJK font: Noto Sans SC (SIL OFL 1.1) from the zhplot wheel, found without importing it
(importing zhplot would change matplotlib's settings itself); a glyph missing from the fonts is then an error.
"""

from __future__ import annotations

import functools
import gettext
import importlib.util
import os
import warnings
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


def listing(items) -> str:
    """Items joined as a list in the course's language ("a, b, c"; in Chinese with the enumeration comma)."""
    # TRANSLATORS: the separator between the items of a list
    return _(", ").join(str(item) for item in items)


def cjk_font() -> Path:
    """The Noto Sans SC font file that the zhplot package ships."""
    spec = importlib.util.find_spec("zhplot")
    if spec is None or spec.origin is None:
        raise ImportError("figures in Chinese need a CJK font: `pip install zhplot` (it ships Noto Sans SC)")
    return Path(spec.origin).parent / "fonts" / "NotoSansSC-Regular.ttf"


def configure_tables() -> None:
    """For a language other than English: pandas pads printed tables counting a CJK character as two columns, as a
    monospaced font draws it, so the headers stay over their columns."""
    if language() == "en":
        return
    import pandas as pd

    pd.set_option("display.unicode.east_asian_width", True)


def configure_figures() -> None:
    """For a language other than English: matplotlib draws with a font of its script (Latin and maths falling back
    to DejaVu Sans), and a glyph missing from them raises instead of drawing an empty box."""
    if language() == "en":
        return
    import matplotlib
    from matplotlib import font_manager

    font = cjk_font()
    font_manager.fontManager.addfont(str(font))
    name = font_manager.FontProperties(fname=font).get_name()
    matplotlib.rcParams.update({"font.family": "sans-serif", "font.sans-serif": [name, "DejaVu Sans"],
                                "axes.unicode_minus": False})
    warnings.filterwarnings("error", message=r"Glyph \d+ .*missing from")
