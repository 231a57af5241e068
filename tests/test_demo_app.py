"""The demo (`demo/`, `manage.py seed_demo`) sits on top: it imports the other apps and no other app's Python
imports it; it is the last installed app and the only home of seed_demo."""
import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(settings.BASE_DIR)
SKIP = {".venv", "var", "node_modules", "tests", "demo", ".git", "static", "test-results"}
IMPORT = re.compile(r"^\s*(from\s+demo(\.|\s)|import\s+demo\b)|import_module\(\s*[\"']demo\b"
                    r"|import_string\(\s*[\"']demo\.", re.M)


def python_files_outside_demo():
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in SKIP or any(p.startswith(".") for p in parts):
            continue
        yield path


def test_the_scan_sees_the_other_apps():
    scanned = {p.relative_to(ROOT).parts[0] for p in python_files_outside_demo()}
    assert {"accounts", "communities", "complaints", "inspections", "ratings", "subsidies", "reports",
            "config"} <= scanned


def test_no_other_app_imports_demo():
    offenders = [str(p.relative_to(ROOT)) for p in python_files_outside_demo() if IMPORT.search(p.read_text())]
    assert offenders == []


def test_the_pattern_catches_an_import():
    assert IMPORT.search("from demo.world import DEMO_PASSWORD")
    assert IMPORT.search("    import demo")
    assert IMPORT.search("x = import_module('demo.dates')")
    assert not IMPORT.search("from complaints import demo_rows")
    assert not IMPORT.search("from demography import x")


def test_demo_is_the_last_app_and_owns_seed_demo():
    assert settings.INSTALLED_APPS[-1] == "demo"
    assert apps.get_app_config("demo").label == "demo"
    assert get_commands()["seed_demo"] == "demo"
    assert not (ROOT / "communities" / "management").exists()


def test_the_demo_imports_the_other_apps():
    text = "\n".join(p.read_text() for p in (ROOT / "demo").rglob("*.py"))
    for app in ("accounts", "communities", "enterprises", "inspections", "ratings", "subsidies", "complaints"):
        assert re.search(rf"^from {app}[.\s]", text, re.M), app
