#!/usr/bin/env python3
"""Fail when a file under static/ references a file that does not exist.

`collectstatic` with ManifestStaticFilesStorage (production, DEBUG=0) rewrites
every reference it finds in CSS and JS to the hashed name of its target, and
aborts when the target is missing; the portal then answers 500 on every page.
This check finds the same references earlier, without Django:

- JS:  a line `//# sourceMappingURL=<file>`
- CSS: a line `/*# sourceMappingURL=<file> */`, every `url(...)` and `@import`

data: URIs, fragments (`#id`) and absolute http(s)/protocol-relative URLs are
skipped; `?query` and `#fragment` suffixes are ignored. An absolute path must
be under /static/. Standard library only; run from anywhere:

    python3 deploy/check_vendored.py [STATIC_DIR]
"""
from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
STATIC_URL = "/static/"

# The same patterns Django's ManifestStaticFilesStorage uses (Django 5.2).
JS_SOURCEMAP = re.compile(r"(?m)^//# (?-i:sourceMappingURL)=(?P<url>.*)$")
CSS_SOURCEMAP = re.compile(r"(?m)^/\*#[ \t](?-i:sourceMappingURL)=(?P<url>.*?)[ \t]*\*/$")
CSS_URL = re.compile(r"""url\((?P<quote>['"]{0,1})\s*(?P<url>.*?)(?P=quote)\)""")
CSS_IMPORT = re.compile(r"""@import\s*["']\s*(?P<url>.*?)["']""")


def references(path: Path, text: str):
    if path.suffix == ".js":
        patterns = [JS_SOURCEMAP]
    elif path.suffix == ".css":
        patterns = [CSS_SOURCEMAP, CSS_URL, CSS_IMPORT]
    else:
        return
    for pattern in patterns:
        for match in pattern.finditer(text):
            yield match.group("url").strip()


def target(static_dir: Path, path: Path, url: str) -> Path | None:
    """The file `url` (found in `path`) points to, or None when it is not a local file."""
    if not url or url.startswith(("#", "data:")):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    ref = unquote(parts.path)
    if ref.startswith("/"):
        if not ref.startswith(STATIC_URL):
            return Path("/nonexistent-outside-static") / ref.lstrip("/")
        return static_dir / ref[len(STATIC_URL):]
    return path.parent / ref


def main(argv: list[str]) -> int:
    static_dir = Path(argv[1]).resolve() if len(argv) > 1 else ROOT / "static"
    checked, problems = 0, []
    for path in sorted(static_dir.rglob("*")):
        if not path.is_file() or path.suffix not in (".js", ".css"):
            continue
        checked += 1
        text = path.read_text(encoding="utf-8", errors="replace")
        for url in references(path, text):
            dest = target(static_dir, path, url)
            if dest is None:
                continue
            dest = dest.resolve()
            rel = path.relative_to(static_dir)
            if not dest.is_relative_to(static_dir):
                problems.append(f"{rel}: {url!r} points outside {static_dir.name}/")
            elif not dest.is_file():
                problems.append(f"{rel}: {url!r} -> {dest.relative_to(static_dir)} does not exist")
    for problem in problems:
        print(f"MISSING  {problem}")
    status = "FAIL" if problems else "OK"
    print(f"check_vendored: {status}: {checked} CSS/JS files under {static_dir}, {len(problems)} missing reference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
