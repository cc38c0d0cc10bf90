"""Allegro category cache, mappings and the mapping page against the emulator."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from allegro.categories.models import AllegroCategory, CategoryMapping, MappingEnvironment
from allegro.categories.selectors import allegro_category_id_get, category_mapping_list, category_unmapped_list
from allegro.categories.services.categories import (
    category_level_fetch,
    category_mapping_check,
    category_mapping_set,
    category_parameters_fetch,
    category_suggest,
)
from tests.factories import make_category, make_product

ELEKTRONIKA = "42540aec-367a-4e5e-b411-17c09b08e41f"
CAMERA_LEAF = "257933"
CUSTOM = MappingEnvironment.CUSTOM


def api_calls(emulator, since: int = 0) -> list[dict]:
    """Allegro REST calls in the emulator's log (OAuth token calls are not category calls)."""
    return [r for r in emulator.requests(since) if not r["path"].startswith("/auth/")]


def last_seq(emulator) -> int:
    log = emulator.requests()
    return log[-1]["seq"] if log else 0


def open_path(app, *ids):
    """Open the tree from the roots down through ``ids`` (as the picker does)."""
    category_level_fetch(app=app)
    for category_id in ids:
        category_level_fetch(app=app, parent_id=category_id)


def test_tree_level_costs_one_call_cold_and_none_warm(emulator, allegro_app):
    since = last_seq(emulator)
    roots = category_level_fetch(app=allegro_app)
    calls = api_calls(emulator, since)
    assert [(c["method"], c["path"]) for c in calls] == [("GET", "/sale/categories")]
    assert ELEKTRONIKA in {c.allegro_id for c in roots}

    since = last_seq(emulator)
    children = category_level_fetch(app=allegro_app, parent_id=ELEKTRONIKA)
    calls = api_calls(emulator, since)
    assert len(calls) == 1 and "parent.id" in str(calls[0].get("query"))
    assert all(c.path_names[0] == "Elektronika" for c in children)

    since = last_seq(emulator)
    assert [c.allegro_id for c in category_level_fetch(app=allegro_app)] == [c.allegro_id for c in roots]
    assert [c.allegro_id for c in category_level_fetch(app=allegro_app, parent_id=ELEKTRONIKA)] == [
        c.allegro_id for c in children
    ]
    assert emulator.requests(since) == []  # warm: not even a token call


def test_refresh_refetches_a_level(emulator, allegro_app):
    category_level_fetch(app=allegro_app)
    AllegroCategory.objects.filter(allegro_id=ELEKTRONIKA).update(name="stara nazwa")
    since = last_seq(emulator)
    rows = category_level_fetch(app=allegro_app, refresh=True)
    assert len(api_calls(emulator, since)) == 1
    assert next(c for c in rows if c.allegro_id == ELEKTRONIKA).name == "Elektronika"


def test_parameters_cost_one_call_cold_and_none_warm(emulator, allegro_app):
    open_path(allegro_app, ELEKTRONIKA, "8845", "300101")
    since = last_seq(emulator)
    parameters = category_parameters_fetch(app=allegro_app, allegro_id=CAMERA_LEAF)
    calls = api_calls(emulator, since)
    assert [c["path"] for c in calls] == [f"/sale/categories/{CAMERA_LEAF}/parameters"]
    assert len(parameters) == 39

    since = last_seq(emulator)
    assert category_parameters_fetch(app=allegro_app, allegro_id=CAMERA_LEAF) == parameters
    assert emulator.requests(since) == []

    since = last_seq(emulator)
    category_parameters_fetch(app=allegro_app, allegro_id=CAMERA_LEAF, refresh=True)
    assert len(api_calls(emulator, since)) == 1


def test_mapping_only_to_leaves(emulator, allegro_app):
    open_path(allegro_app, ELEKTRONIKA, "8845", "300101")
    shop = make_category("Aparaty")
    with pytest.raises(ValidationError) as refused:
        category_mapping_set(category=shop, environment=CUSTOM, allegro_category_id="300101", app=allegro_app)
    assert "najniższego poziomu" in refused.value.message_dict["allegro_category_id"][0]
    with pytest.raises(ValidationError) as unknown:
        category_mapping_set(category=shop, environment=CUSTOM, allegro_category_id="999999999", app=allegro_app)
    assert "nie ma kategorii" in unknown.value.message_dict["allegro_category_id"][0]
    assert not CategoryMapping.objects.exists()

    mapping = category_mapping_set(category=shop, environment=CUSTOM, allegro_category_id=CAMERA_LEAF, app=allegro_app)
    assert mapping.allegro_category_path == "Elektronika › Fotografia › Aparaty fotograficzne › Aparaty cyfrowe"


