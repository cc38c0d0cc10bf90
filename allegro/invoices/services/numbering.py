"""Invoice numbers: FV/<n>/<MM>/<YYYY>, counted per month without repeats and without gaps."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, connection, transaction

from allegro.invoices.models import InvoiceSequence

NUMBER_FORMAT = "FV/{n}/{month:02d}/{year}"


def invoice_number_next(*, issued_on: date) -> str:
    """The next number of ``issued_on``'s month.

    Call it inside the transaction that stores the invoice: the month's counter row stays locked
    (``select_for_update``; on SQLite the transaction's write lock) until that transaction ends, so two
    invoices issued at once wait for each other instead of sharing a number, and an invoice that is rolled
    back takes its number back with it (no gap)."""
    if not connection.in_atomic_block:
        raise RuntimeError("invoice_number_next must run inside the transaction that stores the invoice")
    key = {"year": issued_on.year, "month": issued_on.month}
    if not InvoiceSequence.objects.filter(**key).exists():
        try:
            with transaction.atomic():  # a savepoint: the first invoice of the month may be issued twice at once
                InvoiceSequence.objects.create(**key)
        except IntegrityError:
            pass  # the other transaction created the row; the lock below waits for it
    sequence = InvoiceSequence.objects.select_for_update().get(**key)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return NUMBER_FORMAT.format(n=sequence.last_number, month=issued_on.month, year=issued_on.year)
