import pytest

from helpers.claims import SEPARATOR, ClaimError, claim


def test_a_claim_that_holds_prints_a_tick_and_the_values(capsys, monkeypatch):
    monkeypatch.delenv("COURSE_STRICT_CLAIMS", raising=False)
    assert claim("two beats one", 2 > 1, "2 > 1") is None  # nothing for a notebook to echo as Out[..]
    assert capsys.readouterr().out == f"✔ two beats one{SEPARATOR}2 > 1\n"


def test_a_failed_claim_prints_a_cross_and_goes_on_unless_strict(capsys, monkeypatch):
    monkeypatch.delenv("COURSE_STRICT_CLAIMS", raising=False)
    claim("one beats two", 1 > 2, "1 vs 2")
    assert capsys.readouterr().out.startswith("✘ one beats two")


def test_strict_mode_raises_on_a_failed_claim(monkeypatch):
    monkeypatch.setenv("COURSE_STRICT_CLAIMS", "1")
    with pytest.raises(ClaimError, match="✘ one beats two — measured: 1 vs 2"):
        claim("one beats two", False, "1 vs 2")
    claim("fine", True, "ok")  # a claim that holds never raises


def test_the_nbval_sanitizer_hides_only_the_measured_part():
    import configparser
    import re
    from pathlib import Path

    config = configparser.ConfigParser()
    config.read(Path(__file__).parents[1] / "notebooks" / "nbval_sanitize.cfg", encoding="utf-8")
    section = config["claims"]
    masked = re.sub(section["regex"], section["replace"], f"✔ LSTM beats RNN{SEPARATOR}1.92 < 2.31\n✔ next")
    assert masked == f"✔ LSTM beats RNN{SEPARATOR}…\n✔ next"


def test_a_claim_in_the_chinese_edition_prints_the_chinese_separator_and_the_sanitizer_hides_its_digits(
        capsys, monkeypatch):
    import configparser
    import re
    from pathlib import Path

    from support import helpers_translation

    from helpers.claims import separator

    monkeypatch.delenv("COURSE_STRICT_CLAIMS", raising=False)
    monkeypatch.setenv("COURSE_LANGUAGE", "zh-CN")
    zh_separator = " — " + helpers_translation()["measured: "]
    assert separator() == zh_separator != SEPARATOR
    claim("LSTM 胜过 RNN", True, "1.92 < 2.31")
    printed = capsys.readouterr().out
    assert printed == f"✔ LSTM 胜过 RNN{zh_separator}1.92 < 2.31\n"
    config = configparser.ConfigParser()
    config.read(Path(__file__).parents[1] / "notebooks" / "nbval_sanitize.cfg", encoding="utf-8")
    masked = printed + "✔ next"
    for section in config.sections():
        masked = re.sub(config[section]["regex"], config[section]["replace"], masked)
    assert masked == f"✔ LSTM 胜过 RNN{zh_separator}…\n✔ next"
