"""Forms of "Wysyłam z Allegro": one order's shipment (service, recipient, package, cash on delivery) and the
courier pickup's date."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from allegro.shipments.models import POST_CODE, PackageTemplate


class ShipmentForm(forms.Form):
    delivery_method_id = forms.ChoiceField(label=_("Delivery service"))
    point = forms.CharField(
        label=_("Pickup point"),
        max_length=64,
        required=False,
        help_text=_("For Paczkomat and other pickup points: the point the buyer chose."),
    )
    name = forms.CharField(label=_("Recipient"), max_length=100)
    company = forms.CharField(label=_("Company"), max_length=100, required=False)
    street = forms.CharField(label=_("Street and number"), max_length=100)
    postal_code = forms.CharField(label=_("Post code"), max_length=6, validators=[POST_CODE])
    city = forms.CharField(label=_("City"), max_length=60)
    phone = forms.CharField(label=_("Phone"), max_length=20)
    email = forms.EmailField(label=_("E-mail"))
    template = forms.ModelChoiceField(
        label=_("Package template"),
        queryset=PackageTemplate.objects.none(),
        required=False,
        empty_label=_("— dimensions below —"),
    )
    length_cm = forms.IntegerField(label=_("Length (cm)"), min_value=1, max_value=350)
    width_cm = forms.IntegerField(label=_("Width (cm)"), min_value=1, max_value=350)
    height_cm = forms.IntegerField(label=_("Height (cm)"), min_value=1, max_value=350)
    weight_kg = forms.DecimalField(
        label=_("Weight (kg)"), min_value=Decimal("0.001"), max_value=Decimal("1000"), decimal_places=3
    )
    cash_on_delivery = forms.BooleanField(label=_("Cash on delivery"), required=False)
    cod_amount = forms.DecimalField(
        label=_("Amount to collect (PLN)"), required=False, min_value=Decimal("0.01"), decimal_places=2
    )

    def __init__(self, *args, services: list[tuple[str, str]], account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delivery_method_id"].choices = services
        self.fields["template"].queryset = PackageTemplate.objects.filter(account=account)

    def clean(self):
        data = super().clean()
        template = data.get("template")
        if template is not None:
            # A template chosen in the list wins over the numbers (which the page's script fills in from it).
            for name in ("length_cm", "width_cm", "height_cm", "weight_kg"):
                data[name] = getattr(template, name)
                self.errors.pop(name, None)
        if data.get("cash_on_delivery") and not data.get("cod_amount"):
            self.add_error("cod_amount", _("Give the amount to collect."))
        return data


class PickupForm(forms.Form):
    pickup_date = forms.ChoiceField(label=_("Pickup date"))

    def __init__(self, *args, dates: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pickup_date"].choices = dates
