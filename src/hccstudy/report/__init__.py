"""Report: renders results as tables, figures and text. Never recomputes statistics."""
