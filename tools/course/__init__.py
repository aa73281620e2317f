"""The course's notebook tooling, one module per job (teachers' and contributors' tools; no notebook imports it).

- notebooks: the sources, reading one with its set-up cell, the kernel environment, executing and tidying;
- cells: the exercise format (nbgrader's conventions) and its validation;
- editions: the learner edition (worked solutions folded away), the student edition, an nbgrader course folder;
- grading: every submission's checks, the notebook's other cells run once;
- slides: a reveal.js deck per notebook.

`notebooks/build.py`, `tools/run_notebooks.py`, `tools/classroom.py` and nbval's `notebooks/conftest.py` are
the command-line ends of these modules.
"""
