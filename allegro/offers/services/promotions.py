"""Paid promotion options of offers ("ustawienia płatnych opcji dodatkowych aukcji"), sent to Allegro as its
promotion packages.

What an offer should have: its own choice (``Offer.promotions``) or else the account's defaults
(``promotion_emphasized``, ``promotion_bold_title``, ``promotion_department_page``). The three switches of the
panel become Allegro's packages (``GET /sale/offer-promotion-packages``): an offer has at most one base package
and any extra packages —

- "wyróżnienie" → the base package ``emphasized10d``;
- "pogrubienie" → the base package ``promoPackage`` ("Pakiet Promo", which bolds the title and includes the
  emphasis, so both switches together give ``promoPackage``);
- "strona działu" → the extra package ``departmentPage``.

The cost is priced before anything is bought: ``promotion_cost`` asks Allegro's fee preview
(``POST /pricing/offer-fee-preview``) for the offer with its options. Sending is a promo-options command
(``PUT /sale/offers/promo-options-commands/{commandId}``) whose row, UUID and body, is committed before the call:
a retry after a timeout or a killed worker resends the same UUID and body, which Allegro answers with the same
report instead of buying twice. After the report the offer's packages are read back
(``GET /sale/offers/{offerId}/promo-options``) into ``Offer.promotions_confirmed``.

Allegro's batch command sets packages and cannot take a base package away: switching "wyróżnienie" or
"pogrubienie" off leaves the package until the seller removes it on Allegro; the panel says so.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allegro.accounts.models import AllegroAccount
from allegro.accounts.services.accounts import account_client
from allegro.core.models import EventKind
from allegro.core.services.events import event_log
from allegro.integration.client import AllegroClient, AllegroError, AllegroRateLimited, AllegroRetryLater
from allegro.integration.schemas.promotions import parse_fee_preview, parse_offer_promo_options, parse_packages
from allegro.offers.models import Offer, OfferStatus, PromotionCommand

SWITCHES = ("emphasized", "bold_title", "department_page")
SWITCH_LABELS = {
    "emphasized": gettext_lazy("emphasised offer"),
    "bold_title": gettext_lazy("bold title"),
    "department_page": gettext_lazy("on the department page"),
}
BASE_EMPHASIZED = "emphasized10d"
BASE_PROMO = "promoPackage"
EXTRA_DEPARTMENT = "departmentPage"
BATCH = 1000  # offers per command (Allegro's limit)
LIVE = (OfferStatus.ACTIVE, OfferStatus.ACTIVATING)


def account_promotions(*, account: AllegroAccount) -> dict[str, bool]:
    """The account's default switches."""
    return {
        "emphasized": bool(account.promotion_emphasized),
        "bold_title": bool(account.promotion_bold_title),
        "department_page": bool(account.promotion_department_page),
    }


def offer_promotions_wanted(*, offer: Offer) -> dict[str, bool]:
    """The offer's own choice, or the account's defaults when it has none."""
    if isinstance(offer.promotions, dict):
        return {name: bool(offer.promotions.get(name)) for name in SWITCHES}
    return account_promotions(account=offer.account)


def promotion_packages(*, wanted: dict[str, bool]) -> tuple[str | None, list[str]]:
    """(base package or None, extra packages) for the switches."""
    base = BASE_PROMO if wanted.get("bold_title") else (BASE_EMPHASIZED if wanted.get("emphasized") else None)
    extras = [EXTRA_DEPARTMENT] if wanted.get("department_page") else []
    return base, extras


def _target(offer: Offer) -> tuple[str | None, tuple[str, ...]]:
    base, extras = promotion_packages(wanted=offer_promotions_wanted(offer=offer))
    return base, tuple(extras)


def offer_promotions_pending(*, offer: Offer) -> bool:
    """Whether Allegro lacks a package the offer should have (a command would buy something)."""
    base, extras = _target(offer)
    wanted = {p for p in (base, *extras) if p}
    return bool(wanted - set(offer.promotions_confirmed or []))


# --- the cost, before anything is sent -----------------------------------------------------------------------


