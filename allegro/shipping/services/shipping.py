"""Delivery price lists ("Koszty dostawy") and the delivery-method mapping ("Mapowanie form dostawy").

A price list is checked here against the cached constraints of each delivery method first, then sent to
Allegro; only when Allegro accepts it is the local copy written. Allegro has no DELETE for price lists,
so the import creates and updates local copies and never removes one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroAccount, AllegroApp
from allegro.accounts.services.accounts import account_client, app_client
from allegro.accounts.services.checklist import Check, register_check
from allegro.core.models import EventKind
from allegro.core.services.events import event_log
from allegro.integration.client import AllegroRetryLater, AllegroValidationError
from allegro.integration.schemas import shipping as schemas
from allegro.shipping.models import (
    AllegroDeliveryMethod,
    DeliveryMethodMapping,
    PaymentPolicy,
    ShippingRate,
    ShippingRateSet,
)
from allegro.shipping.selectors import delivery_method_map, delivery_method_unmapped_list
from shop.models import DeliveryMethod

# Allegro: "1–64 characters: letters, digits, hyphens, dots, commas and spaces" (the emulator's rule too).
NAME_RE = re.compile(r"^[0-9A-Za-zĄĆĘŁŃÓŚŹŻąćęłńóśźż\-., ]{1,64}$")
_DURATION_RE = re.compile(r"^PT(\d+)H$")
_DAYS_RE = re.compile(r"^P(\d+)D$")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class RateData:
    """One row of a price list as typed by the staff member (or read from Allegro)."""

    delivery_method_id: str
    first_item_rate: Decimal
    max_quantity_per_package: int
    shipping_time_from: int | None = None  # hours
    shipping_time_to: int | None = None
    max_package_weight: Decimal | None = None  # kg
    next_item_rate: Decimal = Decimal("0.00")  # "kolejna sztuka": each further item in the same package


@dataclass(frozen=True)
class ShippingIssue:
    """A problem with one field: ``index`` is the row (None for the list itself); ``field`` a RateData
    field name, "name", or "" for the whole list."""

    field: str
    message: str
    index: int | None = None


class ShippingRatesInvalid(Exception):
    def __init__(self, issues: list[ShippingIssue], *, from_allegro: bool = False) -> None:
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues
        self.from_allegro = from_allegro


# --- Allegro's delivery methods ----------------------------------------------------------------


def delivery_method_refresh(*, app: AllegroApp) -> int:
    """Fetch ``GET /sale/delivery-methods`` and replace the app's cache; returns how many there are."""
    now = timezone.now()
    rows = []
    for raw in app_client(app=app).get_delivery_methods():
        method = schemas.DeliveryMethod.model_validate(raw)
        if not method.id:
            continue
        policy = method.paymentPolicy
        rows.append(
            AllegroDeliveryMethod(
                app=app,
                allegro_id=method.id,
                name=(method.name or method.id)[:200],
                payment_policy=policy if policy in PaymentPolicy.values else PaymentPolicy.IN_ADVANCE,
                # Kept as Allegro sent them; read through the ShippingRatesConstraints schema.
                constraints=raw.get("shippingRatesConstraints") or {},
                fetched_at=now,
            )
        )
    with transaction.atomic():
        AllegroDeliveryMethod.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["app", "allegro_id"],
            update_fields=["name", "payment_policy", "constraints", "fetched_at"],
        )
        # Methods Allegro no longer lists are dropped from the cache (price lists keep their ids and names).
        AllegroDeliveryMethod.objects.filter(app=app).exclude(allegro_id__in=[r.allegro_id for r in rows]).delete()
    return len(rows)


def _methods_for(app: AllegroApp, needed: set[str]) -> dict[str, AllegroDeliveryMethod]:
    """The app's cached methods; refreshed once when the cache is empty or misses one of ``needed``."""
    methods = delivery_method_map(app=app)
    if not methods or not needed <= set(methods):
        delivery_method_refresh(app=app)
        methods = delivery_method_map(app=app)
    return methods


