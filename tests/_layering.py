"""One scanner for "app X sits on top: no other app's Python imports it" (reports/, demo/)."""
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
_ALWAYS_SKIPPED = {".venv", "var", "node_modules", "tests", ".git", "static", "test-results"}


def import_pattern(app: str) -> re.Pattern:
    """An import of `app` by statement, importlib or Django's import_string."""
    return re.compile(rf"^\s*(from\s+{app}(\.|\s)|import\s+{app}\b)|import_module\(\s*[\"']{app}\b"
                      rf"|import_string\(\s*[\"']{app}\.", re.M)


def python_files_outside(app: str):
    """The project's Python files, `app`'s own, the tests and the tooling left out."""
    skip = _ALWAYS_SKIPPED | {app}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in skip or any(p.startswith(".") for p in parts):
            continue
        yield path


def importers_of(app: str) -> list[str]:
    pattern = import_pattern(app)
    return [str(p.relative_to(ROOT)) for p in python_files_outside(app) if pattern.search(p.read_text())]
