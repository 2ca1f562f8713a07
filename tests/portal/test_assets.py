"""The gateway serves the portal's own files: content types, versioned URLs cached for a year, the
page and unversioned files revalidated by ETag, a strict CSP, and nothing outside portal/."""
import re

from gateway.routes.portal import portal_files


def test_portal_files_are_served_with_types_caching_and_csp(platform):
    http = platform.http
    page = http.get("/")
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "https://" not in page.text.replace("wss://127.0.0.1:13579", "")  # nothing from elsewhere
    _, version = portal_files()
    script = re.search(r'src="(/portal/v-[0-9a-f]{12}/js/app\.js)"', page.text).group(1)
    assert script == f"/portal/v-{version}/js/app.js"
    assert http.get("/", headers={"If-None-Match": page.headers["ETag"]}).status_code == 304

    versioned = http.get(script)
    assert versioned.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    imported = http.get(f"/portal/v-{version}/js/lang/kk.js")  # a module's relative import keeps the version
    assert imported.status_code == 200 and "Студенттік ваучер" in imported.text
    assert http.get(f"/portal/v-{version}/app.css").headers["Content-Type"] == "text/css; charset=utf-8"
    assert http.get(f"/portal/v-{version}/icon.svg").headers["Content-Type"] == "image/svg+xml"

    stale = http.get("/portal/v-000000000000/js/app.js")
    unversioned = http.get("/portal/js/app.js")
    assert stale.text == unversioned.text == versioned.text
    assert stale.headers["Cache-Control"] == unversioned.headers["Cache-Control"] == "no-cache"

    for missing in ("/portal/js/nope.js", "/portal/../gateway/http.py", "/portal/%2e%2e/README.md",
                    "/portal/v-" + version + "/../../requirements.txt"):
        response = http.get(missing)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", missing
    paths = http.get("/api/v1/openapi.json").json()["paths"]
    assert not [path for path in paths if path == "/" or path.startswith("/portal")]  # not the API
