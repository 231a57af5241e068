"""Writes of the ratings app, one module per subject."""
