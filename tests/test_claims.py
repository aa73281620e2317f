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


MAX_STATEMENT, MAX_LINES, MAX_CONDITIONS = 110, 3, 2


def _claim_calls(source: str):
    """Every claim(...) call in a notebook source, as (line, statement, lines, conditions)."""
    import ast

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "claim":
            condition = node.args[1]
            n_and = len(condition.values) if isinstance(condition, ast.BoolOp) and isinstance(
                condition.op, ast.And) else 1
            first = node.args[0]  # a plain string, or an f-string: its text with "{}" for each value
            parts = first.values if isinstance(first, ast.JoinedStr) else [first]
            statement = "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in parts)
            yield node.lineno, statement, node.end_lineno - node.lineno + 1, n_and


def test_claim_shape_finds_long_statements_calls_and_conjunctions():
    source = ('claim("short", a < b, "m")\n'
              f'claim("{"x" * (MAX_STATEMENT + 1)}", a and b and c,\n  "m",\n  )\n'
              'claim(f"at {n} steps", a or b, "m")\n')
    assert list(_claim_calls(source)) == [(1, "short", 1, 1), (2, "x" * (MAX_STATEMENT + 1), 3, 3),
                                          (5, "at {} steps", 1, 1)]


def test_every_notebook_claim_is_short_enough_to_read_in_the_lesson():
    from pathlib import Path

    problems = []
    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks" / "src").glob("0*.py")):
        for line, statement, lines, conditions in _claim_calls(path.read_text(encoding="utf-8")):
            if len(statement) > MAX_STATEMENT or lines > MAX_LINES or conditions > MAX_CONDITIONS:
                problems.append(f"{path.name}:{line}: {len(statement)} characters, {lines} lines, "
                                f"{conditions} conditions")
    assert not problems, (f"claims longer than {MAX_STATEMENT} characters, {MAX_LINES} lines or "
                          f"{MAX_CONDITIONS} conditions (split them):\n" + "\n".join(problems))