# --- checking a price list ---------------------------------------------------------------------


def _constraints(method: AllegroDeliveryMethod) -> schemas.ShippingRatesConstraints:
    """The method's cached ``shippingRatesConstraints`` (stored as Allegro sent them)."""
    return schemas.ShippingRatesConstraints.model_validate(method.constraints or {})


def _name_issues(name: str) -> list[ShippingIssue]:
    if NAME_RE.match(name or ""):
        return []
    return [
        ShippingIssue(
            "name",
            _("The name must have 1 to 64 characters: letters, digits, spaces, hyphens (-), dots (.) and commas (,)."),
        )
    ]


# Each check of one row against its method's constraints: (rate, method name, constraints) → (field, message)
# or None. Every check runs, so one row may get several messages.
_RateCheck = Callable[[RateData, dict, schemas.ShippingRatesConstraints], tuple[str, str] | None]


def _check_allowed(rate: RateData, label: dict, c: schemas.ShippingRatesConstraints) -> tuple[str, str] | None:
    if c.allowed:
        return None
    return "delivery_method_id", _("Allegro does not allow “%(method)s” in delivery price lists.") % label


def _check_quantity(rate: RateData, label: dict, c: schemas.ShippingRatesConstraints) -> tuple[str, str] | None:
    qty_min, qty_max = c.maxQuantityPerPackage.min or 1, c.maxQuantityPerPackage.max
    if rate.max_quantity_per_package is None or rate.max_quantity_per_package < qty_min:
        return (
            "max_quantity_per_package",
            _("“%(method)s”: at least %(min)s item(s) in a package.") % {**label, "min": qty_min},
        )
    if qty_max is not None and rate.max_quantity_per_package > qty_max:
        return (
            "max_quantity_per_package",
            _("“%(method)s”: at most %(max)s items in a package.") % {**label, "max": qty_max},
        )
    return None


def _check_price(rate: RateData, label: dict, c: schemas.ShippingRatesConstraints) -> tuple[str, str] | None:
    """Whole grosze, within the method's ``firstItemRate`` bounds (at least 0 when Allegro names no minimum)."""
    lo, hi = c.firstItemRate.min, c.firstItemRate.max
    price = rate.first_item_rate
    if price is None or price != price.quantize(CENT) or price < (lo if lo is not None else Decimal("0")):
        bad = True
    else:
        bad = hi is not None and price > hi
    if not bad:
        return None
    return (
        "first_item_rate",
        _("“%(method)s”: the price must be between %(min)s and %(max)s %(currency)s.")
        % {
            **label,
            "min": lo if lo is not None else "0.00",
            "max": hi if hi is not None else "—",
            "currency": c.firstItemRate.currency or "PLN",
        },
    )


def _check_next_price(rate: RateData, label: dict, c: schemas.ShippingRatesConstraints) -> tuple[str, str] | None:
    """ "Kolejna sztuka": whole grosze within the method's ``nextItemRate`` bounds (0 when Allegro names none)."""
    lo, hi = c.nextItemRate.min, c.nextItemRate.max
    price = rate.next_item_rate
    low = lo if lo is not None else Decimal("0")
    if price is not None and price == price.quantize(CENT) and price >= low and (hi is None or price <= hi):
        return None
    return (
        "next_item_rate",
        _("“%(method)s”: the price of the next item must be between %(min)s and %(max)s %(currency)s.")
        % {
            **label,
            "min": lo if lo is not None else "0.00",
            "max": hi if hi is not None else "—",
            "currency": c.nextItemRate.currency or "PLN",
        },
    )


