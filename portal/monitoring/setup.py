from __future__ import annotations

from flask import Flask

from . import logs, metrics, sentry


def init_app(app: Flask) -> None:
    logs.init_app(app)
    sentry.init_app(app)
    metrics.init_app(app)
