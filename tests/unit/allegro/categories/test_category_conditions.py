"""Allegro's requiredIf / displayedIf (CategoryParameterRequirementConditions and
CategoryParameterDisplayConditions in the spec), judged without the database."""

from allegro.categories.services.category_forms import (
    category_values_validate,
    parameter_conditions_met,
    parameter_is_required,
)


def dictionary(pid: str, name: str, values: list[str], **extra) -> dict:
    return {
        "id": pid,
        "name": name,
        "type": "dictionary",
        "required": False,
        "options": {"describesProduct": True},
        "restrictions": {"multipleChoices": False},
        "dictionary": [{"id": f"{pid}_{i}", "value": v, "dependsOnValueIds": []} for i, v in enumerate(values)],
        **extra,
    }


def only_with(pid: str, *value_ids: str) -> dict:
    return {"parametersWithValue": [{"id": pid, "oneOfValueIds": list(value_ids)}], "parametersWithoutValue": []}


def test_conditions_with_and_without_values():
    with_value = only_with("1", "1_1", "1_2")
    assert parameter_conditions_met(conditions=None, values=[])
    assert not parameter_conditions_met(conditions=with_value, values=[])
    assert not parameter_conditions_met(conditions=with_value, values=[{"id": "1", "valuesIds": ["1_3"]}])
    assert parameter_conditions_met(conditions=with_value, values=[{"id": "1", "valuesIds": ["1_2"]}])
    without = {"parametersWithValue": [], "parametersWithoutValue": [{"id": "2"}]}
    assert parameter_conditions_met(conditions=without, values=[])
    assert not parameter_conditions_met(conditions=without, values=[{"id": "2", "values": ["x"]}])
    both = {**with_value, "parametersWithoutValue": [{"id": "2"}]}
    assert not parameter_conditions_met(
        conditions=both, values=[{"id": "1", "valuesIds": ["1_1"]}, {"id": "2", "values": ["x"]}]
    )
    assert parameter_conditions_met(
        conditions=with_value, values=[], unknown=frozenset({"1"})
    )  # filled later, from the product


def test_required_if_replaces_the_flag():
    definition = dictionary("3", "Rodzaj gazu", ["propan"], required=False, requiredIf=only_with("1", "1_1"))
    assert not parameter_is_required(definition=definition, values=[])
    assert parameter_is_required(definition=definition, values=[{"id": "1", "valuesIds": ["1_1"]}])
    assert parameter_is_required(definition=dictionary("4", "Stan", ["nowy"], required=True), values=[])


def test_a_condition_on_the_brand_waits_for_the_product():
    """A parameter shown only for one brand: in a category form the brand comes later, from each product,
    so neither "required" nor "does not apply" can be decided there — whatever is checked before it."""
    definitions = [
        dictionary("1", "Kolor", ["czarny", "biały"]),
        dictionary("248811", "Marka", ["Weber", "Inna"]),
        dictionary(
            "5",
            "Seria",
            ["Genesis", "Spirit"],
            requiredIf=only_with("248811", "248811_0"),
            displayedIf={"parametersWithValue": [{"id": "248811", "oneOfValueIds": ["248811_0"]}]},
        ),
    ]
    values = [{"id": "1", "valuesIds": ["1_0"]}, {"id": "5", "valuesIds": ["5_1"]}]
    assert category_values_validate(definitions=definitions, values=values) == {}
    chosen_other_brand = [*values, {"id": "248811", "valuesIds": ["248811_1"]}]
    assert "5" in category_values_validate(definitions=definitions, values=chosen_other_brand)
