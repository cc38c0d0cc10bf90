"""Allegro's requiredIf / displayedIf (CategoryParameterRequirementConditions and
CategoryParameterDisplayConditions in the spec), judged without the database."""

from allegro.categories.services.category_forms import category_values_validate, conditions_met, parameter_required


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
    assert conditions_met(None, [])
    assert not conditions_met(with_value, [])
    assert not conditions_met(with_value, [{"id": "1", "valuesIds": ["1_3"]}])
    assert conditions_met(with_value, [{"id": "1", "valuesIds": ["1_2"]}])
    without = {"parametersWithValue": [], "parametersWithoutValue": [{"id": "2"}]}
    assert conditions_met(without, [])
    assert not conditions_met(without, [{"id": "2", "values": ["x"]}])
    both = {**with_value, "parametersWithoutValue": [{"id": "2"}]}
    assert not conditions_met(both, [{"id": "1", "valuesIds": ["1_1"]}, {"id": "2", "values": ["x"]}])
    assert conditions_met(with_value, [], unknown=frozenset({"1"}))  # filled later, from the product


def test_required_if_replaces_the_flag():
    definition = dictionary("3", "Rodzaj gazu", ["propan"], required=False, requiredIf=only_with("1", "1_1"))
    assert not parameter_required(definition, [])
    assert parameter_required(definition, [{"id": "1", "valuesIds": ["1_1"]}])
    assert parameter_required(dictionary("4", "Stan", ["nowy"], required=True), [])


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
