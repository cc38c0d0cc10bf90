"""The customers' Allegro identities belong to the allegro app (the catalogue knows nothing of Allegro).

Only the shop's model state is removed here; the table and its rows stay, and allegro's migration 0009 takes
the model over and renames the table. Nothing is deleted from the database.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0003_allegro_login_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CustomerAllegroIdentity")],
            database_operations=[],
        ),
    ]
