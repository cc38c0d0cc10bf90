"""The reply form of a thread: text, files (checked again by the service as Allegro checks them), a template."""

from django import forms
from django.utils.translation import gettext_lazy as _

from allegro.messages.models import ReplyTemplate
from allegro.messages.services.issues import MAX_ISSUE_TEXT
from allegro.messages.services.replies import MAX_TEXT


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".png,.gif,.bmp,.tif,.tiff,.jpg,.jpeg,.pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("reply"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80, "maxlength": MAX_TEXT}),
    )
    files = MultipleFileField(
        label=_("attachments"),
        required=False,
        help_text=_("PNG, GIF, BMP, TIFF, JPEG or PDF, at most 5 MB each."),
    )


class TemplatePickForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("reply template"), queryset=ReplyTemplate.objects.order_by("name"), empty_label=_("— choose —")
    )


class IssueReplyForm(forms.Form):
    text = forms.CharField(
        label=_("reply"), max_length=MAX_ISSUE_TEXT, widget=forms.Textarea(attrs={"rows": 5, "cols": 80})
    )
