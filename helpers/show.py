"""Show on the page the code that helpers/ really runs, so a notebook teaches the same lines the tests check."""

from __future__ import annotations

import inspect
import textwrap

from IPython.display import Markdown


def source(obj: object) -> str:
    """The source code of a function, method or class, dedented."""
    try:
        return textwrap.dedent(inspect.getsource(obj)).rstrip()
    except (TypeError, OSError) as error:
        raise TypeError(f"cannot show the source of {obj!r}: only functions, methods and classes "
                        f"defined in a .py file have one") from error


def show_code(*objects: object) -> Markdown:
    """Display the source of each object as a highlighted Python block (GitHub, Colab and JupyterLab render it)."""
    if not objects:
        raise TypeError("show_code needs at least one function, method or class")
    blocks = [f"```python\n{source(obj)}\n```" for obj in objects]
    return Markdown("\n\n".join(blocks))
