"""Allegro categories: the lazily cached tree, parameters, suggestions, shop → Allegro mappings.

Cost contract (tested against the emulator's request log): opening a level of the tree or a category's parameters
costs at most one Allegro call when the cache is cold and none when it is warm. "Odśwież" refetches on purpose.
Categories and parameters are public resources: they use the app-only token.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError as PydanticValidationError

from allegro.accounts.models import AllegroAccount, AllegroApp
from allegro.accounts.services.accounts import app_client
from allegro.accounts.services.checklist import Check, register_check
from allegro.categories.models import AllegroCategory, AllegroCategoryLevel, CategoryMapping, MappingEnvironment
from allegro.categories.selectors import category_search, category_unmapped_list, mapping_environment_get
from allegro.integration.client import AllegroClient, AllegroError, AllegroNotFound, TokenProvider
from allegro.integration.schemas.categories import CategoryNode, CategoryParameter, category_parameters_parse
from shop.models import Category, Product

logger = logging.getLogger(__name__)

SUGGEST_PRODUCT_NAMES = 3

# App-only tokens live 12 h: keep one provider per app (and per credentials) for the whole process, so that a
# warm page costs no token call either.
_token_providers: dict[tuple, TokenProvider | None] = {}
_token_lock = threading.Lock()


def category_source_key(*, app: AllegroApp) -> str:
    """The cache key of an app's categories: its REST API base URL (production, sandbox or one emulator)."""
    return app.url("api")[:200]


def _client(app: AllegroApp) -> AllegroClient:
    client = app_client(app=app)
    key = (app.pk, app.client_id, app.url("api"), app.url("auth"), app.client_secret_encrypted)
    with _token_lock:
        client.token_provider = _token_providers.setdefault(key, client.token_provider)
    return client


def _upsert(rows: list[AllegroCategory], *, update_position: bool = True) -> None:
    fields = ["name", "parent_allegro_id", "leaf", "path_names", "fetched_at"]
    if update_position:
        fields.append("position")
    AllegroCategory.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["source", "allegro_id"], update_fields=fields
    )


def category_level_fetch(*, app: AllegroApp, parent_id: str = "", refresh: bool = False) -> list[AllegroCategory]:
    """The children of ``parent_id`` ("" = the roots), from the cache or — cold or ``refresh`` — one Allegro call
    (GET /sale/categories[?parent.id=])."""
    source = category_source_key(app=app)
    cached = AllegroCategoryLevel.objects.filter(source=source, parent_allegro_id=parent_id).exists()
    if cached and not refresh:
        return list(AllegroCategory.objects.filter(source=source, parent_allegro_id=parent_id).order_by("position"))
    items = _nodes(_client(app).get_categories(parent_id=parent_id or None))
    prefix: list[str] = []
    if parent_id:
        parent = AllegroCategory.objects.filter(source=source, allegro_id=parent_id).only("path_names").first()
        prefix = list(parent.path_names) if parent is not None else []
    now = timezone.now()
    rows = [
        AllegroCategory(
            source=source,
            allegro_id=item.id,
            name=item.label[:200],
            parent_allegro_id=parent_id,
            leaf=item.leaf,
            path_names=[*prefix, item.label],
            position=position,
            fetched_at=now,
        )
        for position, item in enumerate(items)
    ]
    with transaction.atomic():
        _upsert(rows)
        # Categories Allegro no longer lists at this level are gone (moved or removed).
        AllegroCategory.objects.filter(source=source, parent_allegro_id=parent_id).exclude(
            allegro_id__in=[r.allegro_id for r in rows]
        ).delete()
        AllegroCategoryLevel.objects.update_or_create(
            source=source, parent_allegro_id=parent_id, defaults={"fetched_at": now}
        )
    return list(AllegroCategory.objects.filter(source=source, parent_allegro_id=parent_id).order_by("position"))


