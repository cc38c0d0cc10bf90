from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AllegroConfig(AppConfig):
    name = "allegro"
    verbose_name = _("Allegro configuration")

    def ready(self) -> None:
        # The one place the app's receivers are connected (models import no service); dispatch_uid makes each
        # connection happen once however often ready() runs.
        from django.contrib import admin

        from allegro.accounts.signals import account_connected
        from allegro.checkouts.receivers import order_status_changed_receiver
        from allegro.core.admin_extensions import admin_extensions_apply
        from allegro.core.schedules import schedules_install
        from allegro.shipping.receivers import account_connected_receiver
        from allegro.sync.receivers import product_changed_receiver
        from orders.signals import order_status_changed
        from shop.signals import product_changed

        # The rooms' additions to the shop's and orders' admin pages are applied once every admin module is
        # imported. autodiscover() is a no-op when the admin's AppConfig (first in INSTALLED_APPS) has run it,
        # and otherwise runs it now, so the order of INSTALLED_APPS does not matter.
        admin.autodiscover()
        admin_extensions_apply(site=admin.site)

        post_migrate.connect(_install_schedules, sender=self, dispatch_uid="allegro_schedules")
        self._schedules_install = schedules_install
        # Writing back to Allegro when staff move an Allegro order along the pipeline.
        order_status_changed.connect(order_status_changed_receiver, dispatch_uid="allegro_order_writeback")
        # A connected account's price lists fetched at once.
        account_connected.connect(account_connected_receiver, dispatch_uid="allegro_shipping_account_connected")
        # Keeping offers in step when a product's price, stock or visibility changes.
        product_changed.connect(product_changed_receiver, dispatch_uid="allegro_sync_product_changed")

    def seed_demo(self) -> str:
        from allegro.accounts.services.demo import demo_allegro_seed

        return demo_allegro_seed()


def _install_schedules(sender, **kwargs) -> None:
    sender._schedules_install()
