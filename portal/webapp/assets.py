"""One release of the web app: the files its service worker keeps, each with its SHA-256, and the
version they make together with the portal's version, the page, the worker and the catalogue."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..version import VERSION

SQL_JS = "vendor/sql-wasm-1.16.0.js"
SQL_WASM = "vendor/sql-wasm-1.16.0.wasm"
# besides every file under static/app/
SHARED = ("vendor/pico-2.1.1.min.css", "app.css", SQL_JS, SQL_WASM, "icons/app-192.png", "icons/app-512.png")
TEMPLATES = ("templates/_document.html", "templates/webapp/index.html", "templates/webapp/sw.js",
             "translations/en/LC_MESSAGES/messages.mo")


@dataclass(frozen=True)
class Release:
    version: str
    files: dict[str, str]  # name under static/ -> SHA-256 (hex)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@cache
def release(static_folder: str, root_path: str) -> Release:
    """The files and version of what this process serves (read once; a release restarts the process)."""
    static = Path(static_folder)
    names = [*SHARED, *sorted(f"app/{path.name}" for path in (static / "app").iterdir() if path.is_file())]
    files = {name: _sha256(static / name) for name in names}
    digest = hashlib.sha256(VERSION.encode())
    for name, file_digest in files.items():
        digest.update(f"{name}:{file_digest}\n".encode())
    for name in TEMPLATES:
        path = Path(root_path) / name
        digest.update(_sha256(path).encode() if path.exists() else b"-")
    return Release(digest.hexdigest()[:16], files)
