"""Renewal ("Wystaw ponownie"): ended offers go back on sale with ACTIVATE (same offer id, within 60 days),
after their quantity (and optionally price) is brought up to date; an archived offer becomes a new offer that
``replaces`` it (``offer_prepare`` + ``offer_publish``). A hidden, deleted or sold-out product is never
relisted: the run says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroAccount
from allegro.core.models import EventKind
from allegro.core.services.events import event_context, event_log
from allegro.integration.client import AllegroError
from allegro.offers.models import Offer, OfferFormat, OfferStatus
from allegro.sync.services.commands import Change
from allegro.sync.services.engine import (
    SyncContext,
    account_price_rounding,
    changes_send,
    offer_target_price,
    offer_target_quantity,
    product_end_reason,
    sync_account_run,
)


@dataclass
class RenewOptions:
    update_prices: bool = True
    update_quantities: bool = True
    update_descriptions: bool = False
    remove_archived: bool = False


@dataclass
class RenewResult:
    activated: int = 0
    recreated: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (offer title, why)
    failed: list[tuple[str, str]] = field(default_factory=list)


def _renew_change(offer: Offer, account: AllegroAccount, options: RenewOptions, rounding: str) -> Change:
    product = offer.product
    change = Change(offer=offer, activate=True, why=_("renewed"))
    if offer.format == OfferFormat.BUY_NOW:
        current_q = offer.confirmed_quantity if offer.confirmed_quantity is not None else offer.quantity
        target_q = offer_target_quantity(account=account, product=product) if options.update_quantities else current_q
        target_q = max(1, int(target_q or 0))
        if target_q != current_q:
            change.quantity = target_q
        if options.update_prices:
            current_p = offer.confirmed_price if offer.confirmed_price is not None else offer.price
            target_p = offer_target_price(account=account, shop_price=product.price, rounding=rounding)
            if target_p != current_p:
                change.price = target_p
    return change


def offers_renew(*, ctx: SyncContext, offers: list[Offer], options: RenewOptions) -> RenewResult:
    """Relist these ended/archived offers of ctx.account."""
    result = RenewResult()
    changes: list[Change] = []
    archived: list[Offer] = []
    for offer in offers:
        why = product_end_reason(product=offer.product)
        if why:
            result.skipped.append((offer.title, why))
            continue
        if offer.status == OfferStatus.ARCHIVED:
            archived.append(offer)
        elif offer.status == OfferStatus.ENDED:
            changes.append(_renew_change(offer, ctx.account, options, ctx.rounding))
    ctx.counts["renew_skipped"] += len(result.skipped)
    if ctx.dry_run:
        ctx.counts["would_recreate"] += len(archived)
        changes_send(ctx=ctx, changes=changes, label=_("renewal"))
        return result
    if options.update_descriptions:
        for change in changes:
            _update_description(ctx, change.offer, result)
    before = ctx.outcome.succeeded.get("activate", 0)
    changes_send(ctx=ctx, changes=changes, label=_("renewal"))
    result.activated = ctx.outcome.succeeded.get("activate", 0) - before
    # An ACTIVATE refused with 404 means the offer was archived meanwhile: it becomes a new offer.
    archived.extend(c.offer for c in changes if c.offer.status == OfferStatus.ARCHIVED)
    for offer in archived:
        _recreate(ctx, offer, options, result)
    ctx.counts["renewed"] += result.activated
    ctx.counts["recreated"] += result.recreated
    for title, why in result.skipped[:20]:
        ctx.lines.append(_("Not relisted: %(title)s (%(why)s).") % {"title": title, "why": why})
    return result


def offers_renew_ended(*, ctx: SyncContext) -> RenewResult:
    """The periodic renewal: every ended or archived offer of the account with "Wystaw ponownie po zakończeniu"
    that has not been replaced yet."""
    offers = list(
        Offer.objects.filter(
            Q(status=OfferStatus.ENDED) | Q(status=OfferStatus.ARCHIVED),
            account=ctx.account,
            renew_after_end=True,
            replaced_by__isnull=True,
        )
        .exclude(allegro_id__isnull=True)
        .select_related("product")
    )
    options = RenewOptions(update_prices=ctx.forced or ctx.account.sync_prices, update_quantities=True)
    return offers_renew(ctx=ctx, offers=offers, options=options)


def _update_description(ctx: SyncContext, offer: Offer, result: RenewResult) -> None:
    """PATCH the description composed from the current product and templates."""
    from allegro.offers.services.offers import offer_update_description

    try:
        offer_update_description(offer=offer, client=ctx.client)
    except AllegroError as exc:
        result.failed.append((offer.title, "; ".join(exc.user_messages)))
    except Exception as exc:  # noqa: BLE001 - a description problem must not stop the relisting
        result.failed.append((offer.title, str(exc)))


def _recreate(ctx: SyncContext, old: Offer, options: RenewOptions, result: RenewResult) -> None:
    """An archived offer cannot come back: list a new one (copying the old content) that replaces it."""
    from allegro.offers.services.offers import offer_prepare, offer_publish

    new = offer_prepare(product=old.product, account=ctx.account, copy_from=old)
    new.replaces = old
    new.renew_after_end = old.renew_after_end
    if not options.update_prices:
        new.price = old.price
    new.save()
    new = offer_publish(offer=new)
    if new.status in (OfferStatus.ERROR, OfferStatus.DRAFT) or not new.allegro_id:
        result.failed.append((old.title, new.last_error or _("publishing failed")))
        return
    result.recreated += 1
    event_log(
        kind=EventKind.OFFER,
        action="offer relisted as new",
        message=_("Archived offer %(old)s was listed again as the new offer %(new)s.")
        % {"old": old.allegro_id, "new": new.allegro_id},
        account=ctx.account,
        offer_id=new.allegro_id,
        product_id=new.product_id,
        request_summary={"replaces": old.allegro_id},
    )
    if options.remove_archived:
        # The event log entry above keeps the history (old id → new id) after the old record goes.
        Offer.objects.filter(pk=old.pk).delete()


def offers_relist(
    *,
    offers,
    actor=None,
    update_prices: bool = True,
    update_quantities: bool = True,
    update_descriptions: bool = False,
    remove_archived: bool = False,
) -> list[RenewResult]:
    """The manual mass "Wystaw ponownie" of ended offers (the admin action), account by account."""
    options = RenewOptions(update_prices, update_quantities, update_descriptions, remove_archived)
    ids = list(offers.values_list("pk", flat=True)) if hasattr(offers, "values_list") else [o.pk for o in offers]
    by_account: dict[int, list[int]] = {}
    for account_id, pk in Offer.objects.filter(pk__in=ids).values_list("account_id", "pk"):
        by_account.setdefault(account_id, []).append(pk)
    results = []
    for account in AllegroAccount.objects.filter(pk__in=by_account):
        holder: dict = {}

        def relist(ctx: SyncContext, account_offers=by_account[account.pk], holder=holder) -> None:
            ctx.rounding = account_price_rounding(account=ctx.account)
            chosen = list(
                Offer.objects.filter(
                    pk__in=account_offers, status__in=[OfferStatus.ENDED, OfferStatus.ARCHIVED]
                ).select_related("product")
            )
            holder["result"] = offers_renew(ctx=ctx, offers=chosen, options=options)

        with event_context(actor=actor):
            run = sync_account_run(account=account, steps={"relist": relist}, forced=True, actor=actor)
        result = holder.get("result") or RenewResult(failed=[(str(account), "; ".join(run.errors))])
        for title, why in result.skipped:
            event_log(
                kind=EventKind.OFFER,
                action="relist skipped",
                message=_("“%(title)s” was not relisted: %(why)s.") % {"title": title, "why": why},
                account=account,
                success=False,
            )
        results.append(result)
    return results
