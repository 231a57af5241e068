"""reports reads from every other app and is read by none: no other app's Python imports it (pages reach its
tiles through its template tag library only)."""
from .._layering import ROOT, import_pattern, importers_of, python_files_outside

IMPORT = import_pattern("reports")


def python_files_outside_reports():
    return python_files_outside("reports")


def test_the_scan_sees_the_other_apps():
    scanned = {p.relative_to(ROOT).parts[0] for p in python_files_outside_reports()}
    assert {"accounts", "communities", "complaints", "inspections", "config"} <= scanned


def test_no_other_app_imports_reports():
    assert importers_of("reports") == []


def test_the_pattern_catches_an_import():
    assert IMPORT.search("from reports.indicators import INDICATORS")
    assert IMPORT.search("    import reports")
    assert IMPORT.search("x = import_module('reports.selectors')")
    assert not IMPORT.search("from complaints import reports_page")
