"""Soak: the `make run` stack for a long time, with purchases and stock changes streaming in, and (with --chaos)
processes killed on the way. Does anything stay down, is any purchase lost?

    python bench/soak.py [--minutes 120] [--chaos] [--redis] [--purchase-every 4] [--kill-every 240]

Starts supervisord with the repository's supervisord.conf — the same file `make run` uses, so web, worker,
beat and the emulator — on a scratch folder (SQLite, the filesystem broker, the emulator's state) and free
ports; ``--redis`` adds a redis-server as the broker (and, with --chaos, restarts it too). Streams purchases
through the emulator's control API on offers matching shop products and changes the shop's stock; with
--chaos kills (SIGKILL) one of the processes every --kill-every seconds. At the end it waits for the last
purchases to be imported and prints processes alive, restarts, purchases made vs imported, and as its last
line one JSON object with ``"pass"``: every process running at the end, no restart the soak did not cause
(a crash), every purchase imported as exactly one order, a fresh worker heartbeat, the panel answering.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROGRAMS = ("emulator", "web", "worker", "beat")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, seconds: float) -> bool:
    import requests  # noqa: TID251 - the emulator's control API and the panel, never Allegro

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return False


class _Redis:
    def __init__(self, folder: Path):
        self.port = _free_port()
        self.folder = folder
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        # Persistence on, as a production Redis has it: a restart keeps the queued messages.
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--appendonly", "yes"],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)

    def kill(self) -> None:
        if self.proc:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


class _Supervisor:
    """supervisord's XML-RPC interface over its unix socket."""

    def __init__(self, socket_path: Path):
        from supervisor.xmlrpc import SupervisorTransport

        self.proxy = xmlrpc.client.ServerProxy(
            "http://127.0.0.1", transport=SupervisorTransport(None, None, f"unix://{socket_path}")
        )

    def processes(self) -> dict[str, dict]:
        return {p["name"]: p for p in self.proxy.supervisor.getAllProcessInfo()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=120)
    parser.add_argument("--chaos", action="store_true", help="kill a process every --kill-every seconds")
    parser.add_argument("--kill-every", type=float, default=240)
    parser.add_argument("--redis", action="store_true", help="Redis as the broker instead of the filesystem")
    parser.add_argument("--purchase-every", type=float, default=4.0, help="seconds between purchases (mean)")
    parser.add_argument("--stock-every", type=float, default=10.0, help="seconds between stock changes (mean)")
    parser.add_argument("--drain", type=float, default=180, help="seconds to wait for the last imports")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="selly-soak-"))
    var = scratch / "var"
    var.mkdir()
    web_port, emulator_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="selly_allegro.settings",
        DJANGO_DEBUG="1",
        SELLY_VAR_DIR=str(var),
        SELLY_BIN=str(Path(sys.executable).parent),
        SELLY_WEB_PORT=str(web_port),
        SELLY_EMULATOR_PORT=str(emulator_port),
        SELLY_EMULATOR_URL=f"http://127.0.0.1:{emulator_port}",
        SELLY_PUBLIC_URL=f"http://127.0.0.1:{web_port}",
        LOG_LEVEL="WARNING",
    )
    redis = None
    if args.redis:
        if shutil.which("redis-server") is None:
            sys.exit("--redis needs redis-server")
        redis = _Redis(scratch)
        redis.start()
        env["REDIS_URL"] = redis.url
    os.environ.clear()
    os.environ.update(env)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    connection.close()

    stack_log = open(scratch / "stack.log", "w")  # noqa: SIM115 - open for the whole run
    supervisord = subprocess.Popen(
        [str(Path(sys.executable).parent / "supervisord"), "-c", str(ROOT / "supervisord.conf")],
        cwd=ROOT,
        env=env,
        stdout=stack_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # our Ctrl-C reaches supervisord through the finally below, once
    )
    kills: Counter[str] = Counter()
    restarts: Counter[str] = Counter()
    web_failures = 0
    purchase_errors = 0
    stock_changes = 0
    bought: list[str] = []
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    web_url = f"http://127.0.0.1:{web_port}"
    final: dict[str, dict] = {}
    heartbeat_age = None
    duplicates = imported = 0
    try:
        if not (_wait_http(f"{emulator_url}/_emulator/health", 90) and _wait_http(f"{web_url}/admin/login/", 120)):
            sys.exit(f"the stack did not start; see {scratch / 'stack.log'}")
        supervisor = _Supervisor(var / "supervisor.sock")
        import requests  # noqa: TID251 - the emulator's control API and the panel, never Allegro

        from allegro.core.selectors import worker_heartbeat_last_seen
        from orders.models import Order
        from shop.models import Product
        from shop.services.stock import stock_set

        offers, account = _setup(emulator_url, var / "emulator.sqlite3")
        connection.close()
        http = requests.Session()
        rnd = random.Random(7)
        pids = {name: p["pid"] for name, p in supervisor.processes().items()}
        targets = [*PROGRAMS, "redis"] if redis else list(PROGRAMS)
        start = time.monotonic()
        end = start + args.minutes * 60
        next_buy = next_stock = next_check = next_web = start
        next_kill = start + args.kill_every / 2
        next_report = start + 60
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= next_buy:
                next_buy = now + rnd.expovariate(1 / args.purchase_every)
                try:
                    response = http.post(
                        f"{emulator_url}/_emulator/purchases",
                        json={"offer_id": rnd.choice(offers), "quantity": rnd.randint(1, 3)},
                        timeout=10,
                    )
                    response.raise_for_status()
                    bought.append(f"{account}:{response.json()['checkout_form_id']}")
                except requests.RequestException:
                    purchase_errors += 1  # the emulator is being restarted: not a purchase
            if now >= next_stock:
                next_stock = now + rnd.expovariate(1 / args.stock_every)
                product = Product.objects.filter(sku__startswith="BENCH-").order_by("?").first()
                stock_set(product=product, stock=rnd.randint(500_000, 1_000_000), reason="soak")
                stock_changes += 1
                connection.close()
            if now >= next_web:
                next_web = now + 15
                try:
                    if http.get(f"{web_url}/admin/login/", timeout=10).status_code != 200:
                        web_failures += 1
                except requests.RequestException:
                    web_failures += 1
            if now >= next_check:
                next_check = now + 2
                for name, info in supervisor.processes().items():
                    if info["pid"] and info["pid"] != pids.get(name):
                        if pids.get(name):
                            restarts[name] += 1
                        pids[name] = info["pid"]
            if args.chaos and now >= next_kill:
                next_kill = now + args.kill_every
                victim = rnd.choice(targets)
                kills[victim] += 1
                if victim == "redis":
                    redis.kill()
                    time.sleep(rnd.uniform(1, 8))
                    redis.start()
                else:
                    pid = supervisor.processes()[victim]["pid"]
                    if pid:
                        os.kill(pid, signal.SIGKILL)
                print(f"[{(now - start) / 60:5.1f} min] killed {victim}", flush=True)
            if now >= next_report:
                next_report = now + 60
                states = " ".join(f"{n}={p['statename']}" for n, p in sorted(supervisor.processes().items()))
                print(
                    f"[{(now - start) / 60:5.1f} min] {states}; purchases {len(bought)}, restarts {dict(restarts)}",
                    flush=True,
                )
            time.sleep(0.1)

        deadline = time.monotonic() + args.drain
        while time.monotonic() < deadline:
            imported = Order.objects.filter(external_key__in=bought).values("external_key").distinct().count()
            connection.close()
            if imported == len(bought):
                break
            time.sleep(2)
        duplicates = Order.objects.filter(external_key__in=bought).count() - imported
        for name, info in supervisor.processes().items():
            if info["pid"] and info["pid"] != pids.get(name):
                restarts[name] += 1
        final = supervisor.processes()
        seen = worker_heartbeat_last_seen()
        from django.utils import timezone

        heartbeat_age = (timezone.now() - seen).total_seconds() if seen else None
        connection.close()
        try:
            web_ok = http.get(f"{web_url}/admin/login/", timeout=10).status_code == 200
        except requests.RequestException:
            web_ok = False
    finally:
        supervisord.send_signal(signal.SIGTERM)
        try:
            supervisord.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(supervisord.pid, signal.SIGKILL)
        if redis:
            redis.kill()
        stack_log.close()

    alive = sorted(name for name, p in final.items() if p["statename"] == "RUNNING")
    # A restart the soak did not cause by a kill is a crash. Killing Redis makes no process restart.
    unexpected = {name: restarts[name] - kills[name] for name in PROGRAMS if restarts[name] > kills[name]}
    crashes = [line for line in (scratch / "stack.log").read_text().splitlines() if "Unrecoverable error" in line]
    passed = (
        alive == sorted(PROGRAMS)
        and not unexpected
        and not crashes
        and imported == len(bought) > 0
        and duplicates == 0
        and heartbeat_age is not None
        and heartbeat_age < 150
        and web_ok
    )
    rows = [
        ("minutes", f"{args.minutes:g}"),
        ("broker", "redis" if redis else "filesystem"),
        ("chaos", f"every {args.kill_every:g} s" if args.chaos else "off"),
        ("processes alive", f"{len(alive)}/{len(PROGRAMS)} ({', '.join(alive)})"),
        ("kills", dict(kills) or "—"),
        ("restarts", dict(restarts) or "—"),
        ("unexpected restarts", unexpected or "none"),
        ("worker crashes logged", len(crashes)),
        ("purchases made", len(bought)),
        ("purchases imported", imported),
        ("duplicate orders", duplicates),
        ("purchase posts refused", purchase_errors),
        ("stock changes", stock_changes),
        ("panel checks failed", web_failures),
        ("heartbeat age s", f"{heartbeat_age:.0f}" if heartbeat_age is not None else "never"),
        ("logs", scratch if args.keep or not passed else "removed"),
    ]
    for name, value in rows:
        print(f"{name:<24}{value}")
    if passed and not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        json.dumps(
            {
                "bench": "soak",
                "minutes": args.minutes,
                "broker": "redis" if redis else "filesystem",
                "chaos": args.chaos,
                "processes_alive": len(alive),
                "kills": dict(kills),
                "restarts": dict(restarts),
                "unexpected_restarts": unexpected,
                "worker_crashes": len(crashes),
                "purchases_made": len(bought),
                "purchases_imported": imported,
                "duplicate_orders": duplicates,
                "purchase_posts_refused": purchase_errors,
                "stock_changes": stock_changes,
                "panel_checks_failed": web_failures,
                "heartbeat_age_s": round(heartbeat_age) if heartbeat_age is not None else None,
                "pass": passed,
            }
        )
    )


def _setup(emulator_url: str, state_path: Path) -> tuple[list[str], int]:
    """30 shop products with offers on the emulator (external.id = SKU) and a connected account importing orders."""
    from bench._orders_support import connected_account, shop_and_offers
    from tests.emulator_support import Emulator

    class _Server:  # what Emulator and make_offer need of the supervised emulator
        base_url = emulator_url

    _Server.state_path = state_path
    emulator = Emulator(_Server(), contract=None)  # a soak does not validate traffic against the spec
    offers = shop_and_offers(emulator, count=30)
    account = connected_account(emulator)
    account.sync_import_orders = True
    account.save(update_fields=["sync_import_orders"])
    return offers, account.pk


if __name__ == "__main__":
    main()
