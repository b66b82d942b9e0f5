"""Settings: defaults per way of running the portal, overridden from the environment."""

from __future__ import annotations

import os

_DEV_SECRET = "dev-only-not-secret"


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


# config key: (environment variable, conversion); read when an app is created, not at import
ENVIRONMENT = {
    "SECRET_KEY": ("SECRET_KEY", str),
    "SQLALCHEMY_DATABASE_URI": ("DATABASE_URL", str),
    "REDIS_URL": ("REDIS_URL", str),
    "MAIL_SERVER": ("MAIL_SERVER", str),
    "MAIL_PORT": ("MAIL_PORT", int),
    "MAIL_USE_TLS": ("MAIL_USE_TLS", _bool),
    "MAIL_USERNAME": ("MAIL_USERNAME", str),
    "MAIL_PASSWORD": ("MAIL_PASSWORD", str),
    "MAIL_DEFAULT_SENDER": ("MAIL_DEFAULT_SENDER", str),
    "LOGIN_FAILURE_LIMIT": ("LOGIN_FAILURE_LIMIT", str),
    "MAIL_REPLY_TO": ("MAIL_REPLY_TO", str),
    "MAIL_TIMEOUT": ("MAIL_TIMEOUT", float),
    "MAIL_SINK_DIR": ("MAIL_SINK_DIR", str),
    "ACCESS_CODE_SECRET": ("ACCESS_CODE_SECRET", str),
    "ACCESS_CODE_LENGTH": ("ACCESS_CODE_LENGTH", int),
    "ACCESS_CODE_VALIDITY_MINUTES": ("ACCESS_CODE_VALIDITY_MINUTES", int),
    "DKIM_DOMAIN": ("DKIM_DOMAIN", str),
    "DKIM_SELECTOR": ("DKIM_SELECTOR", str),
    "DKIM_PRIVATE_KEY_PATH": ("DKIM_PRIVATE_KEY_PATH", str),
    "PROXY_COUNT": ("PROXY_COUNT", int),
    "THERAPIST_DB_DIR": ("THERAPIST_DB_DIR", str),
    "API_RATE_LIMIT": ("API_RATE_LIMIT", str),
    "APP_CODE_LIMIT": ("APP_CODE_LIMIT", str),
    "APP_SYNC_MINUTES": ("APP_SYNC_MINUTES", int),
    "MAIL_BOUNCE_ADDRESS": ("MAIL_BOUNCE_ADDRESS", str),
    "BOUNCE_MAX_BYTES": ("BOUNCE_MAX_BYTES", int),
    "BOUNCE_IMAP_URL": ("BOUNCE_IMAP_URL", str),
    "BOUNCE_IMAP_PROCESSED_FOLDER": ("BOUNCE_IMAP_PROCESSED_FOLDER", str),
    "POSTMARK_WEBHOOK_USER": ("POSTMARK_WEBHOOK_USER", str),
    "POSTMARK_WEBHOOK_PASSWORD": ("POSTMARK_WEBHOOK_PASSWORD", str),
    "SES_TOPIC_ARN": ("SES_TOPIC_ARN", str),
    "SES_SNS_ENDPOINT": ("SES_SNS_ENDPOINT", str),
    "WEBHOOK_LIMIT": ("WEBHOOK_LIMIT", str),
    "SUPPORT_EMAIL": ("SUPPORT_EMAIL", str),
    "SUPPORT_PHONE": ("SUPPORT_PHONE", str),
    "PORTAL_URL": ("PORTAL_URL", str),
    "WEBAUTHN_RP_ID": ("WEBAUTHN_RP_ID", str),
    "ACCOUNT_FAILURE_LIMIT": ("ACCOUNT_FAILURE_LIMIT", str),
    "DEVICE_FAILURE_LIMIT": ("DEVICE_FAILURE_LIMIT", str),
    "ACCOUNT_FAILURE_CEILING": ("ACCOUNT_FAILURE_CEILING", str),
    "TERMINAL_RESULT_SECONDS": ("TERMINAL_RESULT_SECONDS", int),
    "TERMINAL_IDLE_SECONDS": ("TERMINAL_IDLE_SECONDS", int),
    "TERMINAL_OFFLINE_DAYS": ("TERMINAL_OFFLINE_DAYS", int),
    "TERMINAL_OFFLINE_DAILY_CAP": ("TERMINAL_OFFLINE_DAILY_CAP", int),
    "TERMINAL_REPLAY_LIMIT": ("TERMINAL_REPLAY_LIMIT", str),
    "ACCESS_CODE_STUCK_AFTER_SECONDS": ("ACCESS_CODE_STUCK_AFTER_SECONDS", int),
    "READY_MAX_JOB_AGE": ("READY_MAX_JOB_AGE", int),
    "METRICS_TOKEN": ("METRICS_TOKEN", str),
    "LOG_FORMAT": ("LOG_FORMAT", str),
    "LOG_LEVEL": ("LOG_LEVEL", str),
    "SENTRY_DSN": ("SENTRY_DSN", str),
    "SENTRY_ENVIRONMENT": ("SENTRY_ENVIRONMENT", str),
    "DB_PING_AFTER": ("DB_PING_AFTER", float),
    "CHECKIN_RETENTION_YEARS": ("CHECKIN_RETENTION_YEARS", int),
    "CALENDAR_ALLOW_PRIVATE_HOSTS": ("CALENDAR_ALLOW_PRIVATE_HOSTS", _bool),
}


