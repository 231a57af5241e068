"""FilterSets, one per list, shared by the pages and the API (import from the submodules)."""
