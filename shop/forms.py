from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from shop.models import Product


class ProductAdminForm(forms.ModelForm):
    # The stock the staff member saw when the page opened. Orders keep taking stock while the
    # page is open, so the form writes the stock only when the person changed it, and refuses
    # when it changed under them (saving the old number could oversell).
    stock_seen = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Product
        fields = [
            "name",
            "sku",
            "ean",
            "brand",
            "category",
            "price",
            "vat_rate",
            "stock",
            "visible",
            "weight",
            "description",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stock = self.instance.stock if self.instance.pk else None
        self.fields["stock_seen"].initial = "" if stock is None else str(stock)
        self.stock_changed_by_user = False

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk or "stock" not in cleaned:
            return cleaned
        seen_raw = (self.data.get(self.add_prefix("stock_seen")) or "").strip()
        seen = int(seen_raw) if seen_raw.lstrip("-").isdigit() else None
        self.stock_changed_by_user = cleaned["stock"] != seen
        if self.stock_changed_by_user:
            current = Product.objects.filter(pk=self.instance.pk).values_list("stock", flat=True).first()
            if current != seen:
                self.add_error(
                    "stock",
                    forms.ValidationError(
                        _("The stock changed to %(current)s while you were editing. Check it and save again."),
                        params={"current": "—" if current is None else current},
                        code="stock_changed",
                    ),
                )
        return cleaned


class PriceChangeForm(forms.Form):
    percent = forms.DecimalField(
        label=_("Change prices by (%)"),
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("-99.99"),
        max_value=Decimal("1000"),
        help_text=_("For example 10 raises prices by 10%, -5 lowers them by 5%."),
    )
