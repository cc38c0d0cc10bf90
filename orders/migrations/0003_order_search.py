"""Indexes for the orders search: the external key (matched exactly) and, on PostgreSQL, a pg_trgm GIN index
on the recipient's name for ``icontains`` (``UPPER(delivery_name::text) LIKE UPPER('%term%')``), so a search
through 100,000 orders does not read the whole table. The customers' columns get theirs in shop's migration."""

from django.db import migrations, models


def _create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS orders_order_delivery_name_trgm ON orders_order "
        "USING gin (UPPER(delivery_name::text) gin_trgm_ops)"
    )


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS orders_order_delivery_name_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_line_external_id_index"),
        ("shop", "0005_customer_search_trigram"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["external_key"], name="order_external_key"),
        ),
        migrations.RunPython(_create, _drop, elidable=False),
    ]
