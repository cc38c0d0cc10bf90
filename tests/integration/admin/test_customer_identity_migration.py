"""Moving CustomerAllegroIdentity from shop into allegro keeps the rows and the permissions given to groups."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("shop", "0003_allegro_login_index"), ("allegro", "0008_account_gpsr_defaults")]
AFTER = [("shop", "0004_customerallegroidentity_to_allegro"), ("allegro", "0009_customerallegroidentity")]


def _migrate(targets):
    """Migrate shop and allegro to ``targets``, every other app to its latest migration."""
    executor = MigrationExecutor(connection)
    chosen = dict(targets)
    targets = [(app, chosen.get(app, name)) for app, name in executor.loader.graph.leaf_nodes()]
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_forward_migration_keeps_rows_and_permissions():
    old_apps = _migrate(BEFORE)
    try:
        Customer = old_apps.get_model("shop", "Customer")
        Identity = old_apps.get_model("shop", "CustomerAllegroIdentity")
        ContentType = old_apps.get_model("contenttypes", "ContentType")
        Permission = old_apps.get_model("auth", "Permission")
        Group = old_apps.get_model("auth", "Group")
        customer = Customer.objects.create(email="kupujacy@example.com")
        Identity.objects.create(customer=customer, seller_id="1", buyer_id="9", login="Kupujacy_PL")
        content_type = ContentType.objects.get_or_create(app_label="shop", model="customerallegroidentity")[0]
        view = Permission.objects.get_or_create(
            content_type=content_type, codename="view_customerallegroidentity", defaults={"name": "Can view"}
        )[0]
        Group.objects.create(name="Obsługa klienta").permissions.add(view)

        new_apps = _migrate(AFTER)

        Identity = new_apps.get_model("allegro", "CustomerAllegroIdentity")
        assert Identity._meta.db_table == "allegro_customerallegroidentity"
        identity = Identity.objects.get()
        assert (identity.customer_id, identity.seller_id, identity.buyer_id, identity.login) == (
            customer.pk,
            "1",
            "9",
            "Kupujacy_PL",
        )
        assert "shop_customerallegroidentity" not in connection.introspection.table_names()
        Group = new_apps.get_model("auth", "Group")
        codes = {
            (p.content_type.app_label, p.codename) for p in Group.objects.get(name="Obsługa klienta").permissions.all()
        }
        assert codes == {("allegro", "view_customerallegroidentity")}
        ContentType = new_apps.get_model("contenttypes", "ContentType")
        assert not ContentType.objects.filter(app_label="shop", model="customerallegroidentity").exists()

        old_apps = _migrate(BEFORE)  # and back: the table and the content type return to shop
        assert old_apps.get_model("shop", "CustomerAllegroIdentity").objects.get().login == "Kupujacy_PL"
        assert old_apps.get_model("contenttypes", "ContentType").objects.filter(app_label="shop").exists()
    finally:
        _migrate([])
