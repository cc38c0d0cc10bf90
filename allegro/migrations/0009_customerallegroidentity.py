"""The customers' Allegro identities move from the shop app into the checkouts room, keeping every row.

1. The model enters allegro's state on the existing table ``shop_customerallegroidentity`` (no database change;
   shop's 0004 removed it from shop's state).
2. The table is renamed to ``allegro_customerallegroidentity``; its indexes and constraints keep their names.
3. An existing content type ``shop.customerallegroidentity`` becomes ``allegro.customerallegroidentity``, so its
   permissions (now ``allegro.*_customerallegroidentity``), the groups and users holding them and the admin's
   history follow the model.
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

MODEL = "customerallegroidentity"


def _content_type_move(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    old = ContentType.objects.using(db).filter(app_label=source, model=MODEL).first()
    if old is None:
        return  # a new database: post_migrate creates the content type and its permissions
    new = ContentType.objects.using(db).filter(app_label=target, model=MODEL).first()
    if new is None:
        old.app_label = target
        old.save(update_fields=["app_label"])
        return
    # Both exist: the holders of the source's permissions get the target's, then the source goes.
    for permission in Permission.objects.using(db).filter(content_type=old):
        twin = Permission.objects.using(db).filter(content_type=new, codename=permission.codename).first()
        if twin is None:
            permission.content_type = new
            permission.save(update_fields=["content_type"])
            continue
        twin.group_set.add(*permission.group_set.all())
        twin.user_set.add(*permission.user_set.all())
    old.delete()


def content_type_to_allegro(apps, schema_editor) -> None:
    _content_type_move(apps, schema_editor, source="shop", target="allegro")


def content_type_to_shop(apps, schema_editor) -> None:
    _content_type_move(apps, schema_editor, source="allegro", target="shop")


class Migration(migrations.Migration):
    dependencies = [
        ("allegro", "0008_account_gpsr_defaults"),
        ("shop", "0004_customerallegroidentity_to_allegro"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CustomerAllegroIdentity",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        ("seller_id", models.CharField(max_length=64, verbose_name="Allegro seller id")),
                        ("buyer_id", models.CharField(max_length=64, verbose_name="Allegro buyer id")),
                        ("login", models.CharField(db_index=True, max_length=100, verbose_name="Allegro login")),
                        (
                            "customer",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="allegro_identities",
                                to="shop.customer",
                                verbose_name="customer",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "Allegro login",
                        "verbose_name_plural": "Allegro logins",
                        "db_table": "shop_customerallegroidentity",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("seller_id", "buyer_id"), name="customer_allegro_identity_unique"
                            )
                        ],
                        "indexes": [
                            models.Index(
                                django.db.models.functions.text.Upper("login"), name="customer_allegro_login_ci"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="customerallegroidentity", table=None),
        migrations.RunPython(content_type_to_allegro, content_type_to_shop),
    ]
