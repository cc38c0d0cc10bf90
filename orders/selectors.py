"""Reads of the orders app: the orders search."""

import re

from django.db.models import Q, QuerySet

from orders.models import search_normalise

ORDER_NUMBER = re.compile(r"^\d{4}/\d{6,}$")


def orders_search(*, queryset: QuerySet, term: str) -> QuerySet:
    """Orders matching ``term``: an order number or an external key exactly (their indexes answer), anything else
    a fragment of the customer's e-mail or surname or of the recipient's name, all three kept in the order's
    ``search_text`` (one trigram index on PostgreSQL, no join to the customers)."""
    term = term.strip()
    if not term:
        return queryset
    if ORDER_NUMBER.match(term):
        return queryset.filter(number=term)
    return queryset.filter(Q(external_key=term) | Q(search_text__contains=search_normalise(term)))
