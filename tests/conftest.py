import sys
from pathlib import Path

import matplotlib
import pytest

# The course's notebook tooling (tools/course) and the classroom command line, as the tests import them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

# Headless plotting for the unit tests. Not through the MPLBACKEND variable: that would leak into the
# kernels nbval starts from this same pytest run and change how the notebooks display their figures.
matplotlib.use("Agg")


@pytest.fixture(scope="session")
def bert():
    """The offline MiniLM (BERT architecture), loaded once for every test module that needs it."""
    from helpers.contextual import load_bert

    return load_bert()
