"""Local problems and Allegro's refusal of an offer, placed on the fields of the "Wystaw na Allegro" form.

The form shows a message next to the field it is about; a problem of a category parameter goes to that
parameter's row, and one no field shows goes to the top of the form ("__all__").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from allegro.offers.models import Offer
from allegro.offers.services.validation import OfferProblem

# Fields the listing page shows outside the Django form (the image picker, the parameter rows, the category).
PAGE_FIELDS = ("images", "parameters", "category_id")


@dataclass
class OfferFormErrors:
    """Messages per form field ("__all__" for the whole form) and per category parameter id."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    parameters: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)


def offer_problems_as_form_errors(
    *, problems: Iterable[OfferProblem], form_fields: Collection[str], parameter_ids: Collection[str]
) -> OfferFormErrors:
    """The local problems of an offer as form errors. A missing parameter says "required" on its row; a
    parameter the form has no row for (not among ``parameter_ids``) is also named above the parameters."""
    errors = OfferFormErrors()
    for problem in problems:
        if problem.param_id:
            missing = problem.code.startswith("missing_parameter:")
            text = _("This parameter is required.") if missing else problem.message
            errors.parameters.setdefault(problem.param_id, []).append(text)
            if problem.param_id not in parameter_ids:
                errors.add("parameters", problem.message)
        elif problem.field in form_fields or problem.field in PAGE_FIELDS:
            errors.add(problem.field, problem.message)
        else:
            errors.add("__all__", problem.message)
    return errors


def offer_refusal_as_form_errors(*, offer: Offer, form_fields: Collection[str]) -> OfferFormErrors:
    """Allegro's refusal stored on the offer (``last_error_fields``) as form errors; fields the form does
    not have go to the top of the form."""
    errors = OfferFormErrors()
    for name, messages in (offer.last_error_fields or {}).items():
        target = name if name in form_fields else "__all__"
        errors.fields.setdefault(target, []).extend(messages)
    return errors