def _check_time(rate: RateData, label: dict, c: schemas.ShippingRatesConstraints) -> tuple[str, str] | None:
    """A shipping time only where Allegro lets the seller set one, and then as from–to hours."""
    if rate.shipping_time_from is None and rate.shipping_time_to is None:
        return None
    if not c.shippingTime.customizable:
        return (
            "shipping_time_from",
            _("“%(method)s”: Allegro sets the shipping time of this method; leave it empty.") % label,
        )
    if (
        rate.shipping_time_from is None
        or rate.shipping_time_to is None
        or rate.shipping_time_from > rate.shipping_time_to
    ):
        return (
            "shipping_time_from",
            _("“%(method)s”: give the shipping time as from–to hours, “from” not greater than “to”.") % label,
        )
    return None


def _check_weight(rate: RateData, label: dict, c: schemas.ShippingRatesConstraints) -> tuple[str, str] | None:
    """A package weight only where Allegro takes one, and then within its bounds."""
    if rate.max_package_weight is None:
        return None
    weight = c.maxPackageWeight
    if not weight.supported:
        return (
            "max_package_weight",
            _("“%(method)s”: Allegro does not take a package weight for this method; leave it empty.") % label,
        )
    if (weight.min is not None and rate.max_package_weight < weight.min) or (
        weight.max is not None and rate.max_package_weight > weight.max
    ):
        return (
            "max_package_weight",
            _("“%(method)s”: the package weight must be between %(min)s and %(max)s kg.")
            % {**label, "min": weight.min, "max": weight.max},
        )
    return None


_RATE_CHECKS: tuple[_RateCheck, ...] = (
    _check_allowed,
    _check_quantity,
    _check_price,
    _check_next_price,
    _check_time,
    _check_weight,
)


def _rate_issues(rates: list[RateData], methods: dict[str, AllegroDeliveryMethod]) -> list[ShippingIssue]:
    """Each row: a method Allegro knows, not twice in the list, then every ``_RATE_CHECKS`` against its
    constraints."""
    issues: list[ShippingIssue] = []
    seen: set[str] = set()
    for i, rate in enumerate(rates):
        method = methods.get(rate.delivery_method_id)
        if method is None:
            issues.append(
                ShippingIssue(
                    "delivery_method_id",
                    _("Allegro does not know this delivery method (%(id)s). Refresh the delivery methods.")
                    % {"id": rate.delivery_method_id},
                    i,
                )
            )
            continue
        label = {"method": method.name}
        if rate.delivery_method_id in seen:
            issues.append(
                ShippingIssue("delivery_method_id", _("“%(method)s” is already in this price list.") % label, i)
            )
        seen.add(rate.delivery_method_id)
        constraints = _constraints(method)
        for rate_check in _RATE_CHECKS:
            found = rate_check(rate, label, constraints)
            if found is not None:
                issues.append(ShippingIssue(found[0], found[1], i))
    return issues


def shipping_rates_check(
    *, name: str, rates: list[RateData], methods: dict[str, AllegroDeliveryMethod]
) -> list[ShippingIssue]:
    """Everything Allegro would refuse, from the cached ``shippingRatesConstraints``; messages name the method."""
    issues = _name_issues(name)
    if not rates:
        issues.append(ShippingIssue("", _("Add at least one delivery method.")))
    return issues + _rate_issues(rates, methods)


def shipping_rates_payload_build(*, name: str, rates: list[RateData]) -> dict:
    """The ``ShippingRatesSet`` body Allegro takes."""
    out = []
    for rate in rates:
        item = {
            "deliveryMethod": {"id": rate.delivery_method_id},
            "maxQuantityPerPackage": rate.max_quantity_per_package,
            "firstItemRate": {"amount": f"{rate.first_item_rate:.2f}", "currency": "PLN"},
            # "Kolejna sztuka". Allegro marks it deprecated and wants "0.00" in sets typed PHYSICAL/ELECTRONIC;
            # the sets made here carry no type, so the seller's rate (within the method's bounds) applies.
            "nextItemRate": {"amount": f"{rate.next_item_rate:.2f}", "currency": "PLN"},
        }
        if rate.shipping_time_from is not None and rate.shipping_time_to is not None:
            item["shippingTime"] = {"from": f"PT{rate.shipping_time_from}H", "to": f"PT{rate.shipping_time_to}H"}
        if rate.max_package_weight is not None:
            item["maxPackageWeight"] = {"value": f"{rate.max_package_weight:.3f}", "unit": "KILOGRAM"}
        out.append(item)
    return {"name": name, "rates": out}


