import pytest

from helpers.recurrent import final_hidden
from helpers.show import show_code, source


def test_source_is_the_real_definition():
    text = source(final_hidden)
    assert text.startswith("def final_hidden(") and "torch.cat" in text


def test_show_code_renders_a_python_block_per_object():
    shown = show_code(final_hidden, source)
    assert shown.data.count("```python\n") == 2 and "def source(" in shown.data


def test_objects_without_source_are_refused():
    with pytest.raises(TypeError, match="cannot show the source of"):
        source(len)
    with pytest.raises(TypeError, match="at least one"):
        show_code()


def test_folded_code_sits_in_a_collapsed_details_block():
    shown = show_code(final_hidden, source, folded=True)
    text = shown.data
    assert text.startswith("<details><summary>") and text.rstrip().endswith("</details>")
    assert "<details open" not in text  # collapsed until the reader opens it
    assert text.count("```python\n") == 2 and "def source(" in text
    assert "final_hidden" in text.split("</summary>")[0]  # the summary names what is folded
    # a blank line after </summary> and before </details>, so the Markdown inside is rendered, not shown raw
    assert "</summary>\n\n```python" in text and "```\n\n</details>" in text


def test_folded_summary_is_escaped_and_needs_folded():
    assert "<summary>a &lt;b&gt; c</summary>" in show_code(final_hidden, folded=True, summary="a <b> c").data
    with pytest.raises(ValueError, match="folded=True"):
        show_code(final_hidden, summary="title")
    assert "<details>" not in show_code(final_hidden).data