@dataclass
class CostLine:
    package: str
    name: str
    amount: Decimal | None  # None: Allegro's fee preview does not price this package
    cycle: str


@dataclass
class PromotionCost:
    lines: list[CostLine] = field(default_factory=list)
    offers: int = 1

    @property
    def per_offer(self) -> Decimal:
        return sum((line.amount or Decimal("0") for line in self.lines), Decimal("0"))

    @property
    def total(self) -> Decimal:
        return self.per_offer * self.offers

    @property
    def complete(self) -> bool:
        return all(line.amount is not None for line in self.lines)

    def as_dict(self) -> dict:
        return {
            "lines": [
                {"package": x.package, "name": x.name, "amount": None if x.amount is None else str(x.amount),
                 "cycle": x.cycle}
                for x in self.lines
            ],
            "offers": self.offers,
            "per_offer": str(self.per_offer),
            "total": str(self.total),
        }  # fmt: skip


def promotion_cost(
    *, offer: Offer, wanted: dict[str, bool] | None = None, offers: int = 1, client: AllegroClient | None = None
) -> PromotionCost:
    """What the packages of ``wanted`` (default: the offer's) cost per cycle, priced by Allegro's fee preview for
    this offer (its title, category and price); ``offers`` multiplies it for a batch."""
    client = client or account_client(account=offer.account)
    base, extras = promotion_packages(wanted=wanted if wanted is not None else offer_promotions_wanted(offer=offer))
    chosen = [p for p in (base, *extras) if p]
    cost = PromotionCost(offers=offers)
    if not chosen:
        return cost
    packages = parse_packages(client.get_promotion_packages())
    known = {p.id: p for p in [*packages.base_packages, *packages.extra_packages] if p.id}
    promotion = {name: True for name in chosen if name != BASE_PROMO}
    if base == BASE_PROMO:
        promotion[BASE_EMPHASIZED] = True  # the package includes the emphasis; its own fee is not previewable
    body = {
        "offer": {
            "name": offer.title[:75] or "-",
            "category": {"id": offer.category_id} if offer.category_id else None,
            "sellingMode": {"format": offer.format, "price": {"amount": f"{offer.price:.2f}", "currency": "PLN"}},
            "promotion": {k: v for k, v in promotion.items() if k in (BASE_EMPHASIZED, EXTRA_DEPARTMENT)},
        }
    }
    if body["offer"]["category"] is None:
        del body["offer"]["category"]
    quotes = {q.type: q for q in parse_fee_preview(client.post_fee_preview(body)).quotes if q.type}
    for package in chosen:
        quote = quotes.get(package)
        described = known.get(package)
        cost.lines.append(
            CostLine(
                package=package,
                name=(described.name if described and described.name else package),
                amount=quote.amount if quote is not None else None,
                cycle=(described.cycle_duration if described and described.cycle_duration else "")
                or (quote.cycle_duration if quote else "")
                or "",
            )
        )
    return cost


# --- sending ---------------------------------------------------------------------------------------------------


def _body(offer_ids: list[str], base: str | None, extras: tuple[str, ...]) -> dict:
    modification: dict = {"modificationTime": "NOW", "extraPackages": [{"id": p} for p in extras]}
    if base:
        modification["basePackage"] = {"id": base}
    return {
        "offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": i} for i in offer_ids]}],
        "modification": modification,
    }


