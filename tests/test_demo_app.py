"""The demo (`demo/`, `manage.py seed_demo`) sits on top: it imports the other apps and no other app's Python
imports it; it is the last installed app and the only home of seed_demo."""
import re

from django.apps import apps
from django.conf import settings
from django.core.management import get_commands

from ._layering import ROOT, import_pattern, importers_of, python_files_outside

IMPORT = import_pattern("demo")


def python_files_outside_demo():
    return python_files_outside("demo")


def test_the_scan_sees_the_other_apps():
    scanned = {p.relative_to(ROOT).parts[0] for p in python_files_outside_demo()}
    assert {"accounts", "communities", "complaints", "inspections", "ratings", "subsidies", "reports",
            "config"} <= scanned


def test_no_other_app_imports_demo():
    assert importers_of("demo") == []


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
