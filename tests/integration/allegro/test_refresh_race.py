"""Two processes with several threads each need a token at the moment it expires: exactly one
refresh reaches Allegro and nobody meets invalid_grant, 20 times over."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from allegro.accounts.models import AllegroAccount, ConnectionState

from .conftest import connect_account

ROOT = Path(__file__).resolve().parents[3]
ROUNDS = 20
PROCESSES = 2
THREADS = 4


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    )


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_refresh_exactly_once(emulator, allegro_app):
    account = connect_account(emulator, allegro_app)
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "selly_allegro.settings_test"}
    workers = [
        subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("race_worker.py")), str(account.pk), str(THREADS)],
            cwd=ROOT,
            env={**env, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for round_ in range(ROUNDS):
            AllegroAccount.objects.filter(pk=account.pk).update(token_expires_at=timezone.now() - timedelta(seconds=1))
            before = emulator.stats()["token_refreshes"]
            since = emulator.requests()[-1]["seq"] if emulator.requests() else 0
            for worker in workers:
                worker.stdin.write("go\n")
                worker.stdin.flush()
            results = [worker.stdout.readline().strip() for worker in workers]

            assert results == ["ok"] * PROCESSES, f"round {round_}: {results}"
            assert emulator.stats()["token_refreshes"] - before == 1, f"round {round_}"
            token_answers = [r["status"] for r in emulator.requests(since) if r["path"] == "/auth/oauth/token"]
            assert token_answers == [200], f"round {round_}: {token_answers}"
            assert AllegroAccount.objects.get(pk=account.pk).state == ConnectionState.CONNECTED
    finally:
        for worker in workers:
            worker.stdin.close()
            worker.wait(timeout=30)
