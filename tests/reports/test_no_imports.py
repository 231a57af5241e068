"""reports reads from every other app and is read by none: no other app's Python imports it (pages reach its
tiles through its template tag library only)."""
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SKIP = {".venv", "var", "node_modules", "tests", "reports", ".git", "static", "test-results"}
IMPORT = re.compile(r"^\s*(from\s+reports(\.|\s)|import\s+reports\b)|import_module\(\s*[\"']reports\b"
                    r"|import_string\(\s*[\"']reports\.", re.M)


def python_files_outside_reports():
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in SKIP or any(p.startswith(".") for p in parts):
            continue
        yield path


def test_the_scan_sees_the_other_apps():
    scanned = {p.relative_to(ROOT).parts[0] for p in python_files_outside_reports()}
    assert {"accounts", "communities", "complaints", "inspections", "config"} <= scanned


def test_no_other_app_imports_reports():
    offenders = [str(p.relative_to(ROOT)) for p in python_files_outside_reports() if IMPORT.search(p.read_text())]
    assert offenders == []


def test_the_pattern_catches_an_import():
    assert IMPORT.search("from reports.indicators import INDICATORS")
    assert IMPORT.search("    import reports")
    assert IMPORT.search("x = import_module('reports.selectors')")
    assert not IMPORT.search("from complaints import reports_page")