def category_get(*, app: AllegroApp, allegro_id: str) -> AllegroCategory:
    """One category from the cache, or fetched (GET /sale/categories/{id}) when not cached yet.

    Raises AllegroNotFound when Allegro does not know it.
    """
    source = category_source_key(app=app)
    row = AllegroCategory.objects.filter(source=source, allegro_id=allegro_id).first()
    if row is not None:
        return row
    raw = _client(app).get_category(allegro_id)
    item = CategoryNode.model_validate({**raw, "id": raw.get("id") or allegro_id})
    parent_id = item.parent.id if item.parent else ""
    parent = AllegroCategory.objects.filter(source=source, allegro_id=parent_id).first() if parent_id else None
    name = (item.name or allegro_id)[:200]
    row = AllegroCategory(
        source=source,
        allegro_id=item.id or allegro_id,
        name=name,
        parent_allegro_id=parent_id,
        leaf=item.leaf,
        path_names=[*(parent.path_names if parent else []), name],
        fetched_at=timezone.now(),
    )
    _upsert([row], update_position=False)
    return AllegroCategory.objects.get(source=source, allegro_id=row.allegro_id)


def category_parameters_fetch(*, app: AllegroApp, allegro_id: str, refresh: bool = False) -> list[CategoryParameter]:
    """The parameter definitions of a category, cached; cold or ``refresh``: one call
    (GET /sale/categories/{id}/parameters). Allegro's JSON is cached as it came (less any definition the
    schema cannot read, which is logged and left out)."""
    source = category_source_key(app=app)
    row = AllegroCategory.objects.filter(source=source, allegro_id=allegro_id).first()
    if row is not None and row.parameters is not None and not refresh:
        return category_parameters_parse(row.parameters)
    parameters, typed = _parameters_read(allegro_id, _client(app).get_category_parameters(allegro_id))
    now = timezone.now()
    if row is None:
        # Reached without the tree (e.g. a form opened from a bookmark): keep the parameters with a bare row.
        row, _created = AllegroCategory.objects.get_or_create(
            source=source,
            allegro_id=allegro_id,
            defaults={"name": allegro_id, "leaf": True, "path_names": [allegro_id], "fetched_at": now},
        )
    AllegroCategory.objects.filter(pk=row.pk).update(parameters=parameters, parameters_fetched_at=now)
    return typed


def _parameters_read(allegro_id: str, raw: list) -> tuple[list[dict], list[CategoryParameter]]:
    """The definitions the schema reads, as (Allegro's JSON, schemas); one it cannot read is logged and
    dropped, so that one odd parameter does not make the whole category unusable."""
    kept: list[dict] = []
    typed: list[CategoryParameter] = []
    for item in raw:
        try:
            parameter = CategoryParameter.model_validate(item)
        except PydanticValidationError as exc:
            logger.warning("category %s: unreadable parameter definition dropped: %s", allegro_id, exc)
            continue
        kept.append(item)
        typed.append(parameter)
    return kept, typed


def _nodes(raw: list) -> list[CategoryNode]:
    """Categories of one answer; one without an id (nothing to cache it under) is logged and dropped."""
    nodes = []
    for item in raw:
        try:
            nodes.append(CategoryNode.model_validate(item))
        except PydanticValidationError as exc:
            logger.warning("unreadable category dropped: %s", exc)
    return nodes


def category_suggest(*, app: AllegroApp, category: Category) -> list[AllegroCategory]:
    """Allegro leaves suggested for a shop category: GET /sale/matching-categories for its most common product
    names (at most three calls), merged so that categories suggested for more names come first."""
    most_common = (
        Product.objects.filter(category.subtree_filter(), visible=True)
        .values("name")
        .annotate(n=Count("pk"))
        .order_by("-n", "name")
        .values_list("name", flat=True)[:SUGGEST_PRODUCT_NAMES]
    )
    names = list(most_common) or [category.name]
    return _matching_leaves(app=app, names=names)


def category_search_everywhere(*, app: AllegroApp, query: str, limit: int = 30) -> list[AllegroCategory]:
    """Allegro categories for a search typed by staff, from the whole tree: the leaves Allegro's matching call
    (GET /sale/matching-categories?name=) finds for the words, stored with their paths so they can be mapped at
    once, then the cached categories (levels opened so far) whose names contain every word. An Allegro that does
    not answer leaves the cached ones."""
    query = query.strip()[:100]
    if not query:
        return []
    try:
        found = _matching_leaves(app=app, names=[query])
    except AllegroError as exc:
        logger.warning("category search by Allegro failed: %s", exc)
        found = []
    seen = {c.allegro_id for c in found}
    cached = [
        c
        for c in category_search(source=category_source_key(app=app), query=query, limit=limit)
        if c.allegro_id not in seen
    ]
    return [*found, *cached][:limit]


