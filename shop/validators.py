"""Validators for identifiers shop staff type in: EAN/GTIN, NIP, Polish post codes."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_GTIN_LENGTHS = (8, 12, 13, 14)
_POST_CODE_PL = re.compile(r"^\d{2}-\d{3}$")


def gtin_check_digit(digits: str) -> int:
    """The GS1 check digit for ``digits`` (the GTIN without its last digit)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        total += int(char) * (3 if position % 2 == 0 else 1)
    return (10 - total % 10) % 10


def gtin_is_valid(value: str) -> bool:
    return (
        value.isascii()
        and value.isdigit()
        and len(value) in _GTIN_LENGTHS
        and gtin_check_digit(value[:-1]) == int(value[-1])
    )


def validate_gtin(value: str) -> None:
    if not value.isascii() or not value.isdigit() or len(value) not in _GTIN_LENGTHS:
        raise ValidationError(
            _("EAN/GTIN must have 8, 12, 13 or 14 digits."), code="gtin_format", params={"value": value}
        )
    if gtin_check_digit(value[:-1]) != int(value[-1]):
        raise ValidationError(
            _("EAN/GTIN %(value)s has a wrong check digit."), code="gtin_checksum", params={"value": value}
        )


_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def normalise_nip(value: str) -> str:
    """Digits only, without the optional PL prefix, dashes and spaces."""
    cleaned = re.sub(r"[\s-]", "", value or "").upper()
    return cleaned[2:] if cleaned.startswith("PL") else cleaned


def validate_nip(value: str) -> None:
    nip = normalise_nip(value)
    if not (nip.isascii() and nip.isdigit() and len(nip) == 10):
        raise ValidationError(_("NIP must have 10 digits."), code="nip_format")
    checksum = sum(int(d) * w for d, w in zip(nip, _NIP_WEIGHTS, strict=False)) % 11
    if checksum == 10 or checksum != int(nip[9]):
        raise ValidationError(_("NIP %(value)s has a wrong check digit."), code="nip_checksum", params={"value": value})


def validate_post_code_pl(value: str) -> None:
    if value and not _POST_CODE_PL.match(value):
        raise ValidationError(_("Post code must look like 00-000."), code="post_code")
