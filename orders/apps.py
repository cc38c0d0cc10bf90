from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from orders.receivers import customer_saved
        from shop.models import Customer

        post_save.connect(customer_saved, sender=Customer, dispatch_uid="orders.customer_search_text")
