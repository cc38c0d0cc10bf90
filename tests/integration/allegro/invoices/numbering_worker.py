"""A worker process for the numbering race: after "go" on stdin, its threads issue invoices for the given
orders at once (each thread its share); prints "ok" or what went wrong."""

import os
import sys
import threading

import django


def main(threads: int, order_ids: list[int]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selly_allegro.settings_test")
    django.setup()
    from django.db import connections

    from allegro.invoices.services.invoices import order_invoice_generate
    from orders.models import Order

    if sys.stdin.readline().strip() != "go":
        return
    barrier = threading.Barrier(threads)
    errors: list[str] = []

    def issue(share: list[int]) -> None:
        try:
            barrier.wait(timeout=30)
            for order_id in share:
                order_invoice_generate(order=Order.objects.get(pk=order_id))
        except Exception as exc:  # reported to the parent, which fails the test
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    workers = [threading.Thread(target=issue, args=(order_ids[i::threads],)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    print("ok" if not errors else "fail " + " | ".join(errors)[:2000], flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), [int(x) for x in sys.argv[2].split(",")])
