"""How the allegro app adds to the shop's and orders' admin pages (the product list and page, the customer
page, the order page) although ``shop`` and ``orders`` never import ``allegro``.

A room declares what it adds with :func:`extend_admin` when its ``admin.py`` is imported (the admin's
autodiscovery imports them all through ``allegro/admin.py``). Nothing is changed then: the declarations are
applied together by :func:`admin_extensions_apply`, called from ``AllegroConfig.ready()`` after every app's
admin is registered, so no room depends on the order in which the shop's, the orders' or the other rooms'
admin modules are imported.

Applying keeps the ModelAdmin instance the site registered (no unregister/register): its class becomes a
subclass of the registered class with the rooms' additions appended after the page's own, in the order the
rooms declared them (the import order of ``allegro/admin.py``). Because the additions are class attributes,
``manage.py check`` validates them like the page's own.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import reduce

from django.contrib import admin
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import URLPattern

SearchHook = Callable[..., Q | None]
QuerysetHook = Callable[[QuerySet], QuerySet]
PermissionCheck = Callable[[HttpRequest], bool]
UrlsHook = Callable[[admin.ModelAdmin], list[URLPattern]]


@dataclass(frozen=True)
class AdminExtension:
    """What one room adds to one model's admin page."""

    model: type[models.Model]
    inlines: tuple = ()
    actions: tuple = ()
    list_display: tuple = ()
    list_filter: tuple = ()
    readonly_fields: tuple = ()
    search_fields: tuple = ()
    search_help_text: str | None = None
    search_hooks: tuple[SearchHook, ...] = ()
    queryset_hooks: tuple[QuerysetHook, ...] = ()
    permissions: Mapping[str, PermissionCheck] = field(default_factory=dict)
    urls: UrlsHook | None = None


_declared: list[AdminExtension] = []


def extend_admin(
    model: type[models.Model],
    *,
    inlines: Iterable = (),
    actions: Iterable = (),
    list_display: Iterable = (),
    list_filter: Iterable = (),
    readonly_fields: Iterable = (),
    search_fields: Iterable = (),
    search_help_text: str | None = None,
    search_hooks: Iterable[SearchHook] = (),
    queryset_hooks: Iterable[QuerysetHook] = (),
    permissions: Mapping[str, PermissionCheck] | None = None,
    urls: UrlsHook | None = None,
) -> AdminExtension:
    """Declare additions to ``model``'s registered admin; they are applied in ``AllegroConfig.ready()``.

    - ``inlines``, ``actions``, ``list_display``, ``list_filter``, ``readonly_fields``, ``search_fields``:
      appended to the page's own (actions are functions ``(modeladmin, request, queryset)``; one declared with
      ``@admin.action(permissions=["x"])`` needs ``permissions={"x": check}``);
    - ``search_help_text``: replaces the page's text (say what the page's own search and the additions match);
    - ``search_hooks``: ``hook(term=...) -> Q | None``, the rows matching a non-empty search term besides the
      page's own search (OR-ed with its result);
    - ``queryset_hooks``: ``hook(queryset) -> queryset`` on the page's queryset (e.g. ``prefetch_related`` for
      an added column);
    - ``permissions``: ``{"name": check(request) -> bool}`` becomes ``has_<name>_permission``;
    - ``urls``: ``urls(model_admin) -> [path(...)]`` placed before the page's own URLs.
    """
    extension = AdminExtension(
        model=model,
        inlines=tuple(inlines),
        actions=tuple(actions),
        list_display=tuple(list_display),
        list_filter=tuple(list_filter),
        readonly_fields=tuple(readonly_fields),
        search_fields=tuple(search_fields),
        search_help_text=search_help_text,
        search_hooks=tuple(search_hooks),
        queryset_hooks=tuple(queryset_hooks),
        permissions=dict(permissions or {}),
        urls=urls,
    )
    _declared.append(extension)
    return extension


def admin_extensions_apply(*, site: admin.AdminSite, extensions: Iterable[AdminExtension] | None = None) -> None:
    """Apply the declared extensions (or ``extensions``) to the models registered on ``site``.

    A model that is not registered raises ``NotRegistered``: an extension silently missing from a page is the
    failure this replaces."""
    by_model: dict[type[models.Model], list[AdminExtension]] = {}
    for extension in _declared if extensions is None else extensions:
        by_model.setdefault(extension.model, []).append(extension)
    for model, model_extensions in by_model.items():
        model_admin = site.get_model_admin(model)
        model_admin.__class__ = _extended_class(type(model_admin), model_extensions)


def _joined(base: Iterable | None, extensions: list[AdminExtension], name: str) -> list:
    joined = list(base or ())
    for extension in extensions:
        joined.extend(item for item in getattr(extension, name) if item not in joined)
    return joined


def _extended_class(base: type[admin.ModelAdmin], extensions: list[AdminExtension]) -> type[admin.ModelAdmin]:
    search_hooks = [hook for extension in extensions for hook in extension.search_hooks]
    queryset_hooks = [hook for extension in extensions for hook in extension.queryset_hooks]
    urls_hooks = [extension.urls for extension in extensions if extension.urls is not None]
    help_texts = [extension.search_help_text for extension in extensions if extension.search_help_text]

    class Extended(base):
        inlines = _joined(base.inlines, extensions, "inlines")
        actions = _joined(base.actions, extensions, "actions")
        list_display = tuple(_joined(base.list_display, extensions, "list_display"))
        list_filter = tuple(_joined(base.list_filter, extensions, "list_filter"))
        readonly_fields = tuple(_joined(base.readonly_fields, extensions, "readonly_fields"))
        search_fields = tuple(_joined(base.search_fields, extensions, "search_fields"))
        search_help_text = help_texts[-1] if help_texts else base.search_help_text

        def get_queryset(self, request):
            queryset = super().get_queryset(request)
            for hook in queryset_hooks:
                queryset = hook(queryset)
            return queryset

        def get_search_results(self, request, queryset, search_term):
            found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
            term = search_term.strip()
            extra = [q for hook in search_hooks if term and (q := hook(term=term)) is not None]
            if extra:
                found = found | queryset.filter(reduce(operator.or_, extra))
            return found, may_have_duplicates

        def get_urls(self):
            return [*(pattern for hook in urls_hooks for pattern in hook(self)), *super().get_urls()]

    for extension in extensions:
        for name, check in extension.permissions.items():
            setattr(Extended, f"has_{name}_permission", _permission_method(check))
    Extended.__name__ = Extended.__qualname__ = base.__name__
    Extended.__module__ = base.__module__
    return Extended


def _permission_method(check: PermissionCheck):
    def has_permission(self, request) -> bool:
        return check(request)

    return has_permission
