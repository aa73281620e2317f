"""tools/course/translate.py: what is a message, how a translation is applied, and that code stays the same."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog
from support import FIXTURE

from course import editions, notebooks, translate
from course.notebooks import read_source

CODE = '''claim("the LSTM beats the RNN", a < b, f"LSTM {a:.2f} < RNN {b:.2f}")
print("device:", device)
tokenizer("The bank is closed")  # data, not text for the reader
display(Markdown(f"**{name}** has {n:,} weights and {{braces}}"))
ax.set_title("Loss per epoch" if x else 'other title')
%matplotlib inline
bar = progress(range(3), desc="training", unit="it")'''


def test_literals_are_the_strings_a_learner_reads_and_only_those():
    found = [(x.message, x.formatted) for x in translate.literals(CODE)]
    assert found == [("the LSTM beats the RNN", False), ("LSTM {a:.2f} < RNN {b:.2f}", True), ("device:", False),
                     ("**{name}** has {n:,} weights and {{braces}}", True), ("Loss per epoch", False),
                     ("other title", False), ("training", False)]


def test_literals_are_found_in_joins_shown_variables_figure_text_and_run_names():
    code = '''text = "Above " + ", ".join(items) + f" and {n} more."
text += "Then this."
display(Markdown(text))
ax.text(0.5, 0.2, "peak here", color="grey")
ax.annotate("start of epoch 2", xy=(1, 2))
tune(model, name="LSTM on 12 sentences")
tune(model, name="LSTM")
other = "not shown anywhere"'''
    assert [x.message for x in translate.literals(code)] == ["Above ", " and {n} more.", "Then this.", "peak here",
                                                             "start of epoch 2", "LSTM on 12 sentences"]


def test_a_translation_changes_only_those_literals_and_keeps_their_kind_and_fields():
    zh = translate.translate_code(CODE, lambda message, literal: "译" + message.replace('"', "'"))
    assert 'claim("译the LSTM beats the RNN", a < b, f"译LSTM {a:.2f} < RNN {b:.2f}")' in zh
    assert 'display(Markdown(f"译**{name}** has {n:,} weights and {{braces}}"))' in zh
    assert "ax.set_title(\"译Loss per epoch\" if x else '译other title')" in zh
    assert 'tokenizer("The bank is closed")' in zh and "%matplotlib inline" in zh
    assert translate.skeleton(zh) == translate.skeleton(CODE) != translate.skeleton(CODE.replace("a < b", "a > b"))
    assert translate.translate_code(CODE, lambda m, x: "中文") != CODE  # a script without Latin letters too
    assert translate.skeleton(translate.translate_code(CODE, lambda m, x: "中文")) == translate.skeleton(CODE)


def test_a_translated_literal_with_one_ideograph_is_still_a_literal():
    # "{a} vs {b}" may become "{a} 对 {b}": one letter, but a word, so the twin's skeleton blanks it like the English
    english, chinese = 'claim("x", a > b, f"{a:.0%} vs {b:.0%}")', 'claim("x", a > b, f"{a:.0%} 对 {b:.0%}")'
    assert [x.message for x in translate.literals(chinese)] == ["{a:.0%} 对 {b:.0%}"]
    assert translate.skeleton(english) == translate.skeleton(chinese)
    assert translate.literals('print(f"{a} x {b}")') == []  # one Latin letter is not text
    (colon,) = translate.literals('print(f"{name}: {error}")')  # no words, but a colon each language writes its way
    assert colon.message == "{name}: {error}" and len(translate.literals('print(f"{name}：{error}")')) == 1


LABELS = '''table = pd.DataFrame({"recurrent weights": w, f"choice {rank}": c}).rename_axis("model")
name = "bidirectional" if two_way else "left to right"
for mistake, state in [("h alone, without c", h), ("detach_state(state)", s)]:
    run(mistake)
settings = {"batch_size": 32}
x = h["val_bpc"] + table.loc["rnn", "recurrent weights"]
print(f"{name}: {acc['bidirectional']:.2f} of {kind!r}")
model = CharLM(kind="lstm", prompt="the government ")'''


def test_display_labels_are_messages_translated_wherever_they_occur():
    code = [LABELS]  # one cell
    labels = translate.labels(code)
    assert labels == {"recurrent weights", "bidirectional", "left to right", "h alone, without c",
                      "detach_state(state)"}  # a key that is a name (batch_size) is no label
    found = [x.message for cell in code for x in translate.literals(cell, labels)]
    assert found == ["recurrent weights", "choice {rank}", "model", "bidirectional", "left to right",
                     "h alone, without c", "detach_state(state)", "recurrent weights",
                     "{name}: {acc['bidirectional']:.2f} of {kind!r}"]
    table = {"recurrent weights": "循环层权重数", "bidirectional": "双向", "{name}: {acc['bidirectional']:.2f} of "
             "{kind!r}": "{name}：{acc['bidirectional']:.2f}，属于 {kind!r}"}
    zh = translate.translate_code(LABELS, lambda message, literal: table.get(message, message), labels)
    assert 'table.loc["rnn", "循环层权重数"]' in zh and '"双向" if two_way' in zh  # a key and its look-up agree
    assert "print(f\"{name}：{acc['双向']:.2f}，属于 {kind!r}\")" in zh  # a label inside an f-string's field too
    assert 'kind="lstm", prompt="the government "' in zh and 'h["val_bpc"]' in zh  # data, not labels
    zh_labels = translate.labels([zh])
    assert translate.skeleton(zh, zh_labels) == translate.skeleton(LABELS, labels)
    assert translate.skeleton(zh.replace("two_way", "one_way"), zh_labels) != translate.skeleton(LABELS, labels)


def test_quotes_and_newlines_in_a_translation_are_escaped():
    (literal,) = translate.literals('print("a line")')
    assert translate.literal_source(literal, 'say "hi"\nthen {x}') == '"say \\"hi\\"\\nthen {x}"'
    (formatted,) = translate.literals('print(f"{x} items")')
    assert translate.literal_source(formatted, '{x} 个"项"') == 'f"{x} 个\\"项\\""'


def test_fields_of_a_template_ignore_doubled_braces():
    assert translate.fields("**{name}** {n:,} {{x}} {v:{w}.2f}") == ["{name}", "{n:,}", "{v:{w}.2f}"]


def test_markdown_blocks_keep_fences_and_display_maths_whole():
    text = "# Title\n\nOne\ntwo\n\n```python\nx = 1\n\ny = 2\n```\n\n$$\na\n\nb\n$$\n\n</details>"
    assert translate.blocks(text) == ["# Title", "One\ntwo", "```python\nx = 1\n\ny = 2\n```", "$$\na\n\nb\n$$",
                                      "</details>"]
    assert [translate.has_text(b) for b in translate.blocks(text)] == [True, True, False, False, False]
    assert translate.translate_markdown(text, lambda b: b.upper()).startswith("# TITLE\n\nONE\nTWO\n\n```python\nx")


def test_links_are_re_pointed_for_a_twin_one_folder_down():
    badge = ("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research"
             ".google.com/github/o/r/blob/main/notebooks/01_word_embeddings.ipynb)")
    out = translate.relink(f"{badge} [data](../data/README.md) [guide](TEACHERS.md) [02](02_x.ipynb)", "zh-CN")
    assert "blob/main/notebooks/zh-CN/01_word_embeddings.ipynb" in out
    assert "[data](../../data/README.md)" in out and "[guide](../TEACHERS.md)" in out and "[02](02_x.ipynb)" in out


@pytest.mark.parametrize("english", notebooks.setup_cells(), ids=lambda cell: "installs" if '"pip"' in cell else "none")
def test_the_set_up_cell_of_a_twin_finds_the_course_two_folders_up_and_sets_the_language(english):
    twin = translate.setup_cell(english, "zh-CN")  # every notebook's, those that install nothing included
    assert 'os.path.abspath("../..")' in twin and "notebooks/zh-CN" in twin
    assert "# opened from notebooks/zh-CN/ without" in twin  # the comment names the twin's folder
    course = next(line for line in twin.splitlines() if "course = [" in line)  # on Colab it installs the font too
    assert course.endswith('("zhplot", "zhplot")]') and '"pip", "install"' in twin
    before = next((line.strip() for line in english.splitlines() if "course = [" in line), "course = []")
    assert course.strip() == before[:-1] + (", " if before != "course = []" else "") + '("zhplot", "zhplot")]'
    assert twin.endswith('os.environ["COURSE_LANGUAGE"] = "zh-CN"  # the helpers\' messages and figures')
    with pytest.raises(translate.TranslationError, match="no longer contains"):
        translate.setup_cell("print(1)", "zh-CN")


def _catalog(entries: dict[str, str], fuzzy: set[str] = frozenset()) -> Catalog:
    catalog = Catalog(locale="zh_CN")
    for message, string in entries.items():
        catalog.add(message, string, flags=["fuzzy"] if message in fuzzy else [])
    return catalog


def test_a_missing_a_fuzzy_or_a_field_changing_translation_stops_the_translation():
    learner = editions.learner_edition(read_source(FIXTURE), FIXTURE.name)
    messages = [m for m, _, _ in translate.notebook_messages(learner)]
    full = {m: f"【{m}】" for m in messages}
    twin = translate.translate_notebook(learner, "zh-CN", _catalog(full))
    code = [(a.source, b.source) for a, b in zip(learner.cells, twin.cells) if a.cell_type == "code"]
    labels, twin_labels = translate.notebook_labels(learner), translate.notebook_labels(twin)
    assert all(translate.skeleton(a, labels) == translate.skeleton(b, twin_labels) for a, b in code)
    assert twin.cells[0].source.startswith("【# 99 · A tiny notebook")
    with pytest.raises(translate.TranslationError, match="1 message"):
        translate.translate_notebook(learner, "zh-CN", _catalog({**full, messages[3]: ""}))
    with pytest.raises(translate.TranslationError, match=r"\(fuzzy\)"):
        translate.translate_notebook(learner, "zh-CN", _catalog(full, fuzzy={messages[3]}))
    source = 'print(f"{base} and {answer}")'
    with pytest.raises(translate.TranslationError, match="fields differ"):
        translator = translate.Translator(_catalog({"{base} and {answer}": "{base} 和"}))
        translate.translate_code(source, translator)
        translator.done("test")


def test_the_glossary_flags_another_rendering_of_a_term():
    terms = translate.glossary("zh-CN")
    assert {t.english for t in terms} >= {"word embedding", "one-hot", "negative sampling", "gradient clipping",
                                          "perplexity", "bits per character", "long short-term memory"}
    catalog = _catalog({"Gradient clipping caps the norm.": "梯度截断限制范数。",
                        "A one-hot vector": "独热向量", "The LSTM's perplexity": "它的 perplexity",
                        "Negative sampling": "只取几个词"})
    found = translate.glossary_problems(catalog, terms)
    assert any("'梯度截断'" in p for p in found) and any("'negative sampling' without '负采样'" in p for p in found)
    assert not any("独热" in p for p in found) and not any("perplexity" in p for p in found)


def test_every_catalog_uses_the_glossary():
    terms = translate.glossary("zh-CN")
    problems = {path.name: translate.glossary_problems(translate.read_catalog(path), terms)
                for path in sorted(translate.LOCALES.glob("*/*.po"))}
    assert {name: found for name, found in problems.items() if found} == {}


# --- the committed twins (notebooks/zh-CN/NN_name.ipynb): built from today's English and catalog ---

TWINS = [(source, translate.twin(f"{source.stem}.ipynb", language)) for language in translate.LANGUAGES
         for source in notebooks.sources() if translate.twin(f"{source.stem}.ipynb", language).exists()]


def _twin_id(pair) -> str:
    return pair[1].relative_to(notebooks.NOTEBOOKS).as_posix()


@pytest.mark.parametrize("pair", TWINS, ids=_twin_id)
def test_a_committed_twin_is_its_english_learner_edition_through_a_complete_catalog(pair):
    import nbformat

    source, path = pair
    language = path.parent.name
    learner = editions.learner_edition(read_source(source), source.name)
    built = translate.translated_edition(learner, source, language)  # refuses a missing or fuzzy translation
    committed = nbformat.read(path, as_version=4)
    cells = [(c.id, c.cell_type, c.source, c.metadata.get("tags", [])) for c in committed.cells]
    assert cells == [(c.id, c.cell_type, c.source, c.metadata.get("tags", [])) for c in built.cells], \
        f"{_twin_id(pair)} is stale: run `python notebooks/build.py {source.stem[:2]} --lang {language}`"
    assert committed.metadata.get("language") == language


@pytest.mark.parametrize("pair", TWINS, ids=_twin_id)
def test_a_committed_twins_code_is_its_english_twins_code(pair):
    import nbformat

    source, path = pair
    english = nbformat.read(notebooks.NOTEBOOKS / path.name, as_version=4)
    twin = nbformat.read(path, as_version=4)
    code = [(e.source, t.source) for e, t in zip(english.cells, twin.cells) if e.cell_type == "code"]
    assert len(english.cells) == len(twin.cells)
    assert [c.cell_type for c in english.cells] == [c.cell_type for c in twin.cells]
    setup, rest = code[0], code[1:]
    assert setup[1] == translate.setup_cell(setup[0], path.parent.name)
    labels, twin_labels = translate.notebook_labels(english), translate.notebook_labels(twin)  # each its own
    differ = [i for i, (e, t) in enumerate(rest, start=1)
              if translate.skeleton(e, labels) != translate.skeleton(t, twin_labels)]
    assert differ == [], f"code cells {differ} of {_twin_id(pair)} differ from the English beyond their text"


ENGLISH_RUN = re.compile(r"\b[A-Za-z][A-Za-z'’-]*(?:[ ,;:]+[A-Za-z][A-Za-z'’-]*){3,}")  # four English words in a row
NOT_PROSE = [re.compile(pattern, re.S) for pattern in (
    r"```.*?```", r"`[^`]*`", r"\$\$.*?\$\$", r"\$[^$]*\$", r"https?://\S+", r"\]\([^)]*\)", r"<[^>]+>",
    r"\[\*[^\]]*\*\]",  # an italic link title: a paper's or a book's name
    r"“[^”]*”", r'"[^"]*"', r"《[^》]*》", r"（[^）]*）", r"\([A-Za-z][^)]*\)",  # quoted data, titles, English asides
    r"'[^']*'",  # a quoted sentence of the data in a claim
)]


def english_runs(text: str) -> list[str]:
    """Runs of four or more English words in a twin's text, once code, maths, links, quotes and asides are out."""
    for pattern in NOT_PROSE:
        text = pattern.sub(" ", text)
    return ENGLISH_RUN.findall(text)