_PATH_FIELDS = {
    "deliveryMethod": "delivery_method_id",
    "maxQuantityPerPackage": "max_quantity_per_package",
    "firstItemRate": "first_item_rate",
    "nextItemRate": "next_item_rate",
    "shippingTime": "shipping_time_from",
    "maxPackageWeight": "max_package_weight",
}
_RATE_PATH = re.compile(r"^rates\[(\d+)\]\.?([A-Za-z]*)")


def _issues_from_allegro(exc: AllegroValidationError, row_count: int) -> list[ShippingIssue]:
    """Map Allegro's error paths (``rates[1].firstItemRate.amount``) back onto rows and fields."""
    issues = []
    for err in exc.errors:
        message = err.user_message or err.message or str(exc)
        match = _RATE_PATH.match(err.path or "")
        if match and int(match[1]) < row_count:
            issues.append(ShippingIssue(_PATH_FIELDS.get(match[2], ""), message, int(match[1])))
        elif (err.path or "").startswith("name"):
            issues.append(ShippingIssue("name", message))
        else:
            issues.append(ShippingIssue("", message))
    return issues or [ShippingIssue("", str(exc))]


# --- saving, importing, attaching ---------------------------------------------------------------


def shipping_rate_set_save(
    *, rate_set: ShippingRateSet, name: str, rates: list[RateData], actor=None
) -> ShippingRateSet:
    """Check ``rates``, publish them to Allegro (POST a new list, PUT a known one), then save the local copy.

    Raises ShippingRatesInvalid (nothing saved, nothing sent when the check fails locally) or AllegroError.
    """
    account = rate_set.account
    methods = _methods_for(account.app, {r.delivery_method_id for r in rates})
    issues = shipping_rates_check(name=name, rates=rates, methods=methods)
    if issues:
        raise ShippingRatesInvalid(issues)
    body = shipping_rates_payload_build(name=name, rates=rates)
    client = account_client(account=account)
    allegro_id = rate_set.allegro_id
    if not allegro_id:
        # POST has no idempotency key: a list of the same name that no local copy knows is most likely
        # ours from an attempt whose answer was lost, so it is updated instead of duplicated.
        known = set(ShippingRateSet.objects.filter(account=account).values_list("allegro_id", flat=True))
        allegro_id = next(
            (s["id"] for s in client.get_shipping_rates() if s["name"] == name and s["id"] not in known), ""
        )
    try:
        raw = client.update_shipping_rate_set(allegro_id, body) if allegro_id else client.create_shipping_rate_set(body)
    except AllegroValidationError as exc:
        raise ShippingRatesInvalid(_issues_from_allegro(exc, len(rates)), from_allegro=True) from exc
    except AllegroRetryLater as exc:
        raise AllegroRetryLater(
            _("Allegro did not answer (%(error)s). Save again: the price list will not be duplicated.")
            % {"error": exc},
            status=exc.status,
            errors=exc.errors,
            method=exc.method,
            path=exc.path,
        ) from exc
    doc = schemas.ShippingRatesSet.model_validate(raw)
    with transaction.atomic():
        rate_set.allegro_id = doc.id or allegro_id
        rate_set.name = name
        rate_set.last_modified = parse_datetime(doc.lastModified) or timezone.now()
        rate_set.synced_at = timezone.now()
        rate_set.save()
        _replace_rates(rate_set, rates, methods)
        _remember_on_account(account, rate_set)
    event_log(
        kind=EventKind.SETTINGS,
        action="shipping_rates_saved",
        message=_("Delivery price list “%(name)s” saved to Allegro.") % {"name": name},
        account=account,
        actor=actor,
    )
    return rate_set


