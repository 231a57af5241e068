#!/usr/bin/env python3
"""HTTP half of the production smoke (deploy/prod_smoke.sh starts the servers).

    python3 deploy/smoke_http.py http://127.0.0.1:PORT USERNAME PASSWORD

Talks to gunicorn the way nginx would in production: every request carries
`X-Forwarded-Proto: https` (the server runs with HTTPS=1 and BEHIND_PROXY=1),
and the browser-side URLs (Referer, Origin) are https://. Cookies are kept by
hand: they are `Secure`, which http.cookiejar would refuse to send over the
plain-HTTP loopback connection.

Checks, each printed as one line:
- without the proxy header the server redirects to https:// (HTTPS=1 is on);
- the login form: GET (csrftoken cookie + csrfmiddlewaretoken), POST with
  Referer and Origin, 302 and a Secure session cookie;
- each app's main page answers 200 and links at least one static file with a
  manifest hash (name.<12 hex>.css/js); every /static/ URL on the page answers
  200, and so does every file a served CSS/JS references (fonts, source maps);
- /api/estates/ answers 200 with JSON holding at least one estate.

Exit status 0 when every check passed, 1 otherwise. Standard library only.
"""
from __future__ import annotations

import http.client
import json
import re
import sys
import time
from urllib.parse import urlencode, urljoin, urlsplit

PAGES = [
    # (label, path): the main page of every app, as the nav links them.
    ("home", "/"),
    ("estates", "/estates/"),
    ("streets", "/streets/"),
    ("communities", "/communities/"),
    ("owner committees", "/committees/"),
    ("firms", "/firms/"),
    ("contracts", "/contracts/"),
    ("inspections", "/inspections/"),
    ("rectification orders", "/orders/"),
    ("rubrics", "/rubrics/"),
    ("rating policies", "/ratings/policies/"),
    ("rating periods", "/ratings/periods/"),
    ("rating applications", "/ratings/applications/"),
    ("public ratings", "/ratings/public/"),
    ("payout batches", "/subsidies/batches/"),
    ("subsidy policies", "/subsidies/policies/"),
]
API = [("API estates", "/api/estates/")]

HASHED = re.compile(r"\.[0-9a-f]{12}\.(?:css|js)$")
STATIC_IN_HTML = re.compile(r"""(?:href|src)=["'](/static/[^"'#?]+)""")
CSRF_INPUT = re.compile(r"""name=["']csrfmiddlewaretoken["']\s+value=["']([^"']+)""")
CSS_REF = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")
MAP_REF = re.compile(r"(?m)^(?://|/\*)# sourceMappingURL=(\S+?)(?:\s*\*/)?$")


class Client:
    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        # What the browser sees in front of the proxy.
        self.public = f"https://{parts.hostname}:{parts.port}"
        self.cookies: dict[str, str] = {}
        self.set_cookie_lines: list[str] = []

    def request(self, method, path, body=None, headers=None, proxy=True):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        hdrs = {"User-Agent": "portal-prod-smoke"}
        if proxy:
            hdrs["X-Forwarded-Proto"] = "https"
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        hdrs.update(headers or {})
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        for line in resp.headers.get_all("Set-Cookie") or []:
            self.set_cookie_lines.append(line)
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in line.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        conn.close()
        return resp.status, resp.headers, data


class Report:
    def __init__(self):
        self.failures = 0

    def line(self, ok: bool, status, label: str, detail: str = ""):
        if not ok:
            self.failures += 1
        print(f"{'PASS' if ok else 'FAIL'}  {status!s:>4}  {label:<22} {detail}", flush=True)


def main(base: str, username: str, password: str) -> int:
    c, r = Client(base), Report()

    # 1. HTTPS=1: plain HTTP without the proxy's header is redirected.
    status, headers, _ = c.request("GET", "/accounts/login/", proxy=False)
    location = headers.get("Location", "")
    r.line(status in (301, 302) and location.startswith("https://"), status,
           "no X-Forwarded-Proto", f"-> {location or '(no redirect)'}")

    # 2. Log in through the form like a browser.
    c.cookies.clear()
    status, _, body = c.request("GET", "/accounts/login/")
    token = CSRF_INPUT.search(body.decode("utf-8", "replace"))
    ok = status == 200 and token is not None and "csrftoken" in c.cookies
    r.line(ok, status, "login form", "GET /accounts/login/ (csrftoken cookie + csrfmiddlewaretoken)")
    if not ok:
        return 1
    form = urlencode({"csrfmiddlewaretoken": token.group(1), "username": username,
                      "password": password, "next": ""})
    status, headers, _ = c.request("POST", "/accounts/login/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"{c.public}/accounts/login/",
        "Origin": c.public,
    })
    session_line = next((s for s in c.set_cookie_lines if s.startswith("sessionid=")), "")
    ok = status == 302 and "sessionid" in c.cookies and "secure" in session_line.lower()
    r.line(ok, status, "login POST", f"as {username} -> {headers.get('Location', '')}"
           f" (sessionid {'Secure' if 'secure' in session_line.lower() else 'NOT Secure'})")
    if not ok:
        return 1

    # 3. Every app's main page, and the static files it links.
    assets: dict[str, int] = {}

    def fetch_asset(url: str) -> int:
        if url not in assets:
            status, _, data = c.request("GET", url)
            assets[url] = status
            if status == 200 and url.endswith((".css", ".js")):
                text = data.decode("utf-8", "replace")
                refs = MAP_REF.findall(text)
                if url.endswith(".css"):
                    refs += CSS_REF.findall(text)
                for ref in refs:
                    if ref.startswith(("data:", "#", "http:", "https:", "//")):
                        continue
                    fetch_asset(urljoin(url, ref).split("?")[0].split("#")[0])
        return assets[url]

    for label, path in PAGES:
        started = time.monotonic()
        status, headers, body = c.request("GET", path)
        ms = (time.monotonic() - started) * 1000
        if status != 200:
            r.line(False, status, label, f"{path}  (expected 200; Location: {headers.get('Location', '-')})")
            continue
        urls = sorted(set(STATIC_IN_HTML.findall(body.decode("utf-8", "replace"))))
        hashed = [u for u in urls if HASHED.search(u)]
        bad = [f"{u} {fetch_asset(u)}" for u in urls if fetch_asset(u) != 200]
        example = next((u for u in hashed if "bootstrap.min" in u), hashed[0] if hashed else "")
        ok = bool(hashed) and not bad
        detail = f"{path}  {ms:.0f} ms  {len(urls)} static, e.g. {example} {assets.get(example, '-')}"
        if not hashed:
            detail += "  NO HASHED STATIC URL"
        if bad:
            detail += "  BROKEN: " + ", ".join(bad)
        r.line(ok, status, label, detail)

    for label, path in API:
        status, headers, body = c.request("GET", path, headers={"Accept": "application/json"})
        try:
            payload = json.loads(body)
            count = payload.get("count", len(payload.get("results", [])))
        except (ValueError, AttributeError):
            payload, count = None, 0
        ok = status == 200 and "json" in headers.get("Content-Type", "") and count > 0
        r.line(ok, status, label, f"{path}  JSON, count={count}")

    # Everything a page or stylesheet pulled in (fonts and source maps included).
    broken = {u: s for u, s in assets.items() if s != 200}
    r.line(not broken, 200 if not broken else "", "static files",
           f"{len(assets)} fetched (CSS, JS, fonts, source maps), {len(broken)} not 200"
           + ("".join(f"\n        {s} {u}" for u, s in broken.items())))
    for url in sorted(assets):
        print(f"        {assets[url]}  {url}")

    return 1 if r.failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
