"""Reads of the orders app: the orders search."""

import re

from django.db.models import Q, QuerySet

from shop.models import Customer

ORDER_NUMBER = re.compile(r"^\d{4}/\d{6,}$")
#: Up to this many matching customers are looked up first and their ids given to the orders query, so that
#: PostgreSQL combines three index scans (customer id, the recipient's trigram index, the external key) instead
#: of joining every order to its customer; a term matching more customers falls back to a subquery.
CUSTOMER_IDS_MAX = 5000


def orders_search(*, queryset: QuerySet, term: str) -> QuerySet:
    """Orders matching ``term``: an order number or an external key exactly (their indexes answer), anything else
    a fragment of the customer's e-mail or surname or of the recipient's name (trigram indexes on PostgreSQL)."""
    term = term.strip()
    if not term:
        return queryset
    if ORDER_NUMBER.match(term):
        return queryset.filter(number=term)
    customers = Customer.objects.filter(Q(email__icontains=term) | Q(last_name__icontains=term))
    ids = list(customers.values_list("pk", flat=True)[: CUSTOMER_IDS_MAX + 1])
    by_customer = Q(customer__in=customers) if len(ids) > CUSTOMER_IDS_MAX else Q(customer_id__in=ids)
    return queryset.filter(Q(external_key=term) | by_customer | Q(delivery_name__icontains=term))