def from_environment() -> dict:
    """The settings the environment sets (empty variables count as unset)."""
    settings = {}
    for key, (variable, convert) in ENVIRONMENT.items():
        value = os.environ.get(variable)
        if value not in (None, ""):
            settings[key] = convert(value)
    return settings


class Config:
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # None: SQLite under instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # A pooled database connection idle longer than this is pinged before use (a restarted server or
    # a proxy's idle timeout leaves dead ones); a busy pool is not pinged on every request.
    DB_PING_AFTER = 30.0
    REDIS_URL = "redis://127.0.0.1:6379/0"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Therapeuten-App <zugang@praxisportal.example>"
    MAIL_REPLY_TO: str | None = None  # defaults to the sender
    MAIL_TIMEOUT = 15.0  # seconds for each SMTP conversation step
    MAIL_SINK_DIR: str | None = None  # development: the mail viewer reads this folder
    # Delivery reports (bounces): VERP envelope sender, the SMTP intake's size cap, an IMAP mailbox,
    # provider webhooks (Postmark with HTTP Basic auth, Amazon SES through signed SNS messages).
    MAIL_BOUNCE_ADDRESS: str | None = None  # e.g. bounces@praxisportal.example
    BOUNCE_MAX_BYTES = 1024 * 1024
    BOUNCE_IMAP_URL: str | None = None  # imaps://user:password@host/INBOX
    BOUNCE_IMAP_PROCESSED_FOLDER: str | None = None  # move processed reports there (else: flag them)
    POSTMARK_WEBHOOK_USER: str | None = None
    POSTMARK_WEBHOOK_PASSWORD: str | None = None
    SES_TOPIC_ARN: str | None = None  # the SNS topic of the SES notifications (unset: webhook off, 404)
    SES_SNS_ENDPOINT: str | None = None  # default: https://sns.<the topic's region>.amazonaws.com
    WEBHOOK_LIMIT = "300 per minute"  # posts to the mail webhooks per client address
    DKIM_DOMAIN: str | None = None
    DKIM_SELECTOR: str | None = None
    DKIM_PRIVATE_KEY_PATH: str | None = None

    # Access codes (spec "Access codes"): the HMAC key defaults to one derived from SECRET_KEY.
    ACCESS_CODE_SECRET: str | None = None
    ACCESS_CODE_LENGTH = 6
    ACCESS_CODE_VALIDITY_MINUTES = 15
    ACCESS_CODE_MAX_ATTEMPTS = 5
    ACCESS_CODE_RESEND_COOLDOWN_SECONDS = 30
    ACCESS_CODE_RETRY_DELAYS = (30, 120, 600, 1800)  # seconds before each new SMTP attempt
    ACCESS_CODE_STUCK_AFTER_SECONDS = 300  # a "sending" claim older than this belongs to a dead worker
    ACCESS_CODE_MAX_SENDS = 8  # attempts to send one request, retries and interrupted sends included

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

    # Failed portal sign-ins allowed per client address, and per account from browsers not known
    # for it, before they have to wait. A browser known for the account (it signed in as it since
    # the last new password) is held by neither but by a limit of its own, and by the account's
    # ceiling, which counts every browser (auth/throttle.py). The same for the second step.
    LOGIN_FAILURE_LIMIT = "10 per 15 minutes"
    ACCOUNT_FAILURE_LIMIT = "10 per 15 minutes"
    DEVICE_FAILURE_LIMIT = "10 per 15 minutes"  # wrong passwords from one known browser
    ACCOUNT_FAILURE_CEILING = "30 per 15 minutes"  # wrong passwords of one account from all browsers
    SECOND_FACTOR_LIMIT = "5 per 5 minutes"  # wrong second-factor codes per account from new browsers
    SECOND_FACTOR_DEVICE_LIMIT = "5 per 5 minutes"  # from one known browser
    SECOND_FACTOR_CEILING = "15 per 5 minutes"  # from all browsers
    SIGN_IN_FAILURE_AUDIT_THRESHOLD = 5  # wrong passwords of one account in 15 minutes the audit log hears of
    RESET_REQUEST_LIMIT = "10 per 15 minutes"  # "Passwort vergessen?" per client address
    RESET_ADDRESS_LIMIT = "3 per hour"  # and per address typed (known or not)
    LINK_LIMIT = "20 per 15 minutes"  # posts to invitation and reset links per client address
    INVITATION_POLL_SECONDS = 20  # an open invitation's row on the users page looks again this often
    # Where the portal is reached: the links in invitation and reset mails (required in production,
    # so a forged Host header cannot put another site into a link) and the passkeys' origin.
    PORTAL_URL: str | None = None
    WEBAUTHN_RP_ID: str | None = None  # the passkeys' relying party (default: PORTAL_URL's host)
    # The check-in terminal: wrong pairing codes per client address, identifications per tablet
    # (all of them, and those that found nobody), so nobody can guess codes or walk chip numbers.
    TERMINAL_PAIRING_LIMIT = "10 per 10 minutes"
    TERMINAL_LOOKUP_LIMIT = "60 per 10 minutes"
    TERMINAL_MISS_LIMIT = "20 per 10 minutes"
    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"  # argon2-cffi's profile for Argon2id
    SUPPORT_EMAIL = "kundenservice@praxisportal.example"  # where practices ask for licences
    SUPPORT_PHONE: str | None = None
    TERMINAL_RESULT_SECONDS = 10  # the "Danke" page goes back to the course's first step after this
    TERMINAL_IDLE_SECONDS = 90  # the signature step does so when nobody touches the screen this long
    # A check-in the tablet queued offline is applied by itself only when signed today or up to this
    # many days before (a weekend without Wi-Fi); an older one waits under "Zu klären".
    TERMINAL_OFFLINE_DAYS = 3
    # At most this many check-ins a tablet may hand over for one day (a day of courses is far fewer),
    # and this many hand-overs per tablet in ten minutes.
    TERMINAL_OFFLINE_DAILY_CAP = 500
    TERMINAL_REPLAY_LIMIT = "600 per 10 minutes"
    # Check-in data is kept this many years after a prescription's end (billing proof), then the
    # retention job (rq cron, daily) removes the person and the signatures and keeps the counts.
    CHECKIN_RETENTION_YEARS = 10
    # Calendar subscriptions (portal/calendars/fetch.py): each fetch at most this long and this large.
    # Addresses on loopback, the LAN or link-local ranges (and plain http) only in development and
    # tests, so bin/run and the tests can serve a feed themselves; production refuses the setting.
    CALENDAR_FETCH_TIMEOUT = 20.0
    CALENDAR_MAX_BYTES = 5 * 1024 * 1024
    CALENDAR_ALLOW_PRIVATE_HOSTS = False
    RATELIMIT_HEADERS_ENABLED = False  # rate headers cost a Redis call per request; 429s set Retry-After
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_KEY_PREFIX = "portal-limit"
    # Number of reverse proxies in front of the portal whose X-Forwarded-For to trust.
    PROXY_COUNT = 0

    REQUEST_BODY_LIMIT = 64 * 1024  # bytes a form may post (see security.BODY_LIMITS for the exceptions)
    MAX_FORM_PARTS = 200
    THERAPISTS_PER_PAGE = 25
    THERAPIST_DB_DIR: str | None = None  # default: instance/therapist-dbs
    API_RATE_LIMIT = "120 per minute"  # per client address, on every app API route
    # "Code anfordern" in the app: codes per address (each answer is the same, sent or not), and
    # how long every answer takes, so its time tells nothing either.
    APP_CODE_LIMIT = "1 per minute; 5 per hour"
    APP_CODE_ANSWER_SECONDS = 0.25
    APP_SYNC_MINUTES = 15  # the web app (/app) asks for changes this often while it is open
    DEV_TOOLS = False

    # Operations (docs/deploy.md): /readyz fails when the oldest waiting job is older than this;
    # /metrics answers only with this bearer token (unset: 404); logs as text or JSON; Sentry.
    READY_MAX_JOB_AGE = 300
    METRICS_TOKEN: str | None = None
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"
    SENTRY_DSN: str | None = None
    SENTRY_ENVIRONMENT: str | None = None

    @classmethod
    def check(cls, app_config: dict) -> None:
        """Refuse settings that are unsafe for this way of running."""
        if app_config["ACCESS_CODE_LENGTH"] < 6:
            raise RuntimeError("ACCESS_CODE_LENGTH muss mindestens 6 sein.")
        if app_config["LOG_FORMAT"] not in ("text", "json"):
            raise RuntimeError("LOG_FORMAT muss text oder json sein.")


