"""Settings for the test suite: production-like (DEBUG off) with throw-away keys.

Environment values win, so CI can point DATABASE_URL at PostgreSQL and REDIS_URL at Redis.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdefghij")
os.environ.setdefault(
    "SELLY_ENCRYPTION_KEYS", "dGVzdC1rZXktbnVtYmVyLW9uZS1mb3Itc2VsbHktdHM=,dGVzdC1rZXktbnVtYmVyLXR3by1mb3Itc2VsbHktdHM="
)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
# The emulator serves uploaded images from a loopback port; previews in browser tests show them.
os.environ.setdefault("SELLY_CSP_EXTRA_IMG_SRC", "http://127.0.0.1:*,http://localhost:*")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
# Each test process keeps its own cache: tests running side by side must not see each other's entries.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: tests that start other processes (the refresh race) share the test database.
    # One file per test run, so runs started side by side do not share (and corrupt) it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}  # noqa: F405
