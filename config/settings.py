"""Settings come from the environment.

With no variables set the product runs on the embedded default: an SQLite file, Celery in eager
mode and local file storage, so one command runs everything on a laptop. Production sets
DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY and ALLOWED_HOSTS (see README and .env.example).
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Values from the examples (.env.example, docker-compose.yml): public, so never a key.
PLACEHOLDER_SECRET_KEYS = {"change-me", "change-me-to-a-long-random-string"}


def _runs_as_production() -> bool:
    """Production is what talks to real services: a server database or a broker."""
    database = env.str("DATABASE_URL", default="")
    return env.bool("REQUIRE_SECRET_KEY", default=False) or (
        not DEBUG
        and (
            bool(database and not database.startswith("sqlite"))
            or bool(env.str("CELERY_BROKER_URL", default=""))
        )
    )


def _embedded_secret_key(path: Path) -> str:
    """The embedded default's key: random, made once per installation and kept in a file only
    its owner reads, so no two installations (and no reader of this code) share it."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as out:
        out.write(get_random_secret_key())
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if _runs_as_production() and (not SECRET_KEY or SECRET_KEY in PLACEHOLDER_SECRET_KEYS):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value in production (DATABASE_URL or "
        "CELERY_BROKER_URL is set): "
        + ("it is not set" if not SECRET_KEY else f"{SECRET_KEY!r} is the example's placeholder")
    )
if not SECRET_KEY:
    SECRET_KEY = _embedded_secret_key(
        Path(env.str("SECRET_KEY_FILE", default=str(BASE_DIR / ".secret_key")))
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_countries",
    "core",
    "audit",
    "suppliers",
    "verification",
    "routing",
    "marketplace",
    "reviews",
    "passports",
    "accounts",
    "searches",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A lost database answers 503 + Retry-After; API writes with an Idempotency-Key run once.
    "config.middleware.DatabaseUnavailableMiddleware",
    "config.middleware.IdempotencyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

# Password guessing: after AXES_FAILURE_LIMIT wrong passwords for one username from one
# address, logins for it from there are refused for AXES_COOLOFF_MINUTES (web form, API
# Basic auth and the admin alike); a successful login resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Behind a reverse proxy, how many proxies add to X-Forwarded-For (the client is left of them).
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=None)
AXES_VERBOSE = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "suppliers.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Browse facet counts are kept here a minute (marketplace.facets): with several web processes,
# a shared Redis (`redis://host:6379/1`) keeps one copy for all of them.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# The buyers' lot list (GET /api/lots/) is shared between buyers this long at most; every change
# to what it shows drops it at once (marketplace.listing_cache). 0: computed for each request.
LISTING_CACHE_SECONDS = env.int("LISTING_CACHE_SECONDS", default=30)
# Connections are kept between requests (a new PostgreSQL connection per request costs more
# than most pages) and checked before reuse, so a server restart costs one retry, not errors.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# `collectstatic` writes hashed, compressed copies and their manifest to STATIC_ROOT, which
# WhiteNoise serves (production, see README). Until it has run, the default storage answers the
# plain names and WhiteNoise serves them from the finders (static/ and the apps), so `runserver`
# works right after `migrate`. The manifest is checked once, when the process starts.
WHITENOISE_USE_FINDERS = not (Path(STATIC_ROOT) / "staticfiles.json").exists()
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Uploads land on the default storage, which any worker can read: local disk by default,
# S3-compatible object storage when web and workers run on different machines.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="config.storage.FallbackManifestStaticFilesStorage",
        )
    },
}
if env.str("STORAGE_BACKEND", default="local") == "s3":
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME")
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default=None)
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True

