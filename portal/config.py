"""Settings read from the environment, one class per way of running the portal."""

from __future__ import annotations

import os

_DEV_SECRET = "dev-only-not-secret"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Config:
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")  # None: SQLite under instance/
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = _env("REDIS_URL", "redis://127.0.0.1:6379/0")
    MAIL_SERVER = _env("MAIL_SERVER", "localhost")
    MAIL_PORT = int(_env("MAIL_PORT", "25"))
    MAIL_USE_TLS = _env("MAIL_USE_TLS", "false").lower() == "true"
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = _env(
        "MAIL_DEFAULT_SENDER", "Therapeuten-App <zugang@praxisportal.example>"
    )

    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    PERMANENT_SESSION_LIFETIME = 8 * 3600

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Failed portal sign-ins allowed per client address before it has to wait.
    LOGIN_FAILURE_LIMIT = _env("LOGIN_FAILURE_LIMIT", "10 per 15 minutes")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_KEY_PREFIX = "portal-limit"
    # Number of reverse proxies in front of the portal whose X-Forwarded-For to trust.
    PROXY_COUNT = int(_env("PROXY_COUNT", "0"))

    THERAPISTS_PER_PAGE = 25
    DEV_TOOLS = False

    @classmethod
    def check(cls, app_config: dict) -> None:
        """Refuse settings that are unsafe for this way of running."""


class ProductionConfig(Config):
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls, app_config: dict) -> None:
        secret = app_config.get("SECRET_KEY") or ""
        if len(secret) < 32 or secret == _DEV_SECRET:
            raise RuntimeError(
                "SECRET_KEY fehlt oder ist zu kurz (mindestens 32 Zeichen). "
                "Erzeugen Sie einen mit: python -c 'import secrets; print(secrets.token_hex(32))'"
            )


class DevelopmentConfig(Config):
    SECRET_KEY = _env("SECRET_KEY", _DEV_SECRET)
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    MAIL_PORT = int(_env("MAIL_PORT", "8025"))
    DEV_TOOLS = True


class TestingConfig(DevelopmentConfig):
    TESTING = True
    WTF_CSRF_ENABLED = False
    LOGIN_FAILURE_LIMIT = "5 per 15 minutes"
    DEV_TOOLS = False


CONFIGS = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}
