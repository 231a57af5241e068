"""The versioned API's schema and its documentation pages: served from this site's own static files (district
networks often cannot reach a CDN), allowed by the Content-Security-Policy, and /api/ kept as an alias."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CDN_HOSTS = ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "fonts.googleapis.com", "fonts.gstatic.com")


def test_schema_is_openapi_3_and_lists_v1_addresses_once(login):
    response = login("street_staff").get("/api/v1/schema/")
    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(r"^openapi: 3\.", body, re.M)
    assert "/api/v1/estates/" in body
    # The /api/ alias serves the same views but is not described a second time.
    assert not re.search(r"^  /api/(?!v1/)", body, re.M)
    assert "tokenAuth" in body  # the machine clients' scheme is documented


def test_schema_needs_a_login(client):
    assert client.get("/api/v1/schema/").status_code in (401, 403)
    assert client.get("/api/v1/docs/").status_code in (401, 403)


def _asset_urls(html: str) -> list[str]:
    return re.findall(r"""<(?:script|link)\b[^>]*?\b(?:src|href)=["']([^"']+)["']""", html)


@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/redoc/", "/api/docs/"])
def test_docs_pages_load_only_same_origin_assets(login, url):
    response = login("city_admin").get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assets = _asset_urls(html)
    assert any(a.endswith(".js") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/"), asset  # same origin: a path on this site, never http(s)://another host
        assert not asset.startswith("//"), asset
    hosts = set(re.findall(r"https?://([^/\"'\s]+)", html))
    assert hosts <= {"testserver"}, hosts
    # No inline script: the CSP allows scripts from this site only.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_swagger_ui_assets_are_the_vendored_sidecar_files(login):
    html = login("city_admin").get("/api/v1/docs/").content.decode()
    assets = _asset_urls(html)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in assets
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in assets
    # The start-up script comes from the same address (the split view), and points at the v1 schema.
    script = [a for a in assets if "script" in a.split("?", 1)[-1]]
    assert script, assets
    js = login("city_admin").get(script[0].replace("&amp;", "&"))
    assert js.status_code == 200
    assert js["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in js.content.decode()


def test_csp_names_no_cdn_host(login):
    for url in ("/api/v1/docs/", "/api/v1/redoc/"):
        policy = login("city_admin").get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "http" not in policy  # no host at all, let alone a CDN
        for host in CDN_HOSTS:
            assert host not in policy
    # Redoc's search worker (a blob: URL) is allowed on its own page only.
    assert "worker-src 'self' blob:" in login("city_admin").get("/api/v1/redoc/")["Content-Security-Policy"]
    assert "worker-src" not in login("city_admin").get("/api/v1/docs/")["Content-Security-Policy"]
    assert "worker-src" not in login("city_admin").get("/api/v1/estates/")["Content-Security-Policy"]


def test_api_alias_serves_the_same_views_as_v1(login, world):
    client = login("street_staff")
    v1 = client.get("/api/v1/estates/").json()
    alias = client.get("/api/estates/").json()
    assert sorted(r["name"] for r in v1["results"]) == ["梅花园", "锦绣花园"]
    assert [r["id"] for r in alias["results"]] == [r["id"] for r in v1["results"]]
    assert client.get(f"/api/v1/estates/{world.estate_c1.pk}/").status_code == 404  # same scope, same 404
    assert reverse("api-v1-docs") == "/api/v1/docs/"


def test_vendored_static_check_still_passes():
    result = subprocess.run([sys.executable, str(ROOT / "deploy" / "check_vendored.py")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_collectstatic_with_the_manifest_storage_hashes_the_sidecar_files(tmp_path):
    """Production (DEBUG=0) hashes every static file and rewrites the references inside CSS and JS, source
    maps included (swagger-ui.css names swagger-ui.css.map): a missing target would abort the release."""
    import json
    import os

    env = {**os.environ, "DEBUG": "0", "STATIC_MANIFEST": "1", "STATIC_ROOT": str(tmp_path),
           "SECRET_KEY": "collectstatic-test-" + "k" * 50}
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), "collectstatic", "--no-input"],
                            capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    paths = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for name in ("swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-dist/swagger-ui.css",
                 "swagger-ui-dist/swagger-ui.css.map", "redoc/bundles/redoc.standalone.js"):
        hashed = paths[f"drf_spectacular_sidecar/{name}"]
        assert (tmp_path / hashed).is_file()
    css = (tmp_path / paths["drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"]).read_text()
    assert paths["drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css.map"].rsplit("/", 1)[1] in css