# Test-data uploads above this size are refused before the body is read into memory.
TEST_DATA_MAX_UPLOAD_MB = env.int("TEST_DATA_MAX_UPLOAD_MB", default=50)
# Documents (data sheets, certificates, photos) are read by people, not parsers.
DOCUMENT_MAX_UPLOAD_MB = env.int("DOCUMENT_MAX_UPLOAD_MB", default=20)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Lots re-routed per transaction when a rule set is published.
REROUTE_CHUNK_LOTS = env.int("REROUTE_CHUNK_LOTS", default=1000)

# Verification: claim confirmed when |claimed - measured| <= this many SOH points.
SOH_TOLERANCE_PCT_POINTS = env.float("SOH_TOLERANCE_PCT_POINTS", default=3.0)

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# No broker configured -> run tasks in-process (eager), the embedded default.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = False
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://localhost/"  # a hostname keeps kombu from warning on each run
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# A task's message is acknowledged when it finishes, and given back at once when the worker
# child running it dies (killed, out of memory): the redelivered task takes its run's lease over.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# How long the worker waits, after a pool process died, for a result it might have sent before
# giving its task back (Celery's default is 10 s). No task here sends results, and a redelivered
# verification finds its run by the lease, so the message goes back almost at once.
CELERY_WORKER_LOST_WAIT = env.float("CELERY_WORKER_LOST_WAIT", default=1.0)
# A verification that runs longer is stopped (soft: failed with a reason; hard: the child is
# killed and the lease counts the takeover). Redis redelivers unacknowledged messages after the
# visibility timeout, which must exceed the longest task.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=660)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900)
}
# A worker child that grew past this (KiB) is replaced after its task: one huge file cannot
# keep a worker's memory.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int(
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=1_500_000
)
CELERY_BEAT_SCHEDULE = {
    # The outbox relay: uploads stored while the broker was unreachable are sent within
    # seconds of its return.
    "relay-unqueued-test-records": {
        "task": "marketplace.tasks.relay_unqueued_test_records",
        "schedule": env.float("OUTBOX_RELAY_SECONDS", default=5.0),
    },
    # The same for buyers' news: a lot verified or re-routed while the broker was down is
    # matched against saved searches once it is back.
    "relay-lot-offer-events": {
        "task": "marketplace.tasks.relay_lot_offer_events",
        "schedule": env.float("OUTBOX_RELAY_SECONDS", default=5.0),
    },
    # Recovers uploads whose task message was lost (broker restart, worker killed mid-run).
    "requeue-stale-test-records": {
        "task": "marketplace.tasks.requeue_stale_test_records",
        "schedule": 600.0,
    },
    # Files of uploads whose transaction rolled back (or whose commit was lost) are removed.
    "sweep-orphaned-test-data": {
        "task": "marketplace.tasks.sweep_orphaned_test_data",
        "schedule": 3600.0,
    },
    "sweep-orphaned-answer-files": {
        "task": "reviews.tasks.sweep_orphaned_answer_files",
        "schedule": 3600.0,
    },
    # Pack-import uploads held for a confirmation that never came.
    "sweep-held-pack-imports": {
        "task": "marketplace.tasks.sweep_held_pack_imports",
        "schedule": 3600.0,
    },
    # Documents whose row never came (a failed upload) or is gone.
    "sweep-orphaned-documents": {
        "task": "suppliers.tasks.sweep_orphaned_documents",
        "schedule": 3600.0,
    },
    # Idempotency keys live a day.
    "purge-idempotency-keys": {
        "task": "core.tasks.purge_idempotency_keys",
        "schedule": 3600.0,
    },
    # Supplier scorecards, materialised; a page recomputes one it finds stale.
    "refresh-scorecards": {
        "task": "marketplace.tasks.refresh_scorecards",
        "schedule": 3600.0,
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a refused or missing credential is a 401 that names the scheme
        # (WWW-Authenticate: Token), not a 403.
        "accounts.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        # Kept for scripts that sign in with a password (django-axes locks it out like the
        # login form); it can create a first personal token, which a token cannot.
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
# Personal API tokens (accounts.PersonalToken, django-rest-knox): stored as SHA-512 digests,
# sent as `Authorization: Token slm_...`. Each token's lifetime is chosen when it is made
# (accounts.choices; 90 days by default), and using a token never extends it.
KNOX_TOKEN_MODEL = "accounts.PersonalToken"
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(days=90),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
    # Recognisable in a leaked file or a secret scanner's rules.
    "TOKEN_PREFIX": "slm_",
}
# knox's own AuthToken is swapped out: its migrations would only create an unused table.
MIGRATION_MODULES = {"knox": None}
# JSON bodies (lots with their packs and history); uploads are multipart, limited apart.
API_JSON_MAX_BYTES = env.int("API_JSON_MAX_BYTES", default=2 * 1024 * 1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "Second-life battery marketplace API",
    "DESCRIPTION": "Lots of retired EV packs, their test data, verification and routing.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status`; the lot's gets a name of its own (no W001 at `check`).
    "ENUM_NAME_OVERRIDES": {
        "LotStatusEnum": "suppliers.choices.LotStatus",
        "TestRecordStatusEnum": "verification.choices.TestRecordStatus",
        "VerificationStatusEnum": "verification.choices.VerificationStatus",
        "SupplierRequestKindEnum": "reviews.choices.SupplierRequestKind",
        "HistoryEventKindEnum": "suppliers.choices.HistoryEventKind",
        "DocumentKindEnum": "suppliers.choices.DocumentKind",
    },
}

# Notices to suppliers and auditors go out by email too (console in the embedded default).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="marketplace@localhost")
# The address people reach the app at, for links in emails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # One line per task is noise in eager mode (demo loading, tests); workers log their own.
    "loggers": {"celery.app.trace": {"level": env.str("CELERY_TASK_LOG_LEVEL", default="WARNING")}},
}

