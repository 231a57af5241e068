"""Writes of the inspections app, one module per subject (ARCHITECTURE.md: services/ package)."""
