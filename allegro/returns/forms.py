"""Forms of the returns room: the refund form (a quantity per order line, the delivery amount, the reason) and
the rejection of a return."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from allegro.returns.models import RefundReason, RejectionCode
from allegro.returns.services.refunds import RefundQuote


class RefundForm(forms.Form):
    """One quantity field per order line (``qty_<line id>``); ``intent`` is the refund's command id, made when
    the form is first shown, so submitting the same form twice records one refund."""

    intent = forms.UUIDField(widget=forms.HiddenInput)
    shown_total = forms.DecimalField(widget=forms.HiddenInput, required=False, decimal_places=2)
    reason = forms.ChoiceField(label=_("reason"), choices=RefundReason.choices, initial=RefundReason.REFUND)
    delivery_amount = forms.DecimalField(
        label=_("delivery refund"), min_value=Decimal("0.00"), decimal_places=2, required=False, initial=Decimal("0.00")
    )
    seller_comment = forms.CharField(label=_("comment for the buyer"), max_length=250, required=False)

    def __init__(self, *args, quote: RefundQuote, initial_quantities: dict[int, int] | None = None, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("intent", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.quote = quote
        for line in quote.lines:
            self.fields[f"qty_{line.order_line.pk}"] = forms.IntegerField(
                label=line.order_line.name,
                min_value=0,
                max_value=line.left,
                required=False,
                initial=(initial_quantities or {}).get(line.order_line.pk, 0),
                help_text=_("bought %(bought)d, refunded %(refunded)d, unit price %(price)s")
                % {
                    "bought": line.bought,
                    "refunded": line.refunded,
                    "price": number_format(line.order_line.unit_price, 2),
                },
            )
        self.fields["delivery_amount"].max_value = quote.delivery_left
        self.fields["delivery_amount"].help_text = _("Delivery cost %(cost)s, refunded %(done)s.") % {
            "cost": number_format(quote.delivery_cost, 2),
            "done": number_format(quote.delivery_refunded, 2),
        }

    def line_fields(self):
        return [self[f"qty_{line.order_line.pk}"] for line in self.quote.lines]

    def quantities(self) -> dict[int, int]:
        return {
            line.order_line.pk: self.cleaned_data.get(f"qty_{line.order_line.pk}") or 0 for line in self.quote.lines
        }


class RejectForm(forms.Form):
    code = forms.ChoiceField(label=_("why"), choices=RejectionCode.choices)
    reason = forms.CharField(label=_("reason for the buyer"), max_length=250, required=False)

    def clean(self):
        data = super().clean()
        if data.get("code") == RejectionCode.REFUND_REJECTED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason of the refusal: the buyer will read it."))
        return data