def promotions_send(
    *, account: AllegroAccount, offers=None, actor=None, cost: dict | None = None, client: AllegroClient | None = None
) -> list[PromotionCommand]:
    """Send the packages the account's live offers (or ``offers``) should have and Allegro lacks: one command per
    (packages, up to 1000 offers), finished first when a previous attempt stored it and did not see the report.
    Raises AllegroRetryLater/AllegroRateLimited for the task to retry (the stored command is resent)."""
    client = client or account_client(account=account)
    commands = promotion_commands_resume(account=account, client=client)
    qs = offers if offers is not None else Offer.objects.filter(account=account, status__in=LIVE)
    groups: dict[tuple, list[Offer]] = defaultdict(list)
    in_flight = {oid for c in commands if c.status == PromotionCommand.Status.PENDING for oid in c.offer_ids}
    for offer in qs.select_related("account").exclude(allegro_id__isnull=True).order_by("pk"):
        if offer.allegro_id in in_flight or not offer_promotions_pending(offer=offer):
            continue
        groups[_target(offer)].append(offer)
    for (base, extras), members in groups.items():
        for start in range(0, len(members), BATCH):
            chunk = members[start : start + BATCH]
            ids = [o.allegro_id for o in chunk if o.allegro_id]  # offers without an Allegro id are left out above
            with transaction.atomic():
                command = PromotionCommand.objects.create(
                    uuid=uuid.uuid4(),
                    account=account,
                    body=_body(ids, base, extras),
                    offer_ids=ids,
                    packages=[p for p in (base, *extras) if p],
                    cost=cost or {},
                    actor=actor if getattr(actor, "is_authenticated", False) else None,
                )
            commands.append(promotion_command_send(command=command, client=client))  # the row is committed
    return commands


def promotion_commands_resume(*, account: AllegroAccount, client: AllegroClient) -> list[PromotionCommand]:
    """Finish the account's stored commands that never saw their report (a timeout, a killed worker)."""
    return [promotion_command_send(command=c, client=client) for c in _unfinished(account)]


def _unfinished(account: AllegroAccount):
    return PromotionCommand.objects.filter(account=account, status=PromotionCommand.Status.PENDING).order_by("pk")


def promotion_command_send(*, command: PromotionCommand, client: AllegroClient) -> PromotionCommand:
    """PUT the stored command (same UUID, same body on every attempt), then read each offer's packages back."""
    PromotionCommand.objects.filter(pk=command.pk).update(sent_at=timezone.now())
    try:
        report = client.put_promo_options_command(str(command.uuid), command.body)
    except AllegroError as exc:
        if isinstance(exc, AllegroRetryLater | AllegroRateLimited):
            raise  # no answer: the task retries with the stored UUID and body
        command.status = PromotionCommand.Status.FAILED
        command.last_error = "; ".join(exc.user_messages)[:2000]
        command.save(update_fields=["status", "last_error"])
        event_log(
            kind=EventKind.OFFER,
            action="promotions refused",
            message=_("Allegro refused the promotion options: %(error)s") % {"error": command.last_error},
            account=command.account,
            success=False,
            request_summary={"command": str(command.uuid), "packages": command.packages},
        )
        return command
    command.report = report
    counts = report.get("taskCount") or {}
    command.status = (
        PromotionCommand.Status.FAILED
        if int(counts.get("failed") or 0) and not int(counts.get("success") or 0)
        else PromotionCommand.Status.COMPLETED
    )
    command.save(update_fields=["report", "status"])
    for offer in Offer.objects.filter(account=command.account, allegro_id__in=command.offer_ids):
        if not offer.allegro_id:
            continue
        options = parse_offer_promo_options(client.get_offer_promo_options(offer.allegro_id))
        Offer.objects.filter(pk=offer.pk).update(promotions_confirmed=sorted(options.package_ids))
    event_log(
        kind=EventKind.OFFER,
        action="promotions sent",
        message=_("Promotion options %(packages)s set on %(ok)d of %(total)d offers.")
        % {
            "packages": ", ".join(command.packages) or "—",
            "ok": int(counts.get("success") or 0),
            "total": int(counts.get("total") or len(command.offer_ids)),
        },
        account=command.account,
        success=command.status == PromotionCommand.Status.COMPLETED,
        request_summary={"command": str(command.uuid), "packages": command.packages, "cost": command.cost},
    )
    return command


def offer_promotions_set(*, offer: Offer, promotions: dict[str, bool] | None) -> Offer:
    """Store the offer's own choice (None: follow the account's defaults again)."""
    offer.promotions = None if promotions is None else {name: bool(promotions.get(name)) for name in SWITCHES}
    Offer.objects.filter(pk=offer.pk).update(promotions=offer.promotions)
    return offer
