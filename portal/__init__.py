"""The therapist-app portal: the app factory, split into register_* steps."""

from __future__ import annotations

import os
import time

import redis
from flask import Flask
from rq import Queue
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from werkzeug.middleware.proxy_fix import ProxyFix

# imported for what they do on import: models puts every table on the metadata, recurring names its jobs
from . import cli, errors, i18n, jobs, models, recurring, security, web  # noqa: F401
from .accounts.views import bp as account_bp
from .api.routes import bp as api_bp
from .audit_log.routes import bp as audit_bp
from .auth.login import init_login_manager
from .auth.permissions import Permission, can, reserved_for
from .auth.routes import bp as auth_bp
from .bounces import receiver as bounce_receiver
from .bounces.webhooks import bp as webhooks_bp
from .calendars.routes import bp as calendars_bp
from .checkin.terminal.views import bp as terminal_bp
from .checkin.views import bp as checkin_bp
from .codes.arrival import arrival_help
from .codes.routes import bp as codes_bp
from .config import CONFIGS, from_environment
from .devices.routes import bp as devices_bp
from .devtools import cli as devtools_cli
from .devtools.mail_viewer import bp as mail_viewer_bp
from .extensions import babel, csrf, db, htmx, limiter, login_manager, mail, migrate
from .groups.routes import bp as groups_bp
from .health.routes import bp as health_bp
from .help.routes import bp as help_bp
from .monitoring import setup as monitoring
from .monitoring.routes import bp as monitoring_bp
from .schedule.routes import bp as schedule_bp
from .scripts.routes import bp as scripts_bp
from .support.routes import bp as support_bp
from .therapist_db import services as therapist_db
from .therapists.queries import row_labels
from .therapists.routes import bp as therapists_bp
from .users.routes import bp as users_bp
from .version import VERSION
from .webapp.routes import bp as webapp_bp

__version__ = VERSION

BLUEPRINTS = (auth_bp, account_bp, therapists_bp, schedule_bp, calendars_bp, codes_bp, groups_bp, users_bp, support_bp,
              health_bp, api_bp, scripts_bp, devices_bp, audit_bp, help_bp, checkin_bp, terminal_bp, webhooks_bp,
              monitoring_bp, webapp_bp)


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
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "portal.db")
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    config_class.check(app.config)
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=1)

    app.url_map.converters["int"] = web.IdConverter  # before any route is added
    register_extensions(app)
    _tune_sqlite(app)
    _ping_idle_connections(app)
    register_redis(app)
    register_blueprints(app)
    therapist_db.listen()
    i18n.init_app(app)
    web.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    monitoring.init_app(app)
    cli.init_app(app)
    devtools_cli.init_app(app)
    bounce_receiver.init_app(app)
    register_template_globals(app)
    return app


def register_template_globals(app: Flask) -> None:
    app.jinja_env.globals.update(can=can, Permission=Permission, reserved_for=reserved_for, row_labels=row_labels,
                                 arrival_help=arrival_help, jobs_handover_failed=jobs.handover_failed)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    init_login_manager(login_manager)
    babel.init_app(app, locale_selector=i18n.select_locale)


def _tune_sqlite(app: Flask) -> None:
    """WAL lets the web server read while the worker writes; NORMAL sync is safe with WAL."""
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


def _ping_idle_connections(app: Flask) -> None:
    """Instead of a ping on every checkout (a round trip per request), ping a pooled connection only
    when it sat idle longer than DB_PING_AFTER; a dead one is replaced before the request sees it.
    A server that drops connections within that time costs one failed request, after which
    SQLAlchemy renews the whole pool."""
    with app.app_context():
        engine = db.engine
    if engine.url.get_backend_name() == "sqlite":  # a local file has no connection to lose
        return
    idle_limit = app.config["DB_PING_AFTER"]

    @event.listens_for(engine, "checkin")
    def _note_checkin(_dbapi_connection, record):
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < idle_limit:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as exc:  # any driver error: this connection is gone, the pool takes another
            raise DisconnectionError() from exc


def register_redis(app: Flask) -> None:
    """Hang the Redis connection and the RQ queue on the app; nothing connects until used."""
    app.redis = redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=3)
    app.task_queue = Queue("portal", connection=app.redis)


def register_blueprints(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    if app.config["DEV_TOOLS"]:
        app.register_blueprint(mail_viewer_bp)
