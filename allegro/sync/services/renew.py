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
from shop.models import Product


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


def _renew_change(
    offer: Offer, product: Product, account: AllegroAccount, options: RenewOptions, rounding: str
) -> Change:
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
        product = offer.product
        why = product_end_reason(product=product)
        if why or product is None:
            result.skipped.append((offer.title, why))
            continue
        if offer.status == OfferStatus.ARCHIVED:
            archived.append(offer)
        elif offer.status == OfferStatus.ENDED:
            changes.append(_renew_change(offer, product, ctx.account, options, ctx.rounding))
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
    that has not been replaced yet, with prices under the price switch and descriptions composed anew when the
    account's "update descriptions when renewing" is on ("wznawianie z uaktualnieniem cen, ilości i opisów")."""
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
    options = RenewOptions(
        update_prices=ctx.forced or ctx.account.sync_prices,
        update_quantities=True,
        update_descriptions=ctx.account.sync_renew_descriptions,
    )
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
    """An archived offer cannot come back: list a new one (the old content) that replaces it.

    The new offer takes the shop's current price (under "update prices") and quantity (under "update
    quantities"; otherwise the old quantity, never more than the stock), a description composed anew under
    "update descriptions", and it is validated locally before anything is sent. The ``replaces`` link is one to
    one: a second relisting of the same archived offer finds the replacement instead of adding another — a live
    one is reported, a refused or unsent one is corrected and published again (its row is the recorded intent,
    so a retry after a timeout adopts the offer Allegro may have created)."""
    from allegro.offers.services.offers import offer_copy_onto, offer_prepare, offer_problems

    product = old.product
    if product is None:  # renew_offers skipped offers without a product already
        result.skipped.append((old.title, product_end_reason(product=None)))
        return
    existing = Offer.objects.filter(replaces=old).first()
    if existing is not None and (existing.allegro_id or existing.status not in (OfferStatus.ERROR, OfferStatus.DRAFT)):
        if existing.status == OfferStatus.ACTIVATING and not existing.allegro_id:
            _publish_replacement(ctx, old, existing, options, result)  # an interrupted publication: finish it
            return
        result.skipped.append((old.title, _("already listed again as %(offer)s") % {"offer": existing.allegro_id}))
        return
    new = offer_prepare(product=product, account=ctx.account, copy_from=old)
    if options.update_prices and new.format == OfferFormat.BUY_NOW:
        new.price = offer_target_price(account=ctx.account, shop_price=product.price, rounding=ctx.rounding)
    elif not options.update_prices:
        new.price = old.price
    stock_quantity = offer_target_quantity(account=ctx.account, product=product)
    if options.update_quantities:
        new.quantity = max(1, stock_quantity)
    elif product.stock is not None:
        new.quantity = max(1, min(int(old.quantity or 1), stock_quantity))
    if options.update_descriptions:
        new.description = {}  # composed at publication from the current product and templates
    new.renew_after_end = old.renew_after_end
    if existing is not None:
        new = offer_copy_onto(existing=existing, prepared=new)
    new.replaces = old
    problems = offer_problems(offer=new)
    if problems:
        result.failed.append((old.title, "; ".join(p.message for p in problems[:5])))
        if existing is not None:
            Offer.objects.filter(pk=existing.pk).update(last_error="; ".join(p.message for p in problems)[:2000])
        return
    new.save()
    _publish_replacement(ctx, old, new, options, result)


def _publish_replacement(ctx: SyncContext, old: Offer, new: Offer, options: RenewOptions, result: RenewResult) -> None:
    from allegro.offers.services.offers import offer_publish

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