# Readiness (/readyz) shows its per-check details to staff and to callers sending this token
# as `Authorization: Bearer <token>` (monitoring); everyone else gets only the status.
READYZ_TOKEN = env.str("READYZ_TOKEN", default="")

# Production security. The embedded default (`make run`: runserver on plain http with DEBUG off)
# is no production: redirects to https and secure-only cookies would lock its users out, so they
# default on only where the settings run as production; each can be set either way.
if not DEBUG:
    _production = _runs_as_production()
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_production)
    # Health checks (load balancer, docker-compose) probe the container over plain http.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    # Behind a TLS-terminating proxy: "HTTP_X_FORWARDED_PROTO,https". Only set it when the
    # proxy always sets (or strips) that header, or any client could claim https.
    SECURE_PROXY_SSL_HEADER = env.tuple("SECURE_PROXY_SSL_HEADER", default=None) or None
    # Sent on https responses only (SecurityMiddleware), so the embedded default is unaffected.
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]  # turned off on purpose, not forgotten
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_production)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_production)

    # Content-Security-Policy (django-csp): scripts only from this origin, never inline, so an
    # injected <script> or on*= attribute does not run. Styles allow inline: the lot page's
    # server-drawn pygal charts carry a <style> of their own and style attributes, and the
    # API docs page (Swagger UI) one <style> block. Injected CSS runs no code: a far smaller risk.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "csp.middleware.CSPMiddleware",
    )
    _csp = {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF],
            "style-src": [SELF, UNSAFE_INLINE],
            "img-src": [SELF, "data:"],
            "object-src": [NONE],
            "base-uri": [SELF],
            "frame-ancestors": [NONE],
            "form-action": [SELF],
            **({"report-uri": env.str("CSP_REPORT_URI")} if env.str("CSP_REPORT_URI", "") else {}),
        }
    }
    # Report-only first, to try the policy on a deployment without breaking its pages.
    if env.bool("CSP_REPORT_ONLY", default=False):
        CONTENT_SECURITY_POLICY_REPORT_ONLY = _csp
    else:
        CONTENT_SECURITY_POLICY = _csp
