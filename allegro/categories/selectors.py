"""Reads of category mappings and the cached Allegro tree."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from allegro.accounts.models import AllegroApp, Environment
from allegro.categories.models import AllegroCategory, CategoryForm, CategoryMapping, MappingEnvironment
from shop.models import Category, Product


def mapping_environments_list(*, environment: str) -> list[str]:
    """Where to look for a mapping, in order: the environment's own, then production's (sandbox and custom
    mappings are optional)."""
    if environment == MappingEnvironment.PRODUCTION:
        return [MappingEnvironment.PRODUCTION]
    return [environment, MappingEnvironment.PRODUCTION]


def mapping_environment_get(*, app: AllegroApp) -> str:
    """The mapping key of an app: production, sandbox, or custom (the emulator counts as its own environment,
    falling back to production's mappings like the sandbox)."""
    return {
        Environment.SANDBOX: MappingEnvironment.SANDBOX,
        Environment.CUSTOM: MappingEnvironment.CUSTOM,
    }.get(app.environment, MappingEnvironment.PRODUCTION)


def _ancestor_paths(category: Category) -> list[str]:
    steplen = category.steplen
    return [category.path[:end] for end in range(steplen, len(category.path) + 1, steplen)]


def category_mapping_get(*, category: Category, environment: str) -> CategoryMapping | None:
    """The mapping that applies to a shop category: its own, else the nearest ancestor's. At one category, the
    environment's own mapping beats production's. One query."""
    environments = mapping_environments_list(environment=environment)
    candidates = list(
        CategoryMapping.objects.filter(
            category__path__in=_ancestor_paths(category), environment__in=environments
        ).select_related("category")
    )
    if not candidates:
        return None
    candidates.sort(key=lambda m: (-m.category.depth, environments.index(m.environment)))
    return candidates[0]


def allegro_category_id_get(*, category: Category, app: AllegroApp) -> str | None:
    """The Allegro leaf category id for products of ``category`` listed through ``app`` (inherited from the
    nearest mapped ancestor), or None when the category is unmapped."""
    mapping = category_mapping_get(category=category, environment=mapping_environment_get(app=app))
    return mapping.allegro_category_id if mapping else None


@dataclass
class MappingRow:
    category: Category
    products: int
    mapping: CategoryMapping | None  # the one that applies
    own: bool  # the mapping is the category's own (not inherited)
    inherited_from: Category | None
    fallback: bool  # the production mapping used for a sandbox/custom environment

    @property
    def mapped(self) -> bool:
        return self.mapping is not None


def category_mapping_list(*, environment: str, unmapped_only: bool = False) -> list[MappingRow]:
    """The whole shop tree with the mapping of each category (own / inherited / none) and its visible product
    count. Three queries whatever the size of the tree."""
    environments = mapping_environments_list(environment=environment)
    categories = list(Category.objects.order_by("path").annotate(n=Count("products", filter=Q(products__visible=True))))
    mappings: dict[int, CategoryMapping] = {}
    for mapping in CategoryMapping.objects.filter(environment__in=environments):
        current = mappings.get(mapping.category_id)
        if current is None or environments.index(mapping.environment) < environments.index(current.environment):
            mappings[mapping.category_id] = mapping
    by_path: dict[str, tuple[CategoryMapping, Category] | None] = {}
    rows: list[MappingRow] = []
    for category in categories:
        own = mappings.get(category.pk)
        if own is not None:
            effective = (own, category)
        else:
            effective = by_path.get(category.path[: -category.steplen]) if category.depth > 1 else None
        by_path[category.path] = effective
        mapping, source = effective if effective else (None, None)
        rows.append(
            MappingRow(
                category=category,
                products=category.n,
                mapping=mapping,
                own=own is not None,
                inherited_from=source if source is not None and source.pk != category.pk else None,
                fallback=mapping is not None and mapping.environment != environment,
            )
        )
    if unmapped_only:
        rows = [row for row in rows if not row.mapped]
    return rows


def category_unmapped_list(*, environment: str) -> list[Category]:
    """Shop categories with visible products of their own and no Allegro category (own or inherited)."""
    return [row.category for row in category_mapping_list(environment=environment, unmapped_only=True) if row.products]


def category_search(*, source: str, query: str, limit: int = 30) -> list[AllegroCategory]:
    """Cached categories whose name contains every word of ``query`` (case-insensitive), leaves first."""
    words = [w for w in query.split() if w][:5]
    if not words:
        return []
    condition = Q()
    for word in words:
        condition &= Q(name__icontains=word)
    return list(
        AllegroCategory.objects.filter(condition, source=source).defer("parameters").order_by("-leaf", "name")[:limit]
    )


def allegro_category_mapped_list(*, environment: str) -> list[dict]:
    """The Allegro categories the shop maps to in ``environment`` (with production fallbacks), each with the shop
    categories using it and its saved form, for "Formularze kategorii". Two queries."""
    environments = mapping_environments_list(environment=environment)
    groups: dict[str, dict] = {}
    for mapping in (
        CategoryMapping.objects.filter(environment__in=environments)
        .select_related("category")
        .order_by("allegro_category_path", "category__path")
    ):
        group = groups.setdefault(
            mapping.allegro_category_id,
            {"allegro_id": mapping.allegro_category_id, "path": mapping.allegro_category_path, "categories": []},
        )
        if mapping.category.name not in group["categories"]:
            group["categories"].append(mapping.category.name)
    forms = {f.allegro_category_id: f for f in CategoryForm.objects.filter(allegro_category_id__in=list(groups))}
    for allegro_id, group in groups.items():
        group["form"] = forms.get(allegro_id)
    return sorted(groups.values(), key=lambda g: (g["path"], g["allegro_id"]))


def products_of_allegro_category(*, allegro_category_id: str, environment: str) -> QuerySet[Product]:
    """The shop's products listed in ``allegro_category_id`` in ``environment``: those of every shop category whose
    mapping (its own or inherited) points there. Four queries whatever the size of the tree."""
    ids = [
        row.category.pk
        for row in category_mapping_list(environment=environment)
        if row.mapping is not None and row.mapping.allegro_category_id == allegro_category_id
    ]
    return Product.objects.filter(category_id__in=ids).order_by("name", "pk")
