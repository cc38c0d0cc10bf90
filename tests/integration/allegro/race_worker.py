"""A worker process for the refresh-race test: on each "go" line from stdin, N threads call
Allegro at once through one account whose token has just expired; prints one result line."""

import os
import sys
import threading

import django


def main(account_id: int, threads: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selly_allegro.settings_test")
    django.setup()
    from django.db import connections

    from allegro.accounts.models import AllegroAccount
    from allegro.accounts.services.accounts import account_client

    for line in sys.stdin:
        if line.strip() != "go":
            break
        barrier = threading.Barrier(threads)
        errors: list[str] = []

        def call() -> None:
            try:
                account = AllegroAccount.objects.select_related("app").get(pk=account_id)
                client = account_client(account=account)
                barrier.wait(timeout=10)
                client.get_me()
            except Exception as exc:  # reported to the parent, which fails the test
                errors.append(f"{type(exc).__name__}: {exc}")
            finally:
                connections.close_all()

        workers = [threading.Thread(target=call) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        print("ok" if not errors else "fail " + " | ".join(errors)[:2000], flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
