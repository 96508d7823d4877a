"""Settings of the «Умный город» platform.

Everything comes from the environment (django-environ) with defaults that work on a laptop with no
services at all: SQLite under var/, the django-q2 ORM broker, emails written into var/mail/.
Production sets DATABASE_URL, REDIS_URL, EMAIL_URL, SECRET_KEY, ALLOWED_HOSTS and DEBUG=0.
"""

import importlib.util
import sys
import warnings
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from PIL import Image


def map_tile_hosts(url: str) -> list[str]:
    """The CSP img-src source of the tile server and nothing more: its scheme and host ({s} becomes a
    wildcard subdomain); nothing for a relative URL (our own origin is allowed already)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "subdomain"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return []
    host = parts.netloc.replace("subdomain", "*")
    return [f"{parts.scheme}://{host}"]


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(env_file)

# Off unless asked for: `make run` sets DEBUG=1 for the demo; a server that forgets it must not run
# with the public development SECRET_KEY. The test run gets the development values without DEBUG.
DEBUG = env.bool("DEBUG", default=False)
TESTING = "pytest" in sys.modules or env.bool("TESTING", default=False)

if DEBUG or TESTING:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-change-me")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
else:
    # Fail at start-up with one clear line rather than run production with a guessable key.
    if not env.str("SECRET_KEY", default=""):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    if not env.list("ALLOWED_HOSTS", default=[]):
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must be set when DEBUG is off (comma-separated host names)."
        )
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute links in e-mails. Unset, they follow the port the web server listens on: PORT, or WEB_PORT
# where PORT is not the web server's (honcho gives the worker its own PORT; the Makefile exports WEB_PORT).
WEB_PORT = env.int("WEB_PORT", default=env.int("PORT", default=8000))
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{WEB_PORT}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "simple_history",
    "django_q",
    "zarechny",
    "accounts",
    "directory",
    "messages.apps.MessagesConfig",
    "portal",
    "moderation",
    "stats",
    "api",
]

# Every request pays for every middleware, /healthz included (issue 14, bench/pages.py compares it with a
# bare Django view). Not here on purpose: LocaleMiddleware — the site has one language (LANGUAGES), which
# Django uses when none is activated, so choosing one per request from Accept-Language served nothing.
MIDDLEWARE = [
    # First: the request id, the one log line and the latency of every request (zarechny/logs.py).
    "zarechny.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "zarechny.middleware.reject_nul_bytes",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "zarechny.staff_mfa.StaffMfaMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "zarechny.middleware.content_security_policy",  # django-csp's policy, built once (issue 14)
    "zarechny.middleware.permissions_policy",
    "zarechny.middleware.private_cache_control",
]

ROOT_URLCONF = "zarechny.urls"
WSGI_APPLICATION = "zarechny.wsgi.application"

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
                "zarechny.context_processors.platform",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process and the worker share the laptop database. Transactions
    # take the write lock when they begin (IMMEDIATE): a deferred one that read first and then writes
    # while another connection wrote meanwhile fails at once with «database is locked», busy timeout or not.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing is deliberately slow in production; tests create hundreds of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
# Where accounts/adapter.py lands people after login or sign-up: the faces' pages, named here so that the
# accounts app never names a face (tests/test_layers.py). URL names or paths (resolve_url).
CITIZEN_LOGIN_REDIRECT_URL = "portal:cabinet"
STAFF_LOGIN_REDIRECT_URL = "office:home"
SITE_ID = 1

# django-allauth: the email address is the login (accounts.User has no username).
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "«Умный город» Заречный: "

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский")]
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Leaflet is django-leaflet's copy, served as /static/leaflet/. The package is not an installed app: its
# admin widgets need GDAL, and our own JS draws the maps (no inline scripts under the CSP).
_LEAFLET_PACKAGE = importlib.util.find_spec("leaflet")
STATICFILES_DIRS = [
    BASE_DIR / "static",
    *(
        [("leaflet", Path(_LEAFLET_PACKAGE.submodule_search_locations[0]) / "static" / "leaflet")]
        if _LEAFLET_PACKAGE and _LEAFLET_PACKAGE.submodule_search_locations
        else []
    ),
]
# Photos and attachments live in "private": never under MEDIA_URL, served only through views that check
# who may see the message (a message is not public before registration, §4.8).
OPENDATA_ROOT = Path(env.str("OPENDATA_ROOT", default=str(VAR_DIR / "opendata")))
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "messages.storage.PrivateStorage"},
    # The daily open-data files (issue 16), served by /opendata/<file>.
    "opendata": {"BACKEND": "api.storage.OpenDataStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# --- worker and email (issue 6) ----------------------------------------------------------------------
# Email: the file backend by default, so a laptop needs no mail server; EMAIL_URL for SMTP.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
# Below the worker task timeout, so a hung SMTP server fails the send instead of killing the task.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="«Умный город» Заречный <noreply@zarechny.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# django-q2. It reads Q_CLUSTER once at import, so sync mode for tests comes from the environment.
# Known failure modes avoided: a task running longer than `retry` is handed to a second worker (so
# timeout < retry, with room to spare); failed tasks are retried a bounded number of times; a cluster
# that was down does not replay every missed schedule run (catch_up=False).
REDIS_URL = env.str("REDIS_URL", default="")
Q_TIMEOUT = env.int("Q_TIMEOUT", default=90)
Q_CLUSTER = {
    "name": env.str("Q_NAME", default="zarechny"),  # the broker's queue key: one per installation
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": Q_TIMEOUT,  # a task is killed after this many seconds ...
    "retry": env.int("Q_RETRY", default=Q_TIMEOUT * 2),  # ... and re-queued only after this many
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 500,
    "label": "Очередь задач",
    "sync": env.bool("Q_SYNC", default=TESTING),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
if not EMAIL_TIMEOUT < Q_CLUSTER["timeout"] < Q_CLUSTER["retry"]:
    raise ImproperlyConfigured("Need EMAIL_TIMEOUT < Q_TIMEOUT < Q_RETRY (seconds) for the worker.")
# Outbox delivery (messages/tasks.py): rows per claimed batch, attempts before a row is marked failed,
# the first retry delay (doubled per attempt, capped at OUTBOX_BACKOFF_MAX_SECONDS), and the lease: a row
# claimed for sending longer ago than this belongs to a worker that died (the task timeout kills any
# live one first), so the lease must exceed the task timeout.
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=100)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=6)
OUTBOX_BACKOFF_SECONDS = env.int("OUTBOX_BACKOFF_SECONDS", default=60)
OUTBOX_BACKOFF_MAX_SECONDS = env.int("OUTBOX_BACKOFF_MAX_SECONDS", default=6 * 3600)
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=Q_TIMEOUT + 30)
if OUTBOX_LEASE_SECONDS <= Q_TIMEOUT:
    raise ImproperlyConfigured(
        "OUTBOX_LEASE_SECONDS must exceed Q_TIMEOUT (a live send is never taken over)."
    )
# Staff notices (reminders, escalations, the digest) go out on working days from this hour, Moscow time.
STAFF_NOTICE_HOUR = env.int("STAFF_NOTICE_HOUR", default=9)
# --- end of worker and email ------------------------------------------------------------------------

# Platform rules (the regulation's numbers live in code with their §; these are operational knobs).
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=40_000_000)
# Memory a decoder may hold for one file at full size (PNG/TIFF pixels at 4 bytes, a progressive
# JPEG's coefficients at 2 bytes a sample): 96 MB = a 25 Mpx PNG or TIFF, a 16 Mpx progressive JPEG.
PHOTO_MAX_DECODED_BYTES = env.int("PHOTO_MAX_DECODED_BYTES", default=96 * 1024 * 1024)
PHOTO_KEEP_ORIGINALS = env.bool("PHOTO_KEEP_ORIGINALS", default=False)
# Scanned documents attached to answers (§6.3): PDF files, stored as uploaded and served only as downloads.
ANSWER_PDF_MAX_BYTES = env.int("ANSWER_PDF_MAX_BYTES", default=10 * 1024 * 1024)
ANSWER_PDF_MAX_PAGES = env.int("ANSWER_PDF_MAX_PAGES", default=200)
RATING_WINDOW_DAYS = env.int("RATING_WINDOW_DAYS", default=30)
STATS_MIN_SAMPLE = env.int("STATS_MIN_SAMPLE", default=10)
# Where the rendered statistics reports are kept for a minute (stats.views.report_body), keyed by the
# counters' refresh: the shared cache (Redis in production), so every worker and node renders a period's
# report once per refresh; "stats" keeps them in each process's memory instead.
STATS_CACHE = env.str("STATS_CACHE", default="default")
CONSENT_VERSION = env.str("CONSENT_VERSION", default="2026-11")

# Pillow only warns between MAX_IMAGE_PIXELS and twice that; a bomb must be an error everywhere.
Image.MAX_IMAGE_PIXELS = PHOTO_MAX_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)

# --- security headers (issue 11, item 9) -------------------------------------------------------------
# TLS ends at a reverse proxy that sets X-Forwarded-Proto. Trusting that header without such a proxy
# would let any client claim https, so it is trusted only when BEHIND_TLS_PROXY=1 says it is there.
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=BEHIND_TLS_PROXY and not DEBUG)
SECURE_REDIRECT_EXEMPT = [
    r"^healthz$",
    r"^readyz$",
    r"^metrics$",
]  # probes and the scraper talk to a node directly
# HSTS goes out on https responses only (SecurityMiddleware), so a laptop on http never gets it.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Entering the browsers' preload list is the city's decision, not a default; the deploy check that
# asks for it is silenced until it is taken.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The map (issue 15): Leaflet from our static files, tiles from MAP_TILE_URL ({s} {z} {x} {y} placeholders).
# Tests and the browser tests have no network: they point MAP_TILE_URL at a local blank tile.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_ATTRIBUTION = env.str(
    "MAP_ATTRIBUTION", default="© участники OpenStreetMap (openstreetmap.org/copyright)"
)
# Zarechny (Penza region): the city and its industrial zone. A point outside is refused (§4.1 place).
# south, west, north, east in degrees.
MAP_BOUNDS = tuple(env.list("MAP_BOUNDS", cast=float, default=[53.17, 45.12, 53.24, 45.24]))
MAP_CENTER = tuple(env.list("MAP_CENTER", cast=float, default=[53.1985, 45.1700]))
MAP_ZOOM = env.int("MAP_ZOOM", default=13)
MAP_TILE_HOSTS = map_tile_hosts(MAP_TILE_URL)

# django-csp: scripts and styles only from our own static files, nothing inline (templates keep
# their CSS in static/css and their JS in static/js).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # blob: for submit.js's preview of the chosen photos (object URLs made by our own script).
        "img-src": ["'self'", "data:", "blob:", *MAP_TILE_HOSTS],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
CSRF_FAILURE_VIEW = "zarechny.errors.csrf_failure"  # in Russian, in the site's layout
# Only the submit form's «определить моё местоположение» needs a device feature.
PERMISSIONS_POLICY = "geolocation=(self), camera=(), microphone=(), payment=(), usb=()"

# --- logs and metrics (issue 17) --------------------------------------------------------------------
# One line per request (zarechny.logs), every line with the request id; LOG_FORMAT=json for one JSON
# object per line. LOG_LEVELS tunes single loggers: "messages.outbox=DEBUG,django-q=INFO".
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING: dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "zarechny.logs.RequestIdFilter"},
        "quiet_tasks": {"()": "zarechny.logs.QuietTaskLines"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-q2 logs each task it enqueues and runs at INFO: a line per e-mail wake on the console.
        # Its start-up, schedule and failure lines stay; the per-task ones show at DEBUG.
        "django-q": {
            "handlers": ["console"],
            "level": LOG_LEVEL,
            "propagate": False,
            "filters": ["quiet_tasks"],
        },
        # The request line replaces gunicorn's access log, which would print query strings.
        "gunicorn.access": {"level": "WARNING"},
    },
}
for _name, _level in env.dict("LOG_LEVELS", default={}).items():
    LOGGING["loggers"].setdefault(_name, {}).update({"level": _level.upper()})
# X-Request-ID from the client is believed only behind a proxy that sets it (TRUSTED_PROXY_COUNT > 0).
TRUST_REQUEST_ID = env.bool("TRUST_REQUEST_ID", default=env.int("TRUSTED_PROXY_COUNT", default=0) > 0)
# /metrics (zarechny/metrics.py): a bearer token, or addresses (IPs or networks) allowed without one.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# --- end of logs and metrics ---------------------------------------------------------------------------

for directory in (VAR_DIR, MEDIA_ROOT, STATIC_ROOT, PRIVATE_MEDIA_ROOT):
    Path(directory).mkdir(parents=True, exist_ok=True)

# --- Citizen portal (issue 4): allauth behaviour -------------------------------------------------
# Sign-up adds the name, the public-name opt-in and the 152-ФЗ consent (accounts.forms.SignupForm).
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm", "login": "accounts.forms.LoginForm"}
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# One address per person: "change email" replaces it after the new one is confirmed.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_SESSION_REMEMBER = None  # ask («Запомнить меня»)
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
# Client IPs (consent records, allauth's and the guest-support rate limits): behind N reverse proxies
# set TRUSTED_PROXY_COUNT=N so the address is taken from X-Forwarded-For, not the proxy's.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# --- rate limits (issue 11) ---------------------------------------------------------------------------
# Rate-limit counters must be shared by all web processes: Redis when there is one, else the database
# (table made by zarechny/migrations/0001_cache_table.py). A per-process cache would multiply every limit
# by the number of gunicorn workers. With Redis down the limits fail open (zarechny/cache.py).
CACHES: dict[str, dict[str, object]] = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "zarechny_cache",
        # Django's default (300) would let a burst of new keys cull live counters, i.e. reset limits.
        "OPTIONS": {"MAX_ENTRIES": 50_000},
    }
}
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "zarechny.cache.FailOpenRedisCache", "LOCATION": REDIS_URL}}
# Rendered fragments of public pages (issue 14, portal/pagecache.py): kept in each process's memory,
# bounded, so a flood of search URLs cannot push the shared rate-limit counters out; they are found
# through version numbers kept in "default", which every process shares, so an event that bumps a
# version is seen by all of them at once. "nocache" renders without keeping anything.
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "zarechny-pages",
    "TIMEOUT": 600,
    "OPTIONS": {"MAX_ENTRIES": env.int("PAGE_CACHE_MAX_ENTRIES", default=2000)},
}
CACHES["nocache"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
# Sessions (issue 14): with Redis, read from the shared cache and written to the database as well
# (zarechny/sessions.py), a query less per request of anyone logged in; a cached copy lives at most
# SESSION_CACHE_SECONDS. Without Redis the shared cache is a database table: the plain database engine.
SESSION_CACHE_SECONDS = env.int("SESSION_CACHE_SECONDS", default=300)
SESSION_CACHE_ALIAS = "default"
SESSION_ENGINE = "zarechny.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"
# The rendered statistics reports per process, when STATS_CACHE=stats (the default is the shared cache).
CACHES["stats"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "zarechny-stats",
    "OPTIONS": {"MAX_ENTRIES": 200},
}
# Limits per action (messages/ratelimits.py), in allauth's syntax: amount/period/per, per = user or ip.
RATE_LIMIT_SUBMIT = env.str("RATE_LIMIT_SUBMIT", default="10/1h/user,30/1d/user,30/1h/ip")
RATE_LIMIT_ANSWER_ATTACHMENTS = env.str("RATE_LIMIT_ANSWER_ATTACHMENTS", default="60/1h/user,120/1h/ip")
RATE_LIMIT_SUPPORT = env.str("RATE_LIMIT_SUPPORT", default="60/1h/user,120/1h/ip")
# New guest identities (a guest support without the cookie) per address (§7.5, DESIGN.md "Supports").
RATE_LIMIT_GUEST_SUPPORT = env.str(
    "RATE_LIMIT_GUEST_SUPPORT", default=f"{env.int('SUPPORT_GUEST_RATE_PER_HOUR', default=30)}/1h/ip"
)
# Open311 requests without a key, per address (issue 16); a request with a key counts against its client's
# own limit (admin → Приложения (API)).
RATE_LIMIT_API = env.str("RATE_LIMIT_API", default="600/1h/ip")
# --- end of rate limits ---------------------------------------------------------------------------------

# --- Two-factor authentication for staff (issue 11) ------------------------------------------------
# allauth's own MFA: an authenticator app (TOTP) plus recovery codes. With STAFF_REQUIRE_MFA a staff member
# (an Official row or is_staff) enrols before /office/ or /admin/ open (zarechny/staff_mfa.py). On by
# default in production; off with DEBUG (the demo's known passwords) and in the test run, whose tests
# switch it on where they need it.
STAFF_REQUIRE_MFA = env.bool("STAFF_REQUIRE_MFA", default=not DEBUG and not TESTING)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "«Умный город» Заречный"