def _replace_rates(rate_set: ShippingRateSet, rates: list[RateData], methods: dict[str, AllegroDeliveryMethod]):
    rate_set.rates.all().delete()
    ShippingRate.objects.bulk_create(
        ShippingRate(
            rate_set=rate_set,
            position=i,
            delivery_method_id=r.delivery_method_id,
            delivery_method_name=methods[r.delivery_method_id].name if r.delivery_method_id in methods else "",
            first_item_rate=r.first_item_rate,
            next_item_rate=r.next_item_rate,
            max_quantity_per_package=r.max_quantity_per_package,
            shipping_time_from=r.shipping_time_from,
            shipping_time_to=r.shipping_time_to,
            max_package_weight=r.max_package_weight,
        )
        for i, r in enumerate(rates)
    )


def _remember_on_account(account: AllegroAccount, rate_set: ShippingRateSet) -> None:
    """Keep the account's dropdown of price lists (``choices_cache``) in step without another call."""
    account.refresh_from_db(fields=["choices_cache", "shipping_rates_id"])
    cache = dict(account.choices_cache or {})
    items = [i for i in cache.get("shipping-rates", []) if i.get("id") != rate_set.allegro_id]
    items.append({"id": rate_set.allegro_id, "name": rate_set.name})
    cache["shipping-rates"] = items
    updates: dict[str, Any] = {"choices_cache": cache}
    if account.shipping_rates_id == rate_set.allegro_id:
        updates["shipping_rates_name"] = rate_set.name
    AllegroAccount.objects.filter(pk=account.pk).update(**updates)
    for key, value in updates.items():
        setattr(account, key, value)


def _hours(value) -> int | None:
    text = str(value or "")
    if match := _DURATION_RE.match(text):
        return int(match[1])
    if match := _DAYS_RE.match(text):
        return int(match[1]) * 24
    return None


def _rate_from_allegro(rate: schemas.ShippingRate) -> RateData:
    time = rate.shippingTime
    return RateData(
        delivery_method_id=rate.deliveryMethod.id,
        first_item_rate=rate.firstItemRate.amount or Decimal("0.00"),
        next_item_rate=rate.nextItemRate.amount or Decimal("0.00"),
        max_quantity_per_package=rate.maxQuantityPerPackage or 1,
        shipping_time_from=_hours(time.from_) if time else None,
        shipping_time_to=_hours(time.to) if time else None,
        max_package_weight=rate.maxPackageWeight.value if rate.maxPackageWeight else None,
    )


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def shipping_rate_set_import(*, account: AllegroAccount, actor=None) -> ImportResult:
    """ "Pobierz cenniki z Allegro": create or update local copies by Allegro id; never delete one."""
    client = account_client(account=account)
    docs = [
        schemas.ShippingRatesSet.model_validate({**raw, "id": raw.get("id") or item["id"]})
        for item in client.get_shipping_rates()
        for raw in [client.get_shipping_rate_set(item["id"])]
    ]
    rates_by_set = {doc.id: [_rate_from_allegro(r) for r in doc.rates] for doc in docs}
    methods = _methods_for(account.app, {r.delivery_method_id for rates in rates_by_set.values() for r in rates})
    created = updated = 0
    with transaction.atomic():
        existing = {s.allegro_id: s for s in ShippingRateSet.objects.filter(account=account).exclude(allegro_id="")}
        for doc in docs:
            rate_set = existing.get(doc.id) or ShippingRateSet(account=account, allegro_id=doc.id)
            if rate_set.pk:
                updated += 1
            else:
                created += 1
            rate_set.name = (doc.name or doc.id)[:64]
            rate_set.last_modified = parse_datetime(doc.lastModified)
            rate_set.synced_at = timezone.now()
            rate_set.save()
            _replace_rates(rate_set, rates_by_set[doc.id], methods)
        cache = dict(account.choices_cache or {})
        cache["shipping-rates"] = [{"id": d.id, "name": d.name} for d in docs]
        names: dict[str, Any] = {"choices_cache": cache}
        if account.shipping_rates_id:
            names["shipping_rates_name"] = next(
                (d.name for d in docs if d.id == account.shipping_rates_id),
                account.shipping_rates_name,
            )
        AllegroAccount.objects.filter(pk=account.pk).update(**names)
        for key, value in names.items():
            setattr(account, key, value)
    event_log(
        kind=EventKind.SETTINGS,
        action="shipping_rates_imported",
        message=_("Delivery price lists fetched from Allegro: %(created)s new, %(updated)s updated.")
        % {"created": created, "updated": updated},
        account=account,
        actor=actor,
    )
    return ImportResult(created=created, updated=updated)


