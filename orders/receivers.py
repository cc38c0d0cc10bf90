"""The orders app's own listeners: a customer's new e-mail or surname reaches the search text of their orders."""

from orders.models import Order, order_search_text


def customer_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """post_save of shop.Customer: refresh ``search_text`` of the customer's orders that it changes."""
    if created or raw:
        return
    changed = []
    for pk, delivery_name, stored in Order.objects.filter(customer=instance).values_list(
        "pk", "delivery_name", "search_text"
    ):
        text = order_search_text(customer=instance, delivery_name=delivery_name)
        if text != stored:
            changed.append(Order(pk=pk, search_text=text))
    Order.objects.bulk_update(changed, ["search_text"], batch_size=500)
