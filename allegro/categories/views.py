"""Small JSON views of the Allegro category browser, under /allegro/categories/.

Staff only, with the permission to see category mappings. Data from Allegro reaches the browser as JSON and is put
into the page with textContent by static/allegro/categories.js.
"""

from __future__ import annotations

from functools import wraps

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from allegro.accounts.models import AllegroApp
from allegro.categories.models import AllegroCategory
from allegro.categories.services.categories import (
    category_level_fetch,
    category_search_everywhere,
    category_suggest,
)
from allegro.integration.client import AllegroError, AllegroNotFound
from shop.models import Category

PERMISSION = "allegro.view_categorymapping"


def _staff_json(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return JsonResponse({"error": gettext("Log in to the panel first.")}, status=403)
        if not user.has_perm(PERMISSION):
            return JsonResponse({"error": gettext("You are not allowed to see category mappings.")}, status=403)
        try:
            return view(request, *args, **kwargs)
        except AllegroNotFound as exc:
            return JsonResponse({"error": "; ".join(exc.user_messages)}, status=404)
        except AllegroError as exc:
            message = gettext("Allegro did not answer as expected: %(error)s. Try again in a moment.") % {
                "error": "; ".join(exc.user_messages)
            }
            return JsonResponse({"error": message}, status=502)

    return wrapped


def _app(request) -> AllegroApp:
    app_id = request.GET.get("app") or request.POST.get("app") or ""
    return get_object_or_404(AllegroApp, pk=app_id if app_id.isdigit() else 0)


def category_json(category: AllegroCategory) -> dict:
    return {
        "id": category.allegro_id,
        "name": category.name,
        "leaf": category.leaf,
        "path": category.path_label,
        "parent": category.parent_allegro_id,
    }


def _level(request, *, refresh: bool) -> JsonResponse:
    app = _app(request)
    parent = (request.GET.get("parent") or request.POST.get("parent") or "").strip()[:64]
    rows = category_level_fetch(app=app, parent_id=parent, refresh=refresh)
    return JsonResponse({"parent": parent, "categories": [category_json(c) for c in rows]})


@require_GET
@_staff_json
def level(request):
    """The children of ``parent`` (roots without it): cached, or one Allegro call when cold."""
    return _level(request, refresh=False)


@require_POST
@_staff_json
def refresh(request):
    """ "Odśwież": fetch one level again from Allegro."""
    return _level(request, refresh=True)


@require_GET
@_staff_json
def search(request):
    """Search by name over the whole Allegro tree: Allegro's matching leaves for the words, then the cached
    categories whose names contain them."""
    app = _app(request)
    query = (request.GET.get("q") or "").strip()[:100]
    rows = category_search_everywhere(app=app, query=query)
    return JsonResponse({"query": query, "categories": [category_json(c) for c in rows]})


@require_GET
@_staff_json
def suggest(request):
    """ "Podpowiedz": Allegro's matching categories for the shop category's most common product names."""
    app = _app(request)
    category = get_object_or_404(Category, pk=request.GET.get("category") or 0)
    rows = category_suggest(app=app, category=category)
    return JsonResponse({"categories": [category_json(c) for c in rows]})


urlpatterns = [
    path("level/", level, name="categories_level"),
    path("refresh/", refresh, name="categories_refresh"),
    path("search/", search, name="categories_search"),
    path("suggest/", suggest, name="categories_suggest"),
]
