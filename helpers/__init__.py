"""Small, tested helpers for the NLP-basics notebooks: one module per concern."""

__version__ = "0.1.0"
