"""The category and shipping schemas take what real Allegro sends: missing or null optional fields, numeric ids,
keys they do not know; and they read the fields the services use."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from allegro.categories.services.category_forms import category_values_validate, parameter_is_required
from allegro.integration.schemas.categories import CategoryNode, CategoryParameter, ParameterValue
from allegro.integration.schemas.shipping import DeliveryMethod, ShippingRatesConstraints, ShippingRatesSet


def test_a_bare_parameter_with_nulls_reads_with_defaults():
    parameter = CategoryParameter.model_validate(
        {
            "id": 11323,
            "name": None,
            "type": "dictionary",
            "required": None,
            "requiredIf": None,
            "displayedIf": {},
            "unit": None,
            "options": None,
            "restrictions": None,
            "dictionary": None,
            "formerData": {"ids": []},
            "somethingNew": [1, 2],
        }
    )
    assert parameter.id == "11323" and parameter.label == "11323"
    assert parameter.required is False and parameter.requiredIf is None and parameter.displayedIf is None
    assert parameter.options.customValuesEnabled is False and parameter.options.ambiguousValueId is None
    assert parameter.restrictions.multipleChoices is False and parameter.dictionary == []
    assert parameter.unit == ""


def test_parameter_fields_are_read():
    parameter = CategoryParameter.model_validate(
        {
            "id": "224017",
            "name": "Pojemność",
            "type": "float",
            "required": True,
            "unit": "l",
            "restrictions": {"min": 0, "max": 10000.5, "range": True, "precision": 2},
            "options": {"describesProduct": True, "customValuesEnabled": False, "dependsOnParameterId": None},
            "requiredIf": {
                "parametersWithValue": [{"id": 11323, "oneOfValueIds": ["11323_1"]}],
                "parametersWithoutValue": [{"id": "5"}],
            },
        }
    )
    assert parameter.kind == "range" and parameter.restrictions.precision == 2
    assert parameter.restrictions.min == Decimal("0") and parameter.restrictions.max == Decimal("10000.5")
    assert parameter.options.describesProduct is True
    assert parameter.requiredIf.parameter_ids() == ["11323", "5"]
    assert parameter.requiredIf.parametersWithValue[0].oneOfValueIds == ["11323_1"]


def test_an_empty_required_if_leaves_the_required_flag_in_charge():
    # ``{}`` is no condition (like null): were it read as conditions, all (none) of them would hold.
    optional = {"id": "1", "name": "Kolor", "type": "string", "required": False, "requiredIf": {}}
    assert CategoryParameter.model_validate(optional).requiredIf is None
    assert not parameter_is_required(definition=optional, values=[])
    assert category_values_validate(definitions=[optional], values=[]) == {}
    assert list(category_values_validate(definitions=[{**optional, "required": True}], values=[])) == ["1"]


def test_a_parameter_needs_an_id():
    with pytest.raises(ValidationError):
        CategoryParameter.model_validate({"name": "Bez id", "type": "string"})


def test_category_nodes_and_their_parent_chain():
    node = CategoryNode.model_validate(
        {"id": 3, "name": "Aparaty", "parent": {"id": "2", "name": "Foto", "parent": {"id": None}}, "options": {}}
    )
    assert [n.id for n in node.chain()] == ["2", "3"] and node.leaf is False
    assert CategoryNode.model_validate({"id": "9", "name": None, "leaf": True, "parent": None}).label == "9"


def test_parameter_values_in_allegro_shape():
    value = ParameterValue.model_validate({"id": "7", "values": [12, "x"], "rangeValue": {"from": 0, "to": None}})
    assert value.values == ["12", "x"] and value.rangeValue.from_ == "0" and value.rangeValue.to == ""
    assert not ParameterValue.model_validate({"id": "7", "valuesIds": None, "rangeValue": None}).has_value


def test_delivery_method_constraints_with_nulls_and_odd_numbers():
    method = DeliveryMethod.model_validate(
        {
            "id": "abc",
            "name": "Kurier",
            "paymentPolicy": "CASH_ON_DELIVERY",
            "marketplaces": ["allegro-pl"],
            "shippingRatesConstraints": {
                "allowed": None,
                "maxQuantityPerPackage": {"max": 999999},
                "maxPackageWeight": {"supported": True, "min": None, "max": "20.000", "unit": None},
                "firstItemRate": {"min": "0.00", "max": "nie-liczba", "currency": "PLN"},
                "nextItemRate": None,
                "shippingTime": {"default": {"from": "PT24H", "to": "PT48H"}, "customizable": True},
            },
        }
    )
    c = method.shippingRatesConstraints
    assert c.allowed is True and c.maxQuantityPerPackage.max == 999999 and c.maxQuantityPerPackage.min is None
    assert c.maxPackageWeight.max == Decimal("20.000") and c.maxPackageWeight.min is None
    assert c.firstItemRate.min == Decimal("0.00") and c.firstItemRate.max is None
    assert c.nextItemRate.max is None and c.shippingTime.customizable and c.shippingTime.default.to == "PT48H"
    assert ShippingRatesConstraints.model_validate({}).allowed is True


def test_shipping_rates_set_reads_rates():
    doc = ShippingRatesSet.model_validate(
        {
            "id": "5c7b",
            "name": "Cennik",
            "lastModified": None,
            "rates": [
                {
                    "deliveryMethod": {"id": "m1"},
                    "maxQuantityPerPackage": "3",
                    "firstItemRate": {"amount": "12.99", "currency": "PLN"},
                    "nextItemRate": {"amount": "0.00", "currency": "PLN"},
                    "shippingTime": None,
                    "maxPackageWeight": {"value": "15.000", "unit": "KILOGRAM"},
                },
                {"deliveryMethod": {"id": "m2"}, "firstItemRate": {"amount": None}},
            ],
        }
    )
    first, second = doc.rates
    assert first.maxQuantityPerPackage == 3 and first.firstItemRate.amount == Decimal("12.99")
    assert first.maxPackageWeight.value == Decimal("15.000") and first.shippingTime is None
    assert second.maxQuantityPerPackage is None and second.firstItemRate.amount is None
    assert doc.lastModified == ""
