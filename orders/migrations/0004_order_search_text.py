"""The orders search reads one column: ``search_text``, the customer's e-mail and surname and the recipient's
name, upper-cased in Python (the same folding as the typed term). Existing orders are filled in batches; on
PostgreSQL a pg_trgm GIN index on the column answers ``LIKE '%TERM%'`` without joining the customers, and the
recipient's own trigram index, which the search no longer uses, goes."""

from django.db import migrations, models

BATCH = 2000


def _text(order) -> str:
    """As orders.models.order_search_text computes it today (kept here so the migration does not change)."""
    customer = order.customer
    parts = [customer.email, customer.last_name] if customer is not None else []
    return "\n".join([*parts, order.delivery_name]).upper()


def _fill(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    last = 0
    while True:
        batch = list(Order.objects.filter(pk__gt=last).select_related("customer").order_by("pk")[:BATCH])
        if not batch:
            return
        for order in batch:
            order.search_text = _text(order)
        Order.objects.bulk_update(batch, ["search_text"])
        last = batch[-1].pk


def _index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS orders_order_search_text_trgm ON orders_order USING gin (search_text gin_trgm_ops)"
    )
    schema_editor.execute("DROP INDEX IF EXISTS orders_order_delivery_name_trgm")


def _unindex(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS orders_order_search_text_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS orders_order_delivery_name_trgm ON orders_order "
        "USING gin (UPPER(delivery_name::text) gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_order_search"),
        ("shop", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False, verbose_name="search text"),
            preserve_default=False,
        ),
        migrations.RunPython(_fill, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(_index, _unindex, elidable=False),
    ]
