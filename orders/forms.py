from django import forms
from django.utils.translation import gettext_lazy as _

from orders.models import ALLOWED_TRANSITIONS, Order, OrderStatus


class OrderAdminForm(forms.ModelForm):
    class Meta:
        model = Order
        exclude = ["number", "source", "external_key", "items_total", "placed_at"]  # noqa: DJ006 - shown read-only

    def clean_status(self):
        status = self.cleaned_data["status"]
        if self.instance.pk and "status" in self.changed_data:
            current = Order.objects.filter(pk=self.instance.pk).values_list("status", flat=True).first()
            if status != current and status not in ALLOWED_TRANSITIONS[current]:
                allowed = ", ".join(str(OrderStatus(s).label) for s in sorted(ALLOWED_TRANSITIONS[current])) or "—"
                raise forms.ValidationError(
                    _("An order cannot go from “%(from)s” to “%(to)s”. Allowed: %(allowed)s."),
                    params={"from": OrderStatus(current).label, "to": OrderStatus(status).label, "allowed": allowed},
                    code="transition",
                )
        return status