def test_english_runs_are_found_in_prose_and_not_in_code_quotes_or_asides():
    assert english_runs("这是 the best a model can do 的说明") == ["the best a model can do"]
    assert english_runs("调用 `model.loss(pair_ids, context_ids)`，见 [*Efficient Estimation of Word "
                        "Representations*](https://arxiv.org/abs/1301.3781)，数据“I love deep learning”") == []
    assert english_runs("困惑度（perplexity of the model）与 $\\log p(x \\mid y)$ 有关") == []


@pytest.mark.parametrize("pair", TWINS, ids=_twin_id)
def test_a_committed_twin_shows_no_english_sentence(pair):
    """Its markdown, its rendered Markdown and its claim lines are in the twin's language (figures are images)."""
    import nbformat

    found = []
    for index, cell in enumerate(nbformat.read(pair[1], as_version=4).cells):
        texts = [cell.source] if cell.cell_type == "markdown" else []
        for output in cell.get("outputs", []):
            markdown = output.get("data", {}).get("text/markdown", "")
            texts += [markdown] if not markdown.lstrip().startswith("```") else []  # show_code's code is English
            texts += [line for line in output.get("text", "").splitlines() if line.startswith(("✔", "✘"))]
        found += [f"cell {index}: {run}" for text in texts for run in english_runs(text)]
    assert found == [], f"{_twin_id(pair)} shows English (translate it in its catalog):\n" + "\n".join(found)
