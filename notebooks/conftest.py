"""nbval settings for re-executing the notebooks."""

from nbval.plugin import IPyNbCell


def pytest_collection_modifyitems(items):
    """Wait up to 60 s (nbval's default is 5 s) for a cell's last outputs, so a busy machine is not a failure."""
    for item in items:
        if isinstance(item, IPyNbCell):
            item.output_timeout = 60
