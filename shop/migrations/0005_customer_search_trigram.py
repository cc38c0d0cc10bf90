"""Trigram indexes for the fragment searches of customers (e-mail, first and last name, company).

Django's ``icontains`` on PostgreSQL compares ``UPPER(column::text) LIKE UPPER('%term%')``; a btree index cannot
answer a pattern with a leading wildcard, a GIN index of pg_trgm on the same expression can, so a search on
100,000 customers reads a few index pages instead of the whole table. pg_trgm is a trusted extension (the
database owner may create it). Other databases (SQLite in development) have no such index and get nothing.
"""

from django.db import migrations

COLUMNS = ("email", "first_name", "last_name", "company")


def _create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS shop_customer_{column}_trgm ON shop_customer "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS shop_customer_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0004_customerallegroidentity_to_allegro"),
    ]

    operations = [migrations.RunPython(_create, _drop, elidable=False)]
