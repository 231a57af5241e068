"""The README and docs/ name only what exists: every relative link points to a file of the repository (and to a
heading of it, when it names one), every path in backticks (`accounts/menu.py`, `tests/e2e/`) exists, every
test named (`tests/x/test_y.py::test_z`) is defined there, and every dotted name of the project's own code in
backticks (`accounts.versions.version_in_force`, or a Celery task name such as `ratings.run_quarterly`)
imports. So the docs fail CI when code moves or is renamed, instead of quietly sending readers nowhere."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DOCS = sorted((ROOT / "docs").glob("*.md"))
FILES = [ROOT / "README.md", *DOCS]
IDS = [str(p.relative_to(ROOT)) for p in FILES]

FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
# [text](target) and [text](target "title"); images too. Targets with a scheme, an absolute URL path (an
# address of the running portal) or only an anchor are not files.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|/|#)", re.I)
CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
# A path: segments of word characters, dots and dashes joined by "/"; no spaces, wildcards or variables.
PATH = re.compile(r"^(?:\.{0,2}[\w-][\w.-]*/)+(?:[\w-][\w.-]*)?$")
# Paths that name what running the portal creates, not files of the repository.
RUNTIME = ("var/", "test-results/", ".venv/")
# A span is taken for a path of the repository when it starts at a top-level entry (`accounts/`, `.ci/run`)
# or names a file by its extension; rates such as `10/h` or `600/min` are neither.
EXTENSIONS = (".py", ".html", ".md", ".js", ".css", ".txt", ".ini", ".yml", ".yaml", ".sh", ".json", ".toml", ".po")
# A test named as pytest takes it on its command line.
NODE = re.compile(r"^([\w./-]+\.py)::(\w+)$")
# A dotted name: at least two identifiers.
DOTTED = re.compile(r"^[a-z_][a-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")


def markdown(path: Path) -> str:
    """The Markdown without its fenced code blocks (shell sessions and trees, not references)."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def spans(text: str) -> list[str]:
    return [s.strip() for s in CODE.findall(text)]


def packages() -> set[str]:
    """The project's own top-level Python packages (accounts, communities, config, …)."""
    return {p.parent.name for p in ROOT.glob("*/__init__.py") if not p.parent.name.startswith(".")}


def anchors(text: str) -> set[str]:
    """GitHub's ids of the headings: lower case, punctuation dropped, spaces as hyphens."""
    out = set()
    for heading in HEADING.findall(text):
        plain = re.sub(r"[`*_]", "", heading).strip().lower()
        out.add(re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", plain)))
    return out


def relative_links(text: str) -> list[str]:
    return [target for target in LINK.findall(text) if not EXTERNAL.match(target)]


def broken_links(text: str, base: Path) -> list[str]:
    """Relative links (from a file in `base`) to no file, or to a heading the Markdown file does not have."""
    missing = []
    for target in relative_links(text):
        file_part, _hash, anchor = target.partition("#")
        file = (base / file_part).resolve()
        if not file.exists() or (anchor and file.suffix == ".md" and anchor not in anchors(markdown(file))):
            missing.append(target)
    return missing


def code_paths(text: str) -> list[str]:
    out = []
    for span in spans(text):
        if not PATH.match(span) or span.startswith(RUNTIME):
            continue
        if (ROOT / span.split("/", 1)[0]).exists() or span.endswith(EXTENSIONS):
            out.append(span)
    return out


def named_tests(text: str) -> list[tuple[str, str]]:
    return [m.groups() for m in map(NODE.match, spans(text)) if m]


def defines(path: str, name: str) -> bool:
    file = ROOT / path
    return file.is_file() and re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{name}\b", file.read_text(),
                                        re.M) is not None


def dotted_names(text: str) -> list[str]:
    own = packages()
    return [span for span in spans(text) if DOTTED.match(span) and span.split(".", 1)[0] in own]


def celery_task_names() -> set[str]:
    from config.celery import app

    app.autodiscover_tasks(force=True)
    return set(app.tasks)


def resolves(name: str, tasks: set[str]) -> bool:
    """A module, an attribute reached from the longest importable module prefix, or a Celery task name."""
    if name in tasks:
        return True
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_there_are_docs_to_check():
    assert {"README.md", "architecture.md", "domain.md", "policies.md", "howto.md"} <= {p.name for p in DOCS}


def test_the_index_links_every_page():
    index = ROOT / "docs" / "README.md"
    linked = {(index.parent / target.partition("#")[0]).resolve() for target in relative_links(markdown(index))}
    assert {p.resolve() for p in DOCS if p != index} <= linked


@pytest.mark.parametrize("doc", FILES, ids=IDS)
def test_every_relative_link_points_to_a_file_of_the_repository_and_its_heading(doc):
    assert broken_links(markdown(doc), doc.parent) == []


@pytest.mark.parametrize("doc", FILES, ids=IDS)
def test_every_path_in_backticks_exists(doc):
    assert [path for path in code_paths(markdown(doc)) if not (ROOT / path).exists()] == []


@pytest.mark.parametrize("doc", FILES, ids=IDS)
def test_every_test_named_is_defined(doc):
    assert [f"{path}::{name}" for path, name in named_tests(markdown(doc)) if not defines(path, name)] == []


@pytest.mark.parametrize("doc", FILES, ids=IDS)
def test_every_dotted_name_of_the_projects_code_imports(doc):
    tasks = celery_task_names()
    assert [name for name in dotted_names(markdown(doc)) if not resolves(name, tasks)] == []


# --- the checks themselves catch what they should ---------------------------------------------------------

SAMPLE = """# Top
See [the menu](../accounts/menu.py), [gone](nowhere.md), [web](https://example.org), [a page](/ratings/public/),
[a heading](domain.md#roles-and-scope), [no such heading](domain.md#nope), [here](#top).

Code: `accounts/menu.py`, `accounts/nomenu.py`, `nodir/x.py`, `var/portal.sqlite3`, `make run`, `/api/v1/`,
`600/min`, `accounts.versions.version_in_force`, `accounts.versions.no_such_thing`, `ratings.run_quarterly`,
`django.db.models`, `tests/test_docs.py::test_there_are_docs_to_check`, `tests/test_docs.py::test_gone`.

```sh
`accounts/ignored_in_a_fence.py`
```
"""


def test_the_checks_catch_a_broken_link_a_moved_file_a_renamed_test_and_a_renamed_function(tmp_path):
    doc = tmp_path / "sample.md"
    doc.write_text(SAMPLE, encoding="utf-8")
    text, base = markdown(doc), ROOT / "docs"  # read as if it were a page of docs/
    assert relative_links(text) == ["../accounts/menu.py", "nowhere.md", "domain.md#roles-and-scope",
                                    "domain.md#nope"]
    assert broken_links(text, base) == ["nowhere.md", "domain.md#nope"]
    assert code_paths(text) == ["accounts/menu.py", "accounts/nomenu.py", "nodir/x.py"]
    assert named_tests(text) == [("tests/test_docs.py", "test_there_are_docs_to_check"),
                                 ("tests/test_docs.py", "test_gone")]
    assert [defines(*node) for node in named_tests(text)] == [True, False]
    names = dotted_names(text)
    assert names == ["accounts.versions.version_in_force", "accounts.versions.no_such_thing",
                     "ratings.run_quarterly"]
    tasks = celery_task_names()
    assert [resolves(name, tasks) for name in names] == [True, False, True]
