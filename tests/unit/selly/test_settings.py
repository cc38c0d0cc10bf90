"""Production configuration: the deploy checklist passes, and missing secrets stop the start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[3]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The test settings put relaxed values into os.environ; a production start sees none of them.
    relaxed = {
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_DEBUG",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SELLY_CSP_EXTRA_IMG_SRC",
        "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests for Playwright's event loop
    }
    base = {k: v for k, v in os.environ.items() if k not in relaxed}
    base.update({"DJANGO_SETTINGS_MODULE": "selly_allegro.settings", **env})
    for key in [k for k, v in env.items() if v is None]:
        base.pop(key, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60
    )


PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x" * 20 + "production-like-secret-key-for-the-deploy-check-0123456789",
    "ALLOWED_HOSTS": "shop.example.com",
}


@pytest.mark.slow
def test_production_settings_pass_check_deploy():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        SELLY_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_encryption_keys():
    env = dict(PRODUCTION)
    result = _manage("check", **env, SELLY_ENCRYPTION_KEYS="")
    assert result.returncode != 0
    assert "SELLY_ENCRYPTION_KEYS" in result.stderr


def test_production_refuses_to_start_without_secret_key():
    result = _manage(
        "check", DJANGO_DEBUG="0", DJANGO_SECRET_KEY="", SELLY_ENCRYPTION_KEYS=Fernet.generate_key().decode()
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
