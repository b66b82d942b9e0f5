"""The therapist-app portal: the app factory, split into register_* steps."""

from __future__ import annotations

import os

import redis
from flask import Flask
from rq import Queue
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import CONFIGS, from_environment
from .extensions import babel, csrf, db, htmx, limiter, login_manager, mail, migrate

__version__ = "0.1.0"


def create_app(config_name: str | None = None, test_config: dict | None = None) -> Flask:
    """Build the portal. ``config_name`` defaults to ``PORTAL_ENV`` and then to production."""
    app = Flask(__name__, instance_relative_config=True)
    config_name = config_name or os.environ.get("PORTAL_ENV", "production")
    config_class = CONFIGS[config_name]
    app.config.from_object(config_class)
    app.config.update(from_environment())
    app.config["PORTAL_ENV"] = config_name
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "portal.db"
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # a local file has no connection to lose: skip the ping on every checkout
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    config_class.check(app.config)
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=1)

    register_extensions(app)
    _tune_sqlite(app)
    register_redis(app)
    register_blueprints(app)
    from . import cli, errors, i18n, security

    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    register_template_globals(app)
    return app


def register_template_globals(app: Flask) -> None:
    from .auth.permissions import Permission, can
    from .codes import display as code_display
    from .help.links import help_url
    from .therapists.readiness import readiness_problems, row_labels

    app.jinja_env.globals.update(
        help_url=help_url, can=can, Permission=Permission,
        readiness_problems=readiness_problems, row_labels=row_labels,
        code_status_label=code_display.status_label, code_last_sent_label=code_display.last_sent_label,
        code_tone=code_display.status_tone, delivery_label=code_display.delivery_label,
        delivery_tone=code_display.delivery_tone,
    )


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    from .auth import routes as auth_routes

    auth_routes.init_login_manager(login_manager)
    babel.init_app(app, locale_selector=_select_locale)


def _select_locale():
    from .i18n import select_locale

    return select_locale()


def _tune_sqlite(app: Flask) -> None:
    """WAL lets the web server read while the worker writes; NORMAL sync is safe with WAL."""
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    if engine.url.get_backend_name() != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def register_redis(app: Flask) -> None:
    """Hang the Redis connection and the RQ queue on the app; nothing connects until used."""
    app.redis = redis.Redis.from_url(
        app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=3
    )
    app.task_queue = Queue("portal", connection=app.redis)


def register_blueprints(app: Flask) -> None:
    from .api.routes import bp as api_bp
    from .audit.routes import bp as audit_bp
    from .auth.routes import bp as auth_bp
    from .checkin.routes import bp as checkin_bp
    from .checkin.terminal_routes import bp as terminal_bp
    from .codes.routes import bp as codes_bp
    from .devices.routes import bp as devices_bp
    from .groups.routes import bp as groups_bp
    from .health.routes import bp as health_bp
    from .help.routes import bp as help_bp
    from .schedule.routes import bp as schedule_bp
    from .scripts.routes import bp as scripts_bp
    from .support.routes import bp as support_bp
    from .therapists.routes import bp as therapists_bp
    from .users.routes import bp as users_bp

    for blueprint in (auth_bp, therapists_bp, schedule_bp, codes_bp, groups_bp, users_bp, support_bp, health_bp,
                      api_bp, scripts_bp, devices_bp, audit_bp, help_bp, checkin_bp, terminal_bp):
        app.register_blueprint(blueprint)
    if app.config["DEV_TOOLS"]:
        from .devmail.routes import bp as devmail_bp

        app.register_blueprint(devmail_bp)
