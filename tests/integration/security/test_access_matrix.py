"""Who may open what: every admin page (model pages and the custom ones: OAuth start, checklists,
listing, sync, category browser...) and the integration's own views, for five kinds of visitor.

- anonymous and a logged-in non-staff user: sent to the login page, never shown anything;
- staff without any permission: refused (403) or turned away (redirect, 405) — never a 200 page;
- staff with the shop's, orders' and Allegro's permissions, and a superuser: the page works
  (200, or a redirect / 405 for POST-only views) — never 403 or 500.
POSTs without a CSRF token are refused for every role. A new view is covered automatically.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from allegro.sync.models import SyncJob
from tests.integration.admin.test_changelist_queries import BUILDERS

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("shop", "orders", "allegro")


def _admin_pages(objects: dict[str, object], product) -> list[tuple[str, str]]:
    """(label, url) of every named admin URL whose arguments we can fill."""
    values = {
        "product_id": product.pk,
        "allegro_id": objects["allegro.categoryform"].allegro_category_id,
        "order_id": objects["orders.order"].pk,
        "job_id": objects["allegro.syncjob"].pk,
    }
    pages, skipped = [], []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        obj = objects.get(label)
        for pattern in model_admin.urls:
            if not isinstance(pattern, URLPattern) or not pattern.name:
                continue
            params = list(pattern.pattern.converters)
            kwargs = {}
            for param in params:
                if param in ("object_id", "pk", "id") and obj is not None:
                    kwargs[param] = obj.pk
                elif param in values:
                    kwargs[param] = values[param]
            if len(kwargs) != len(params):
                skipped.append(pattern.name)
                continue
            pages.append((pattern.name, reverse(f"admin:{pattern.name}", kwargs=kwargs)))
    pages.append(("index", reverse("admin:index")))
    # Unfillable patterns are all object pages of third-party models we don't build (listed for visibility).
    unfilled = [name for name in skipped if name.startswith(PROJECT_APPS)]
    assert not unfilled, unfilled
    return pages


def _integration_views(objects) -> list[tuple[str, str]]:
    """The allegro app's own URLs outside the admin."""
    views = []
    resolver = get_resolver()
    job = objects["allegro.listingjob"]
    product = objects["shop.product"]
    fill = {"pk": job.pk, "product_id": product.pk}

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif namespace == "allegro" and pattern.name:
                params = list(pattern.pattern.converters)
                views.append((pattern.name, reverse(f"allegro:{pattern.name}", kwargs={p: fill[p] for p in params})))

    walk(resolver.url_patterns, None)
    return views


@pytest.fixture
def world(django_user_model):
    user = django_user_model.objects.create_superuser("wlasciciel", password="x")
    objects = {label: build(user) for label, build in BUILDERS.items()}
    # A "Synchronizuj aukcje" job for its progress page (no model page of its own, so not among the builders).
    objects["allegro.syncjob"] = SyncJob.objects.create(actor=user)
    return objects


@pytest.fixture
def clients(django_user_model, world):
    def login(user):
        client = Client()
        client.force_login(user)
        return client

    customer = django_user_model.objects.create_user("klient", password="x")
    bare_staff = django_user_model.objects.create_user("nowy-pracownik", password="x", is_staff=True)
    staff = django_user_model.objects.create_user("pracownik", password="x", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label__in=PROJECT_APPS))
    superuser = django_user_model.objects.get(username="wlasciciel")
    return {
        "anonymous": Client(),
        "non_staff": login(customer),
        "staff_without_permission": login(bare_staff),
        "staff_with_permission": login(staff),
        "superuser": login(superuser),
    }


ALLOWED = {
    "anonymous": {302},
    "non_staff": {302},
    "staff_without_permission": {302, 403, 405},
    "staff_with_permission": {200, 302, 405},
    "superuser": {200, 302, 405},
}


def _project_page(name: str) -> bool:
    return (
        name == "index" or name.startswith(PROJECT_APPS) or name.startswith(("auth_", "django_celery_beat_", "axes_"))
    )


PUBLIC = {"javascript-catalog"}  # the admin's translation catalogue (plain text, the same for everybody)


