"""deploy/: the systemd units restart what stops, and the example environment names every setting read."""

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    text = (DEPLOY / name).read_text().replace("\\\n", " ")
    unit.read_string(text)
    return unit


def test_every_unit_restarts_always_reads_the_environment_file_and_stops_in_time():
    for name in ("selly-web.service", "selly-worker.service", "selly-beat.service"):
        unit = _unit(name)
        service = unit["Service"]
        assert service["Restart"] == "always", name
        assert 0 < int(service["RestartSec"]) <= 5, name
        assert service["EnvironmentFile"] == "/etc/selly/selly.env", name
        assert service["KillMode"] == "mixed", name
        assert int(service["TimeoutStopSec"]) > 0, name
        assert unit["Unit"]["StartLimitIntervalSec"] == "0", name  # never stop restarting
        # Neither gunicorn nor Celery sends watchdog pings: a WatchdogSec would kill healthy processes.
        assert "WatchdogSec" not in service, name


def test_the_worker_has_time_for_a_warm_shutdown_and_gunicorn_for_its_graceful_one():
    worker = _unit("selly-worker.service")["Service"]
    assert int(worker["TimeoutStopSec"]) >= 60
    web = _unit("selly-web.service")["Service"]
    graceful = int(re.search(r"--graceful-timeout (\d+)", web["ExecStart"]).group(1))
    assert int(web["TimeoutStopSec"]) > graceful


def test_the_example_environment_names_every_variable_the_settings_read():
    settings = (ROOT / "selly_allegro" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings))
    assert {"DJANGO_SECRET_KEY", "SELLY_ENCRYPTION_KEYS", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"} <= read
    example = (DEPLOY / "selly.env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z_]+)=", example, flags=re.MULTILINE))
    assert read - named == set()


def test_nginx_site_serves_static_files_and_passes_the_proxy_headers():
    site = (DEPLOY / "nginx-selly.conf").read_text()
    for needed in (
        "location /static/",
        "location /media/",
        "client_max_body_size",
        "X-Forwarded-Proto",
        "X-Forwarded-For",
    ):
        assert needed in site
