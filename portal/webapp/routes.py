"""The therapist app in the browser: its page, its service worker and its manifest.

The page is the app's shell and holds no data: the browser signs in through the app API, keeps
its token and the therapist database in IndexedDB and reads the database with sql.js. The
service worker keeps exactly one release of the shell and its files, checked against the
hashes it was built with, so an installed app never mixes old and new files.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _

from ..security import CSP
from . import assets
from .texts import app_texts

bp = Blueprint("webapp", __name__, url_prefix="/app")
RETRY_SECONDS = 30  # while the portal writes the therapist database, the app asks again this often

# sql.js compiles SQLite's WebAssembly: only these pages may (script-src 'wasm-unsafe-eval').
APP_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")


@bp.after_request
def _allow_webassembly(response):
    response.headers["Content-Security-Policy"] = APP_CSP
    return response


def _release() -> assets.Release:
    return assets.release(current_app.static_folder, current_app.root_path)


@bp.get("/")
def index():
    release = _release()
    config = {
        "version": release.version,
        "api": url_for("api.openapi").rsplit("/openapi.json", 1)[0],
        "wasm": url_for("static", filename=assets.SQL_WASM),
        "serviceWorker": url_for(".service_worker"),
        "scope": url_for(".index"),
        "syncMinutes": current_app.config["APP_SYNC_MINUTES"],
        "retrySeconds": RETRY_SECONDS,
        "texts": app_texts(),
    }
    return render_template("webapp/index.html", config=config, release=release)


@bp.get("/sw.js")
def service_worker():
    """The service worker of /app/, its version made of the portal's and every cached file's."""
    release = _release()
    files = {url_for("static", filename=name): digest for name, digest in release.files.items()}
    script = render_template("webapp/sw.js", version=release.version, shell=url_for(".index"), files=files)
    return Response(script, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})


@bp.get("/manifest.webmanifest")
def manifest():
    """Makes the app installable: on the home screen it opens full screen at /app/."""
    body = {
        "name": _("Therapeuten-App"), "short_name": _("Therapeuten-App"), "lang": "de",
        "description": _("Termine und Kurse aus Ihrer Therapeuten-Datenbank, auch ohne Verbindung."),
        "id": url_for(".index"), "start_url": url_for(".index"), "scope": url_for(".index"),
        "display": "standalone", "background_color": "#ffffff", "theme_color": "#1d5fa8",
        "icons": [{"src": url_for("static", filename=f"icons/app-{size}.png"), "sizes": f"{size}x{size}",
                   "type": "image/png", "purpose": "any"} for size in (192, 512)],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response
