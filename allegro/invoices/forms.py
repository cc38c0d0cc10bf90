"""Forms of the invoice page of an order: the shop's own invoice PDF with its number."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from allegro.invoices.services.invoices import MAX_FILE_BYTES, NUMBER_MAX_LENGTH, InvoiceRefused, invoice_file_check


class InvoiceUploadForm(forms.Form):
    number = forms.CharField(
        label=_("invoice number"), max_length=NUMBER_MAX_LENGTH, help_text=_("As printed on the invoice.")
    )
    file = forms.FileField(
        label=_("invoice file (PDF)"),
        help_text=_("A PDF of at most 3 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 3 MB, the most Allegro accepts."))
        data = upload.read()
        try:
            invoice_file_check(data=data)
        except InvoiceRefused as exc:
            raise forms.ValidationError(str(exc)) from None
        self.cleaned_data["data"] = data
        return upload
