"""The single listing form ("Wystaw na Allegro"): plain fields; category parameters and images are read from the POST
by the view (the parameter widgets are the category form's, see ``allegro.categories.forms``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from allegro.accounts.models import AllegroAccount, Duration
from allegro.descriptions.models import DescriptionTemplate
from allegro.descriptions.widgets import DescriptionEditorWidget, DescriptionFormField
from allegro.offers.models import OfferFormat
from allegro.offers.services.validation import TITLE_MAX

AUCTION_DURATIONS = [("PT24H", _("1 day"))]


def _choices(items: list[dict] | None, current: str) -> list[tuple[str, str]]:
    choices = [("", "—")] + [(str(i["id"]), str(i.get("name") or i["id"])) for i in items or []]
    if current and current not in {c[0] for c in choices}:
        choices.append((current, current))
    return choices


class OfferForm(forms.Form):
    account = forms.ModelChoiceField(queryset=AllegroAccount.objects.all(), label=_("Allegro account"))
    # No max_length: the browser would cut a long title silently; the offer's check names the length instead.
    title = forms.CharField(
        label=_("Title"), widget=forms.TextInput(attrs={"class": "vTextField ao-title", "data-max": TITLE_MAX})
    )
    format = forms.ChoiceField(label=_("Format"), choices=OfferFormat.choices)
    # The form checks only that these are numbers; their bounds (above zero, 2 decimal places, at least 1 and
    # at most the stock, an auction's single item) are the offer's rules, checked with all the others at once.
    price = forms.DecimalField(label=_("Price"), max_digits=12, decimal_places=4, required=False)
    starting_price = forms.DecimalField(label=_("Starting price"), max_digits=12, decimal_places=4, required=False)
    minimal_price = forms.DecimalField(label=_("Minimal price"), max_digits=12, decimal_places=4, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), required=False)
    duration = forms.ChoiceField(label=_("Duration"), choices=[*Duration.choices, *AUCTION_DURATIONS], required=False)
    catalogue_product_id = forms.CharField(
        label=_("Allegro catalogue product (EAN)"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "ao-catalogue", "class": "vTextField"}),
        help_text=_(
            "The product's EAN links the offer to Allegro's catalogue (a new product is proposed when Allegro does "
            "not know the EAN), a product id chosen from the catalogue links it to that product; empty: a new "
            "product proposal; “none”: without a catalogue product, where the category allows it."
        ),
    )
    template = forms.ModelChoiceField(
        queryset=DescriptionTemplate.objects.filter(is_active=True),
        label=_("Offer template"),
        required=False,
        empty_label=_("the category's or the account's default"),
    )
    description = DescriptionFormField(label=_("Description"), required=False)
    shipping_rates_id = forms.ChoiceField(label=_("Delivery price list"), required=False)
    implied_warranty_id = forms.ChoiceField(label=_("Complaints"), required=False)
    return_policy_id = forms.ChoiceField(label=_("Returns"), required=False)
    warranty_id = forms.ChoiceField(label=_("Warranty"), required=False)
    responsible_producer_id = forms.CharField(
        label=_("Responsible producer (GPSR)"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "ao-producers", "class": "vTextField"}),
        help_text=_("Choose from the list fetched from Allegro or type the producer's name."),
    )
    new_producer = forms.CharField(
        label=_("New responsible producer"),
        required=False,
        max_length=50,
        help_text=_("Creates the producer on Allegro under this name."),
    )
    safety_information = forms.CharField(
        label=_("Safety information (GPSR)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    marketed_before_gpsr = forms.BooleanField(
        label=_("Placed on the EU market before 13 December 2024"), required=False
    )
    renew_after_end = forms.BooleanField(label=_("List again after the end"), required=False)

    # Fields Allegro requires: marked with the red asterisk.
    REQUIRED = ("account", "title", "format", "price", "quantity", "shipping_rates_id", "implied_warranty_id",
                "return_policy_id", "responsible_producer_id", "safety_information")  # fmt: skip

    def __init__(self, *args, account: AllegroAccount | None = None, editor_images=None, upload_url="", **kwargs):
        initial = kwargs.get("initial") or {}
        super().__init__(*args, **kwargs)
        cache = (account.choices_cache if account is not None else None) or {}
        for name, key in (
            ("shipping_rates_id", "shipping-rates"),
            ("implied_warranty_id", "implied-warranties"),
            ("return_policy_id", "return-policies"),
            ("warranty_id", "warranties"),
        ):
            current = str(self.data.get(name) or initial.get(name) or "")
            self.fields[name].choices = _choices(cache.get(key), current)
        description = self.fields["description"]
        description.image_pks = {image["id"] for image in editor_images or []}
        description.widget = DescriptionEditorWidget(images=editor_images or [], upload_url=upload_url)
        for name in self.REQUIRED:
            self.fields[name].widget.attrs["data-required"] = "1"

    def producers(self, account: AllegroAccount | None) -> list[dict]:
        return list(((account.choices_cache if account else None) or {}).get("responsible-producers") or [])
