"""Renderers: the only code that turns results into text."""