@pytest.mark.slow
def test_every_page_answers_each_role_as_it_should(world, clients):
    admin_pages = _admin_pages(world, world["shop.product"])
    own_views = _integration_views(world)
    mismatches = []
    for name, url in admin_pages + own_views:
        if name in PUBLIC:
            continue
        # Pages a superuser is refused are switched off by design (read-only logs, price lists Allegro
        # cannot delete...): then everybody must be refused.
        disabled = clients["superuser"].get(url).status_code == 403
        for role, client in clients.items():
            if role == "staff_with_permission" and not name.startswith(PROJECT_APPS) and name != "index":
                continue  # users, groups and schedules need the auth/beat permissions this role does not have
            expected = set(ALLOWED[role])
            if disabled and role in ("staff_with_permission", "superuser"):
                expected = {403}
            if name == "index" and role == "staff_without_permission":
                expected = {200}  # the dashboard opens (without the accounts) for any staff member
            if (name, url) in own_views and role in ("anonymous", "non_staff"):
                expected = {302, 403, 405}  # JSON and POST-only views refuse instead of redirecting
            if (name, url) in own_views and role in ("staff_with_permission", "superuser"):
                expected.add(404)  # the category browser's JSON views need ?app=: without it, "no such app"
            response = client.get(url)
            if response.status_code not in expected:
                mismatches.append(
                    f"{role:26} GET {url} ({name}) -> {response.status_code}, expected {sorted(expected)}"
                )
            elif response.status_code == 302 and role in ("anonymous", "non_staff"):
                if "/login/" not in response["Location"]:
                    mismatches.append(
                        f"{role:26} GET {url} redirected to {response['Location']}, not to the login page"
                    )
    assert not mismatches, "\n".join(mismatches)


def test_post_only_views_refuse_visitors_outside_the_staff(world, clients):
    account = world["allegro.allegroaccount"]
    product = world["shop.product"]
    urls = [
        reverse("allegro:switch_account"),
        reverse("allegro:categories_refresh"),
        reverse("allegro:description_image_upload", args=[product.pk]),
        reverse("admin:allegro_allegroaccount_authorize", args=[account.pk]),
        reverse("admin:allegro_allegroaccount_disconnect", args=[account.pk]),
        reverse("admin:allegro_syncrun_run"),
        reverse("admin:allegro_syncrun_run_all"),
    ]
    for role in ("anonymous", "non_staff", "staff_without_permission"):
        for url in urls:
            status = clients[role].post(url, {"account": account.pk}).status_code
            assert status in (302, 403), f"{role} POST {url} -> {status}"
            if status == 302:
                assert "/login/" in clients[role].post(url)["Location"] or role == "staff_without_permission"
    account.refresh_from_db()
    assert account.state == world["allegro.allegroaccount"].state  # nothing was disconnected


def test_posts_without_a_csrf_token_are_refused(world, django_user_model):
    superuser = django_user_model.objects.get(username="wlasciciel")
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    account = world["allegro.allegroaccount"]
    product = world["shop.product"]
    targets = [
        reverse("admin:shop_product_add"),
        reverse("admin:shop_product_changelist"),  # admin actions
        reverse("admin:allegro_allegroaccount_authorize", args=[account.pk]),  # the OAuth start
        reverse("admin:allegro_allegroaccount_disconnect", args=[account.pk]),
        reverse("admin:allegro_allegroaccount_refresh_lists", args=[account.pk]),
        reverse("admin:allegro_syncrun_run"),
        reverse("admin:allegro_syncrun_run_all"),
        reverse("admin:allegro_listingjob_start"),
        reverse("admin:allegro_offer_list_product", args=[product.pk]),
        reverse("allegro:switch_account"),
        reverse("allegro:categories_refresh"),
        reverse("set_language"),
    ]
    refused = {url: client.post(url, {"account": account.pk}).status_code for url in targets}
    assert all(status == 403 for status in refused.values()), refused


def test_ids_of_other_accounts_cannot_be_slipped_into_the_switcher(client, django_user_model, world):
    staff = django_user_model.objects.create_user("p2", password="x", is_staff=True)
    client.force_login(staff)
    client.post(reverse("allegro:switch_account"), {"account": "999999", "next": "/admin/"})
    assert "allegro_current_account" not in client.session
