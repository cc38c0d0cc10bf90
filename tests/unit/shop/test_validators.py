import pytest
from django.core.exceptions import ValidationError

from shop.validators import gtin_is_valid, normalise_nip, validate_gtin, validate_nip, validate_post_code_pl


@pytest.mark.parametrize("value", ["5901234123457", "96385074", "036000291452", "10614141000415"])
def test_valid_gtins_pass(value):
    validate_gtin(value)
    assert gtin_is_valid(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("5901234123458", "gtin_checksum"),
        ("59012341234", "gtin_format"),
        ("59012341234a7", "gtin_format"),
        ("", "gtin_format"),
    ],
)
def test_invalid_gtins_name_the_reason(value, code):
    with pytest.raises(ValidationError) as error:
        validate_gtin(value)
    assert error.value.code == code
    assert not gtin_is_valid(value)


def test_nip_checksum_and_formats():
    validate_nip("526-000-12-46")
    validate_nip("PL5260001246")
    assert normalise_nip("PL 526 000 12 46") == "5260001246"
    with pytest.raises(ValidationError):
        validate_nip("5260001247")
    with pytest.raises(ValidationError):
        validate_nip("123")


def test_post_code():
    validate_post_code_pl("60-166")
    with pytest.raises(ValidationError):
        validate_post_code_pl("60166")
