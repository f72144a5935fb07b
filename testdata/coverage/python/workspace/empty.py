"""A module with no statements but this docstring."""