def _matching_leaves(*, app: AllegroApp, names: list[str]) -> list[AllegroCategory]:
    """GET /sale/matching-categories for each name; every category on the found leaves' paths is stored (leaves
    as leaves), and the leaves come back with those suggested for more names first."""
    source = category_source_key(app=app)
    client = _client(app)
    votes: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    rows: dict[str, AllegroCategory] = {}
    now = timezone.now()
    for name in names:
        for item in _nodes(client.get_matching_categories(name)):
            chain = item.chain()
            path: list[str] = []
            parent_id = ""
            for depth, node in enumerate(chain):
                path = [*path, node.label]
                if node.id not in rows:
                    rows[node.id] = AllegroCategory(
                        source=source,
                        allegro_id=node.id,
                        name=path[-1][:200],
                        parent_allegro_id=parent_id,
                        leaf=depth == len(chain) - 1,  # Allegro suggests leaves only
                        path_names=path,
                        fetched_at=now,
                    )
                parent_id = node.id
            leaf_id = item.id
            votes[leaf_id] += 1
            first_seen.setdefault(leaf_id, len(first_seen))
    if rows:
        _upsert(list(rows.values()), update_position=False)
    order = sorted(votes, key=lambda cid: (-votes[cid], first_seen[cid]))
    cached = {c.allegro_id: c for c in AllegroCategory.objects.filter(source=source, allegro_id__in=order)}
    return [cached[cid] for cid in order if cid in cached]


# --- mappings ------------------------------------------------------------------------------------------------


def category_mapping_set(
    *, category: Category, environment: str, allegro_category_id: str, app: AllegroApp, actor=None
) -> CategoryMapping:
    """Map a shop category to an Allegro leaf in ``environment``. Raises ValidationError (field
    ``allegro_category_id``) for unknown or non-leaf categories; nothing is saved then."""
    allegro_category_id = (allegro_category_id or "").strip()
    if environment not in MappingEnvironment.values:
        raise ValidationError({"environment": _("Unknown environment.")})
    if not allegro_category_id:
        raise ValidationError({"allegro_category_id": _("Choose an Allegro category.")})
    try:
        allegro_category = category_get(app=app, allegro_id=allegro_category_id)
    except AllegroNotFound:
        raise ValidationError(
            {"allegro_category_id": _("Allegro has no category %(id)s.") % {"id": allegro_category_id}}
        ) from None
    if not allegro_category.leaf:
        raise ValidationError(
            {
                "allegro_category_id": _(
                    "“%(name)s” has subcategories: offers can be listed only in a lowest-level category. "
                    "Open it and choose one of its subcategories."
                )
                % {"name": allegro_category.path_label}
            }
        )
    mapping, _created = CategoryMapping.objects.update_or_create(
        category=category,
        environment=environment,
        defaults={
            "allegro_category_id": allegro_category.allegro_id,
            "allegro_category_path": allegro_category.path_label[:500],
            "updated_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    return mapping


def category_mapping_clear(*, category: Category, environment: str) -> bool:
    """Remove the category's own mapping in ``environment`` (it inherits its parent's again)."""
    deleted, _details = CategoryMapping.objects.filter(category=category, environment=environment).delete()
    return bool(deleted)


# --- setup checklist -----------------------------------------------------------------------------------------


@register_check
def category_mapping_check(account: AllegroAccount) -> list[Check]:
    """Red when shop categories with visible products have no Allegro category (own or inherited)."""
    environment = mapping_environment_get(app=account.app)
    unmapped = category_unmapped_list(environment=environment)
    name = _("Category mappings")
    if not unmapped:
        return [Check(name, True, _("Every shop category with visible products has an Allegro category."))]
    url = reverse("admin:allegro_categorymapping_changelist") + f"?env={environment}&unmapped=1"
    return [
        Check(
            name,
            False,
            _("%(count)d shop categories with visible products have no Allegro category: %(names)s")
            % {
                "count": len(unmapped),
                "names": ", ".join(c.name for c in unmapped[:5]) + ("…" if len(unmapped) > 5 else ""),
            },
            _("Map them in Konfiguracja Allegro → Przyporządkowania kategorii."),
            link=url,
        )
    ]
