"""The installable, offline-capable terminal: its manifest, the service worker that keeps the offline
page and its assets, and that page."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Response, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _

from .blueprint import bp

# What the service worker keeps for a reload without a connection: the offline page and its assets.
OFFLINE_ASSETS = ("vendor/pico-2.1.1.min.css", "app.css", "vendor/signature_pad-5.1.4.umd.min.js", "terminal.js",
                  "vendor/hash-wasm-argon2-4.13.0.umd.min.js", "terminal-offline.js",
                  *(f"terminal/{module}.js" for module in ("fold", "identity", "page", "store", "sync", "screens",
                                                           "offline")),
                  "icons/terminal-192.png")


@cache
def _assets_version(static_folder: str) -> str:
    """Changes with any cached asset, so a new release installs a new service worker."""
    digest = hashlib.sha256()
    for name in OFFLINE_ASSETS:
        digest.update((Path(static_folder) / name).read_bytes())
    for name in ("_document.html", *(f"checkin/terminal/{page}.html" for page in (  # the offline page
            "base", "offline", "_offline_screens", "_screens"))):
        digest.update((Path(current_app.root_path) / "templates" / name).read_bytes())
    return digest.hexdigest()[:12]


@bp.get("/manifest.webmanifest")
def manifest():
    """Makes the terminal an installable web app (full screen, German, the check-in icon)."""
    body = {
        "name": _("Check-in-Terminal"), "short_name": _("Check-in"), "lang": "de",
        "start_url": url_for(".index"), "scope": url_for(".index"), "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#1d5fa8",
        "icons": [{"src": url_for("static", filename=f"icons/terminal-{size}.png"), "sizes": f"{size}x{size}",
                   "type": "image/png", "purpose": "any"} for size in (192, 512)],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, for the whole terminal (``/terminal``), versioned by its assets."""
    script = render_template("checkin/terminal/sw.js", version=_assets_version(current_app.static_folder),
                             assets=[url_for("static", filename=name) for name in OFFLINE_ASSETS],
                             shell=url_for(".offline_page"), scope=url_for(".index"))
    return Response(script, mimetype="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": url_for(".index")})


@bp.get("/offline")
def offline_page():
    """The page the tablet shows without a connection; it holds no data, the tablet fills it from
    what it keeps for today."""
    return render_template("checkin/terminal/offline.html")