class ProductionConfig(Config):
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls, app_config: dict) -> None:
        super().check(app_config)
        secret = app_config.get("SECRET_KEY") or ""
        if len(secret) < 32 or secret == _DEV_SECRET:
            raise RuntimeError(
                "SECRET_KEY fehlt oder ist zu kurz (mindestens 32 Zeichen). "
                "Erzeugen Sie einen mit: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        if app_config.get("CALENDAR_ALLOW_PRIVATE_HOSTS"):
            raise RuntimeError("CALENDAR_ALLOW_PRIVATE_HOSTS ist nur für Entwicklung und Tests: Im Betrieb darf das "
                               "Portal keine Kalender aus internen Netzen abrufen. Entfernen Sie die Einstellung.")
        if not (app_config.get("PORTAL_URL") or "").startswith("https://"):
            raise RuntimeError("PORTAL_URL fehlt: die Adresse des Portals mit https://, z. B. "
                               "https://portal.praxis.example (für die Links in Einladungen und Passwort-Mails).")


class DevelopmentConfig(Config):
    SECRET_KEY = _DEV_SECRET
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    MAIL_PORT = 8025
    DEV_TOOLS = True


class TestingConfig(DevelopmentConfig):
    TESTING = True
    PASSWORD_HASH_PROFILE = "CHEAPEST"  # hundreds of sign-ins per run
    WTF_CSRF_ENABLED = False
    LOGIN_FAILURE_LIMIT = "5 per 15 minutes"
    DEV_TOOLS = False


CONFIGS = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}
