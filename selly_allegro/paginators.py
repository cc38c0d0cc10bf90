"""Admin pagination for tables too big to COUNT(*) on every page view (the event log, orders).

An unfiltered list takes PostgreSQL's own row estimate (``pg_class.reltuples``, kept current by autovacuum)
instead of counting a million rows; a filtered or searched list counts at most ``count_cap`` + 1 rows, so
a broad filter costs the same as a narrow one. Small tables and other databases are counted exactly.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property


class LargeTablePaginator(Paginator):
    # Below this many rows (by the estimate) the exact count is cheap enough and never surprises anyone.
    exact_below = 20_000
    # A filtered list shows at most this many results' worth of pages ("10 001 wyników" means "more").
    count_cap = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        if not queryset.query.where:
            estimate = _estimated_rows(queryset)
            if estimate is not None and estimate >= self.exact_below:
                return estimate
            return super().count
        return queryset.order_by()[: self.count_cap + 1].count()


def _estimated_rows(queryset: QuerySet) -> int | None:
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    # -1: the table was never analysed (PostgreSQL 14+); 0 may just mean "not analysed yet" on older servers.
    return int(row[0]) if row and row[0] > 0 else None
