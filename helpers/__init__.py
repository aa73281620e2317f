"""Small, tested helpers for the NLP-basics notebooks: one module per concern."""

__version__ = "0.1.0"

from helpers.i18n import configure_figures, configure_tables

configure_figures()  # in a translated notebook: a font for its script (see helpers/i18n.py)
configure_tables()  # ... and printed tables padded for its characters' width
