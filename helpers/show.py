"""Show on the page the code that helpers/ really runs, so a notebook teaches the same lines the tests check."""

from __future__ import annotations

import html
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


def show_code(*objects: object, folded: bool = False, summary: str | None = None) -> Markdown:
    """Display the source of each object as a highlighted Python block (GitHub, Colab and JupyterLab render it).

    With `folded=True` the blocks sit inside a collapsed `<details>` block, so that code which would give away an
    exercise's answer stays hidden until the reader opens it; `summary` is the text of its clickable line.
    """
    if not objects:
        raise TypeError("show_code needs at least one function, method or class")
    if summary is not None and not folded:
        raise ValueError("summary is the title of a folded block: pass folded=True with it")
    blocks = "\n\n".join(f"```python\n{source(obj)}\n```" for obj in objects)
    if not folded:
        return Markdown(blocks)
    names = ", ".join(getattr(obj, "__qualname__", type(obj).__name__) for obj in objects)
    title = html.escape(summary if summary is not None else f"The course's code: {names}", quote=False)
    return Markdown(f"<details><summary>{title}</summary>\n\n{blocks}\n\n</details>")
