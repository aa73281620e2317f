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