def shipping_rate_set_make_default(*, account: AllegroAccount, rate_set: ShippingRateSet, actor=None) -> None:
    """Make ``rate_set`` the account's default price list (``AllegroAccount.shipping_rates_id``)."""
    if rate_set.account_id != account.pk or not rate_set.allegro_id:
        raise ValueError("the price list must belong to the account and be saved to Allegro")
    AllegroAccount.objects.filter(pk=account.pk).update(
        shipping_rates_id=rate_set.allegro_id, shipping_rates_name=rate_set.name
    )
    account.shipping_rates_id, account.shipping_rates_name = rate_set.allegro_id, rate_set.name
    event_log(
        kind=EventKind.SETTINGS,
        action="shipping_rates_default",
        message=_("Default delivery price list: “%(name)s”.") % {"name": rate_set.name},
        account=account,
        actor=actor,
    )


# --- delivery-method mapping -------------------------------------------------------------------


def delivery_mapping_save(
    *, chosen: dict[str, DeliveryMethod | None], names: dict[str, str], actor=None
) -> tuple[int, int]:
    """Save the whole mapping page at once: a shop method maps the Allegro id, None removes its mapping.

    Returns (mapped, removed) counts of rows that changed.
    """
    current = {m.allegro_method_id: m for m in DeliveryMethodMapping.objects.filter(allegro_method_id__in=chosen)}
    mapped = removed = 0
    with transaction.atomic():
        for method_id, shop_method in chosen.items():
            row = current.get(method_id)
            if shop_method is None:
                if row is not None:
                    row.delete()
                    removed += 1
            elif row is None or row.delivery_method_id != shop_method.pk:
                DeliveryMethodMapping.objects.update_or_create(
                    allegro_method_id=method_id,
                    defaults={"delivery_method": shop_method, "allegro_method_name": names.get(method_id, "")[:200]},
                )
                mapped += 1
    if mapped or removed:
        event_log(
            kind=EventKind.SETTINGS,
            action="delivery_mapping_saved",
            message=_("Delivery method mapping saved: %(mapped)s mapped, %(removed)s removed.")
            % {"mapped": mapped, "removed": removed},
            actor=actor,
        )
    return mapped, removed


@register_check
def delivery_mapping_check(account: AllegroAccount) -> list[Check]:
    """Checklist line (a warning): delivery methods of the account's price lists that imported orders
    cannot map to a shop delivery method."""
    name = _("Delivery method mapping")
    if not ShippingRateSet.objects.filter(account=account).exists():
        return [
            Check(
                name,
                True,
                _("No delivery price lists in the panel yet: use “Pobierz cenniki z Allegro” in Koszty dostawy."),
                warning=True,
            )
        ]
    unmapped = delivery_method_unmapped_list(account=account)
    if not unmapped:
        return [Check(name, True, _("Every delivery method of the price lists is mapped to a shop method."))]
    return [
        Check(
            name,
            True,
            _("Not mapped to a shop delivery method: %(methods)s. Map them in Mapowanie form dostawy.")
            % {"methods": ", ".join(label for _id, label in unmapped)},
            _("Map them in Konfiguracja Allegro → Mapowanie form dostawy."),
            warning=True,
        )
    ]
