"""Widgets, one module per feature of the screen."""