def test_mapping_of_an_uncached_leaf_costs_one_call(emulator, allegro_app):
    shop = make_category("Myszy")
    since = last_seq(emulator)
    category_mapping_set(category=shop, environment=CUSTOM, allegro_category_id="4575", app=allegro_app)
    assert [c["path"] for c in api_calls(emulator, since)] == ["/sale/categories/4575"]


def test_subcategories_inherit_unless_they_have_their_own(emulator, allegro_app):
    root = make_category("Foto")
    child = make_category("Aparaty", parent=root)
    grandchild = make_category("Cyfrowe", parent=child)
    other = make_category("Komputery")
    category_mapping_set(category=root, environment=CUSTOM, allegro_category_id="300102", app=allegro_app)
    assert allegro_category_id_get(category=grandchild, app=allegro_app) == "300102"
    category_mapping_set(category=child, environment=CUSTOM, allegro_category_id=CAMERA_LEAF, app=allegro_app)
    assert allegro_category_id_get(category=grandchild, app=allegro_app) == CAMERA_LEAF
    assert allegro_category_id_get(category=root, app=allegro_app) == "300102"
    assert allegro_category_id_get(category=other, app=allegro_app) is None

    # A production mapping serves the emulator (custom) and the sandbox unless they have their own.
    category_mapping_set(
        category=other, environment=MappingEnvironment.PRODUCTION, allegro_category_id="4575", app=allegro_app
    )
    assert allegro_category_id_get(category=other, app=allegro_app) == "4575"
    category_mapping_set(category=other, environment=CUSTOM, allegro_category_id="300202", app=allegro_app)
    assert allegro_category_id_get(category=other, app=allegro_app) == "300202"

    rows = {row.category.name: row for row in category_mapping_list(environment=CUSTOM)}
    assert rows["Cyfrowe"].inherited_from == child and not rows["Cyfrowe"].own
    assert rows["Aparaty"].own and rows["Komputery"].own


def test_unmapped_listing_and_checklist(emulator, allegro_app, connected_account):
    root = make_category("Dom")
    mapped = make_category("Kuchnia", parent=root)
    lonely = make_category("Ogród")
    empty = make_category("Pusta")
    make_product(category=mapped)
    make_product(category=lonely)
    make_product(category=empty, visible=False)
    category_mapping_set(category=mapped, environment=CUSTOM, allegro_category_id=CAMERA_LEAF, app=allegro_app)

    unmapped = category_unmapped_list(environment=CUSTOM)
    assert [c.name for c in unmapped] == ["Ogród"]
    [check] = category_mapping_check(connected_account)
    assert not check.ok
    assert "1" in check.message and "Ogród" in check.message
    assert "unmapped=1" in check.link

    category_mapping_set(category=lonely, environment=CUSTOM, allegro_category_id="4575", app=allegro_app)
    [check] = category_mapping_check(connected_account)
    assert check.ok


def test_suggest_merges_the_most_common_product_names(emulator, allegro_app):
    shop = make_category("Foto")
    for _ in range(3):
        make_product(category=shop, name="Aparat cyfrowy Canon")
    make_product(category=shop, name="Statyw fotograficzny")
    make_product(category=shop, name="Statyw fotograficzny")
    make_product(category=shop, name="Aparat cyfrowy Nikon")
    make_product(category=shop, name="Mysz bezprzewodowa")  # as common as Nikon but later by name: not asked
    since = last_seq(emulator)
    suggestions = category_suggest(app=allegro_app, category=shop)
    calls = [c for c in api_calls(emulator, since) if c["path"] == "/sale/matching-categories"]
    assert len(calls) == 3
    ids = [c.allegro_id for c in suggestions]
    assert ids[0] == CAMERA_LEAF  # suggested for two names
    assert "300107" in ids  # Statywy
    assert "4575" not in ids
    camera = AllegroCategory.objects.get(allegro_id=CAMERA_LEAF)
    assert camera.leaf and camera.path_names[-2:] == ["Aparaty fotograficzne", "Aparaty cyfrowe"]


