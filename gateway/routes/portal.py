"""The web portal's static files (portal/), served by the gateway itself: no CDN, no build step.

`/` is the single page. Its assets are linked under `/portal/v-<version>/...`, where the version is a
hash of every file in portal/: relative module imports inherit that prefix, so a browser may keep them
for a year, and a new release changes every URL at once. Unversioned or stale URLs are answered with
the current file and `no-cache` (revalidated by ETag). These routes stay out of the OpenAPI document:
they are not the API.
"""
import functools
import hashlib
import mimetypes
import os
import re

from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from gateway.http import error_response, http

PORTAL_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           "portal")
INDEX = "index.html"
VERSION_PLACEHOLDER = "__PORTAL_VERSION__"
VERSIONED = re.compile(r"^v-([0-9a-f]{12})/(.+)$")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Only the portal's own files; the one outside connection is NCALayer on the student's computer.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
                               "connect-src 'self' wss://127.0.0.1:13579; frame-ancestors 'none'; base-uri 'none'; "
                               "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@functools.lru_cache(maxsize=1)
def portal_files():
    """Every servable file of portal/ by its relative path, read once, and the version of them all."""
    files = {}
    for folder, _, names in os.walk(PORTAL_ROOT):
        for name in names:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, PORTAL_ROOT).replace(os.sep, "/")
            if os.path.splitext(name)[1] in CONTENT_TYPES:
                with open(path, "rb") as f:
                    files[relative] = f.read()
    digest = hashlib.sha256()
    for relative in sorted(files):
        digest.update(relative.encode() + b"\0" + files[relative] + b"\0")
    version = digest.hexdigest()[:12]
    files[INDEX] = files[INDEX].replace(VERSION_PLACEHOLDER.encode(), version.encode())
    return files, version


def asset_response(request, relative, cache_control):
    files, _ = portal_files()
    if safe_join(PORTAL_ROOT, relative) is None or relative not in files:
        return error_response(404, "not_found", "no such file")
    content = files[relative]
    etag = hashlib.sha256(content).hexdigest()[:32]
    extension = os.path.splitext(relative)[1]
    content_type = CONTENT_TYPES.get(extension) or mimetypes.types_map.get(extension, "application/octet-stream")
    response = Response(content, content_type=content_type,
                        headers={"Cache-Control": cache_control, **SECURITY_HEADERS})
    response.set_etag(etag)
    return response.make_conditional(request)


class PortalRoutes:

    @http("GET", "/")
    def portal_index(self, request):
        return asset_response(request, INDEX, REVALIDATE)

    @http("GET", "/portal/<path:asset>")
    def portal_asset(self, request, asset):
        _, version = portal_files()
        match = VERSIONED.match(asset)
        if match is None:
            return asset_response(request, asset, REVALIDATE)
        return asset_response(request, match.group(2), IMMUTABLE if match.group(1) == version else REVALIDATE)
