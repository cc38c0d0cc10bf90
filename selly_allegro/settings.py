"""Settings for selly_allegro, read from the environment (django-environ).

Defaults give a working development setup with no servers at all: SQLite and the Celery
filesystem broker under ``var/``. Production sets DATABASE_URL, REDIS_URL, DJANGO_SECRET_KEY,
ALLOWED_HOSTS and SELLY_ENCRYPTION_KEYS and turns DJANGO_DEBUG off.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Local state of the development setup (SQLite, the filesystem broker, media); the soak points it elsewhere.
VAR_DIR = Path(env.str("SELLY_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
_DEV_SECRET = "django-insecure-dev-only-key-never-use-in-production-0123456789abcdef"  # noqa: S105 - DEBUG only
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])

# Secrets at rest (Allegro client secrets and tokens): comma-separated Fernet keys, the first encrypts.
SELLY_ENCRYPTION_KEYS = env.list("SELLY_ENCRYPTION_KEYS", default=[])
if not SELLY_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SELLY_ENCRYPTION_KEYS must be set when DJANGO_DEBUG is off "
            "(generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        )
    # A fixed development key: secrets stored in a DEBUG database are not protected.
    SELLY_ENCRYPTION_KEYS = ["ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE="]

INSTALLED_APPS = [
    "selly_allegro.apps.SellyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "django_ckeditor_5",
    "treebeard",
    "axes",
    "shop",
    "orders",
    "allegro",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "selly_allegro.middleware.PreferredLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login throttling: counts failures, refuses locked-out logins
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "selly_allegro.urls"
WSGI_APPLICATION = "selly_allegro.wsgi.application"

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
                "allegro.accounts.context_processors.current_account",
                "allegro.messages.context_processors.unread_messages",
                "allegro.core.context_processors.background_work",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process, the worker and beat share one SQLite file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # BEGIN IMMEDIATE: a transaction takes the write lock up front (waiting up to the timeout)
            # instead of failing with "database is locked" when it upgrades from reading to writing.
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")

LOGIN_URL = "admin:login"

# --- Cache ------------------------------------------------------------------------------------
# One cache for the web and the worker processes (Django's default is a copy per process): what the mass
# listing's preview learnt from Allegro's catalogue is still known to the worker that lists a minute later.
# Files, not Redis: a Redis restart must not take the panel's pages down with it.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 20000},
    }
}

# --- Celery -----------------------------------------------------------------------------------
# The broker transports are kombu's with two faults mended (selly_allegro/broker.py, docs/operations.md).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT = "selly_allegro.broker:RedisTransport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than any countdown or ETA we use, so a late-acked task is not redelivered while it waits.
        "visibility_timeout": 6 * 3600,
        # A Redis that vanished without closing the socket (failover, NAT, a paused VM): TCP keepalive and
        # a socket timeout end the wait on the dead connection, so the worker notices and reconnects.
        "socket_keepalive": True,
        "socket_timeout": 30,
        "socket_connect_timeout": 5,
        # PING an idle connection before using it, and check the BRPOP connection as often (kombu).
        "health_check_interval": 25,
    }
else:
    _broker_dir = VAR_DIR / "celery-broker"
    _broker_dir.mkdir(exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    # Writes each message whole before a worker can see it: kombu's own transport lets a worker read a
    # half-written file and die on JSONDecodeError.
    CELERY_BROKER_TRANSPORT = "selly_allegro.broker:FilesystemTransport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
    }
# Lose the broker, keep trying: at start and after a loss, for as long as it takes (the default gives up
# after 100 attempts and the worker exits). The process supervisor restarts a worker that exits anyway.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A late-acked task running when the connection is lost finishes its work; its ack is lost with the
# connection and the message comes back after visibility_timeout — harmless, as only idempotent tasks
# are late-acked. Stated here because Celery 6 changes the default to cancelling such tasks.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Safe defaults; idempotent tasks opt into acks_late + reject_on_worker_lost explicitly.
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- CKEditor 5: only what Allegro's description grammar accepts ------------------------------
CKEDITOR_5_CONFIGS = {
    "default": {"toolbar": ["heading", "|", "bold", "|", "bulletedList", "numberedList"]},
    "allegro": {
        "toolbar": ["heading", "|", "bold", "|", "bulletedList", "numberedList"],
        "heading": {
            "options": [
                {"model": "paragraph", "title": "Akapit", "class": "ck-heading_paragraph"},
                {"model": "heading1", "view": "h1", "title": "Nagłówek 1", "class": "ck-heading_heading1"},
                {"model": "heading2", "view": "h2", "title": "Nagłówek 2", "class": "ck-heading_heading2"},
            ]
        },
        "language": "pl",
    },
}
CKEDITOR_5_FILE_UPLOAD_PERMISSION = "staff"

# --- Security -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: the OAuth callback comes back from allegro.pl and must find the session.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    # Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER_ENABLED=1.
    if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Content Security Policy (django-csp): no inline or foreign scripts anywhere in the panel. Inline
# styles stay allowed: Django's admin widgets and CKEditor 5 set style attributes.
_CSP_IMG = ["'self'", "data:", "blob:", "https://*.allegroimg.com", "https://*.allegroimg.allegrosandbox.pl"]
_CSP_IMG += env.list("SELLY_CSP_EXTRA_IMG_SRC", default=["http://127.0.0.1:*", "http://localhost:*"] if DEBUG else [])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": _CSP_IMG,
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        # The OAuth start redirects the browser to Allegro after a POST; the authorisation page adds
        # its own application's address for custom (emulator) setups.
        "form-action": ["'self'", "https://allegro.pl", "https://allegro.pl.allegrosandbox.pl"],
    }
}

# Login throttling (django-axes): 5 failed attempts for one user name from one address lock that
# pair out for 15 minutes; a success resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"
# The client address: REMOTE_ADDR unless the panel runs behind TRUSTED_PROXY_COUNT reverse proxies,
# in which case X-Forwarded-For is read from the right, skipping exactly that many proxies — a
# client cannot fake its address by sending its own X-Forwarded-For.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is opt-in: submitting a domain to browsers' preload lists is a decision for the shop owner.
    "security.W021",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Base URL of the panel as Allegro sees it; the OAuth redirect URI is built from it.
SELLY_PUBLIC_URL = env.str("SELLY_PUBLIC_URL", default="http://127.0.0.1:8000")
SELLY_EMULATOR_URL = env.str("SELLY_EMULATOR_URL", default="http://127.0.0.1:8001")