# --- JSON views and pages --------------------------------------------------------------------------------------


def test_json_views_are_staff_only_and_permission_checked(staff_client, django_user_model, allegro_app):
    url = reverse("allegro:categories_level") + f"?app={allegro_app.pk}"
    anonymous = Client()
    assert anonymous.get(url).status_code == 403
    plain = django_user_model.objects.create_user("bez-uprawnien", password="x", is_staff=True)
    other = Client()
    other.force_login(plain)
    response = other.get(url)
    assert response.status_code == 403 and "uprawnień" in response.json()["error"]
    response = staff_client.get(url)
    assert response.status_code == 200
    assert any(c["id"] == ELEKTRONIKA for c in response.json()["categories"])


def test_json_level_search_and_suggest(emulator, staff_client, allegro_app):
    base = {"app": allegro_app.pk}
    staff_client.get(reverse("allegro:categories_level"), {**base, "parent": ""})
    staff_client.get(reverse("allegro:categories_level"), {**base, "parent": ELEKTRONIKA})
    since = last_seq(emulator)
    found = staff_client.get(reverse("allegro:categories_search"), {**base, "q": "foto"}).json()["categories"]
    assert "Fotografia" in [c["name"] for c in found]  # an opened level, from the cache
    # A leaf of a level never opened: Allegro's matching call searches the whole tree, the path comes along.
    deep = staff_client.get(reverse("allegro:categories_search"), {**base, "q": "czajnik"}).json()["categories"]
    (kettles,) = [c for c in deep if c["id"] == "300407"]
    assert kettles["leaf"] and kettles["path"].endswith("Czajniki elektryczne") and kettles["path"].count(" › ") >= 2
    assert [r["path"] for r in emulator.requests(since)] == ["/sale/matching-categories"] * 2
    shop = make_category("Słuchawki")
    make_product(category=shop, name="Słuchawki bezprzewodowe")
    suggested = staff_client.get(reverse("allegro:categories_suggest"), {**base, "category": shop.pk}).json()
    assert suggested["categories"] and suggested["categories"][0]["leaf"]
    refreshed = staff_client.post(reverse("allegro:categories_refresh"), {**base, "parent": ELEKTRONIKA})
    assert refreshed.status_code == 200


def test_json_view_reports_allegro_errors(emulator, staff_client, allegro_app):
    emulator.add_fault("^/sale/categories$", status=503, times=10)
    response = staff_client.get(reverse("allegro:categories_level"), {"app": allegro_app.pk})
    assert response.status_code == 502
    assert "Spróbuj ponownie" in response.json()["error"]


def test_mapping_page_saves_refuses_and_filters(emulator, staff_client, allegro_app, django_assert_max_num_queries):
    root = make_category("Foto")
    for n in range(15):
        child = make_category(f"Podkategoria {n:02d}", parent=root)
        make_product(category=child)
    url = reverse("admin:allegro_categorymapping_changelist")
    staff_client.get(url)  # warm-up (session, content types)
    with django_assert_max_num_queries(12):
        response = staff_client.get(url, {"env": CUSTOM})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Przyporządkowania kategorii" in page and "niezmapowane" in page

    save = reverse("admin:allegro_categorymapping_save")
    refused = staff_client.post(save, {"env": CUSTOM, "category": root.pk, "allegro_category_id": "8845"})
    assert refused.status_code == 400
    assert "najniższego poziomu" in refused.content.decode()
    assert not CategoryMapping.objects.exists()

    saved = staff_client.post(save, {"env": CUSTOM, "category": root.pk, "allegro_category_id": CAMERA_LEAF})
    assert saved.status_code == 302
    assert CategoryMapping.objects.get().allegro_category_id == CAMERA_LEAF
    page = staff_client.get(url, {"env": CUSTOM}).content.decode()
    assert "dziedziczone z Foto" in page
    only_unmapped = staff_client.get(url, {"env": CUSTOM, "unmapped": "1"}).content.decode()
    assert "Podkategoria 03" not in only_unmapped

    staff_client.post(reverse("admin:allegro_categorymapping_clear"), {"env": CUSTOM, "category": root.pk})
    assert not CategoryMapping.objects.exists()


def test_menu_has_both_pages(staff_client):
    page = staff_client.get(reverse("admin:index")).content.decode()
    assert "Przyporządkowania kategorii" in page
    assert "Formularze kategorii" in page
