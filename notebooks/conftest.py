"""nbval settings for re-executing the notebooks."""

import os

from nbval.plugin import IPyNbCell

# The kernels nbval starts inherit this environment: a failed claim raises (helpers.claims), and progress
# bars are plain text, as when the notebooks were built.
os.environ.update({"COURSE_STRICT_CLAIMS": "1", "COURSE_PLAIN_PROGRESS": "1"})


def pytest_collection_modifyitems(items):
    """Wait up to 60 s (nbval's default is 5 s) for a cell's last outputs, so a busy machine is not a failure."""
    for item in items:
        if isinstance(item, IPyNbCell):
            item.output_timeout = 60
