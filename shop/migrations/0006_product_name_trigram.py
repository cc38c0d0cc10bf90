"""A trigram index for the products search by a fragment of the name.

The search is ``name__icontains`` (``UPPER(name::text) LIKE UPPER('%term%')`` on PostgreSQL), which no btree
index answers; without this GIN index of pg_trgm on the same expression every search reads all the products.
Other databases (SQLite in development) get nothing.
"""

from django.db import migrations


def _create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS shop_product_name_trgm ON shop_product USING gin (UPPER(name::text) gin_trgm_ops)"
    )


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS shop_product_name_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0005_customer_search_trigram"),
    ]

    operations = [migrations.RunPython(_create, _drop, elidable=False)]
