"""Batch commands of the sync engine: plan the fewest calls, store them, send, read reports, apply results.

Planning (pure): END publication commands (≤1000 offers), FIXED_PRICE commands grouped by equal price and FIXED
quantity commands grouped by equal quantity (≤1000 each), and bulk-modification commands (1–25 offers each)
for offers whose values are too scattered to group — chosen per batch by counting calls. ACTIVATE commands go
in a second phase, only for offers whose quantity command finished: Allegro runs commands out of order.

Execution: every command row (UUID + body) is stored before its call; the body never changes afterwards. A
crash leaves rows "pending"/"sent"; the next flush resends the same UUID (Allegro answers with the same
report, nothing is applied twice) and reads the report before planning anything new.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
import uuid
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroAccount
from allegro.core.models import EventKind, EventLogEntry
from allegro.integration.client import (
    AllegroClient,
    AllegroConflict,
    AllegroError,
    AllegroRateLimited,
    AllegroRetryLater,
)
from allegro.offers.models import Offer, OfferStatus
from allegro.sync.models import SyncCommand, SyncRun

logger = logging.getLogger("allegro.sync")

MAX_PER_CRITERION = 1000
MAX_BULK = 25
SLUGS: dict[str, str] = {
    SyncCommand.Kind.PRICE: "offer-price-change-commands",
    SyncCommand.Kind.QUANTITY: "offer-quantity-change-commands",
    SyncCommand.Kind.END: "offer-publication-commands",
    SyncCommand.Kind.ACTIVATE: "offer-publication-commands",
    SyncCommand.Kind.BULK: "offer-bulk-modification-commands",
}
# Allegro counts offer changes per user and minute in two budgets.
FAMILY: dict[str, str] = {
    SyncCommand.Kind.PRICE: "price",
    SyncCommand.Kind.BULK: "price",
    SyncCommand.Kind.QUANTITY: "publication",
    SyncCommand.Kind.END: "publication",
    SyncCommand.Kind.ACTIVATE: "publication",
}
OPEN = (SyncCommand.Status.PENDING, SyncCommand.Status.SENT)


@dataclass
class Change:
    """What one offer needs: a new price, a new quantity (> 0), ending (with the reason) or activating."""

    offer: Offer
    price: Decimal | None = None
    quantity: int | None = None
    end: str = ""
    activate: bool = False
    why: str = ""

    @property
    def empty(self) -> bool:
        return self.price is None and self.quantity is None and not self.end and not self.activate


@dataclass
class PlannedCommand:
    kind: str
    offer_ids: list[str]
    value: Any = None  # the group's price (Decimal) or quantity (int); None for end, activate and bulk
    modifications: list[dict] = field(default_factory=list)  # bulk only
    reasons: dict[str, str] = field(default_factory=dict)


# --- planning -----------------------------------------------------------------------------------------------


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _group_calls(values: dict[str, object]) -> int:
    return sum(math.ceil(n / MAX_PER_CRITERION) for n in Counter(values.values()).values())


def commands_split_groups_and_bulk(
    *, prices: dict[str, Decimal], quantities: dict[str, int]
) -> tuple[dict[str, Decimal], dict[str, int], list[str]]:
    """Decide which offers go into grouped commands and which into bulk modifications, by counting calls.

    Threshold T: offers whose price or quantity group has fewer than T members move to bulk (both values in
    one modification). T = 0 is "all grouped"; the smallest call count wins, ties go to the smaller T."""
    price_sizes = Counter(prices.values())
    quantity_sizes = Counter(quantities.values())
    best: tuple[int, int, set[str]] | None = None
    for threshold in (0, 2, 3, 5, 10, 25, 50, 100, 250, 500, MAX_PER_CRITERION + 1):
        bulk = {o for o, v in prices.items() if price_sizes[v] < threshold}
        bulk |= {o for o, v in quantities.items() if quantity_sizes[v] < threshold}
        calls = (
            _group_calls({o: v for o, v in prices.items() if o not in bulk})
            + _group_calls({o: v for o, v in quantities.items() if o not in bulk})
            + math.ceil(len(bulk) / MAX_BULK)
        )
        if best is None or calls < best[0]:
            best = (calls, threshold, bulk)
    bulk = best[2] if best else set()
    return (
        {o: v for o, v in prices.items() if o not in bulk},
        {o: v for o, v in quantities.items() if o not in bulk},
        sorted(bulk),
    )


def _money(value: Decimal) -> dict:
    return {"amount": f"{value:.2f}", "currency": "PLN"}


def commands_plan(*, changes: list[Change]) -> tuple[list[PlannedCommand], list[PlannedCommand]]:
    """→ (phase 1: end, price, quantity, bulk; phase 2: activate). Pure: no I/O."""
    ends: list[str] = []
    reasons: dict[str, str] = {}
    prices: dict[str, Decimal] = {}
    quantities: dict[str, int] = {}
    activations: list[str] = []
    for change in changes:
        oid = change.offer.allegro_id
        if oid is None:
            raise ValueError(f"offer {change.offer.pk} is not on Allegro: there is nothing to command")
        if change.end:
            ends.append(oid)
            reasons[oid] = change.end
            continue
        if change.price is not None:
            prices[oid] = change.price
        if change.quantity is not None:
            quantities[oid] = change.quantity
        if change.activate:
            activations.append(oid)
            reasons[oid] = change.why
    phase1: list[PlannedCommand] = []
    for chunk in _chunks(sorted(ends), MAX_PER_CRITERION):
        phase1.append(PlannedCommand(SyncCommand.Kind.END, chunk, reasons={o: reasons[o] for o in chunk}))
    group_prices, group_quantities, bulk = commands_split_groups_and_bulk(prices=prices, quantities=quantities)
    for kind, values in ((SyncCommand.Kind.PRICE, group_prices), (SyncCommand.Kind.QUANTITY, group_quantities)):
        by_value: dict[Decimal | int, list[str]] = defaultdict(list)
        for oid, value in values.items():
            by_value[value].append(oid)
        for value in sorted(by_value, key=lambda v: (-len(by_value[v]), str(v))):
            for chunk in _chunks(sorted(by_value[value]), MAX_PER_CRITERION):
                phase1.append(PlannedCommand(kind, chunk, value=value))
    for chunk in _chunks(bulk, MAX_BULK):
        mods = []
        for oid in chunk:
            mod: dict = {"offerId": oid}
            if oid in prices:
                mod["prices"] = {"allegro-pl": {"changeType": "FIXED", "value": _money(prices[oid])}}
            if oid in quantities:
                mod["stock"] = {"changeType": "FIXED", "value": quantities[oid]}
            mods.append(mod)
        phase1.append(PlannedCommand(SyncCommand.Kind.BULK, chunk, modifications=mods))
    phase2 = [
        PlannedCommand(SyncCommand.Kind.ACTIVATE, chunk, reasons={o: reasons[o] for o in chunk})
        for chunk in _chunks(sorted(activations), MAX_PER_CRITERION)
    ]
    return phase1, phase2


def _criteria(offer_ids: list[str]) -> list[dict]:
    return [{"type": "CONTAINS_OFFERS", "offers": [{"id": oid} for oid in offer_ids]}]


def command_body_build(*, planned: PlannedCommand, command_id: str) -> dict:
    kind = planned.kind
    if kind == SyncCommand.Kind.PRICE:
        return {"modification": {"type": "FIXED_PRICE", "price": _money(planned.value)}, "offerCriteria": _criteria(planned.offer_ids)}  # fmt: skip
    if kind == SyncCommand.Kind.QUANTITY:
        return {"modification": {"changeType": "FIXED", "value": int(planned.value)}, "offerCriteria": _criteria(planned.offer_ids)}  # fmt: skip
    if kind in (SyncCommand.Kind.END, SyncCommand.Kind.ACTIVATE):
        action = "END" if kind == SyncCommand.Kind.END else "ACTIVATE"
        return {"publication": {"action": action}, "offerCriteria": _criteria(planned.offer_ids)}
    return {"commandId": command_id, "modifications": planned.modifications}


def _hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def commands_store(*, account: AllegroAccount, run: SyncRun | None, planned: list[PlannedCommand]) -> list[SyncCommand]:
    """Write the command rows (UUID, body) before anything is sent: one INSERT per 500 commands."""
    rows = []
    for p in planned:
        command_id = str(uuid.uuid4())
        body = command_body_build(planned=p, command_id=command_id)
        rows.append(
            SyncCommand(
                uuid=command_id,
                account=account,
                run=run,
                kind=p.kind,
                body=body,
                body_hash=_hash(body),
                offer_ids=p.offer_ids,
                reasons=p.reasons,
            )
        )
    SyncCommand.objects.bulk_create(rows, batch_size=500)
    return rows


# --- sending and reading reports ---------------------------------------------------------------------------


class ChangeBudget:
    """Allegro's per-user budget of offer changes in commands (9000/min per family). One sync per account runs at a
    time, so the window kept in this process is the account's; 429s that still happen are waited out by the client."""

    _windows: dict[tuple[int, str], deque] = defaultdict(deque)

    def __init__(self, account: AllegroAccount, *, sleep=time.sleep) -> None:
        self.account_id = account.pk
        self.limit = int(getattr(settings, "ALLEGRO_COMMAND_CHANGES_PER_MINUTE", 9000))
        self._sleep = sleep
        self.waited = 0.0

    def take(self, kind: str, n: int) -> None:
        window = self._windows[(self.account_id, FAMILY[kind])]
        while True:
            now = time.monotonic()
            while window and window[0][0] <= now - 60:
                window.popleft()
            used = sum(c for _, c in window)
            if not window or used + n <= self.limit:
                window.append((now, n))
                return
            pause = max(0.05, window[0][0] + 60 - now)
            self.waited += pause
            self._sleep(pause)


def _tasks_count(command: SyncCommand) -> int:
    if command.kind == SyncCommand.Kind.BULK:
        return sum(("prices" in m) + ("stock" in m) for m in command.body.get("modifications", []))
    return len(command.offer_ids)


class Stop(Exception):
    """Allegro asked us to come back later: the stored commands are resent (same UUIDs) by the next attempt."""


def command_send(*, client: AllegroClient, command: SyncCommand, budget: ChangeBudget | None = None) -> None:
    """Send (or resend) one stored command. Permanent refusals mark it failed; 5xx/429 after the client's own
    retries raise Stop (the row stays open and keeps its UUID)."""
    if budget is not None:
        budget.take(command.kind, _tasks_count(command))
    command.attempts += 1
    try:
        if command.kind == SyncCommand.Kind.BULK:
            report = client.post_bulk_modification_command(command.body)
        else:
            report = client.put_offer_command(SLUGS[command.kind], str(command.uuid), command.body)
    except (AllegroRetryLater, AllegroRateLimited) as exc:
        command.last_error = str(exc)
        raise Stop(str(exc)) from exc
    except AllegroConflict as exc:
        # Only possible if a stored body were altered; it never is. Nothing was applied for this UUID's new body.
        _fail_all(command, "; ".join(exc.user_messages))
        return
    except AllegroError as exc:
        _fail_all(command, "; ".join(exc.user_messages))
        return
    command.report = report
    command.status = SyncCommand.Status.SENT
    command.sent_at = command.sent_at or timezone.now()


def _fail_all(command: SyncCommand, message: str) -> None:
    command.status = SyncCommand.Status.FAILED
    command.last_error = message
    command.failed_offers = {oid: message for oid in command.offer_ids}
    command.completed_at = timezone.now()


def _task_parts(kind: str, task: dict) -> tuple[str, str]:
    if kind == SyncCommand.Kind.BULK:
        subject = task.get("subject") or {}
        return str(subject.get("offerId") or ""), str(subject.get("field") or "")
    return str((task.get("offer") or {}).get("id") or ""), str(task.get("field") or "")


def _task_message(task: dict) -> str:
    errors = task.get("errors") or []
    texts = [e.get("userMessage") or e.get("message") or "" for e in errors if isinstance(e, dict)]
    codes = [e.get("code") for e in errors if isinstance(e, dict) and e.get("code")]
    text = "; ".join(t for t in texts if t) or task.get("message") or _("failed")
    return f"{text} [{codes[0]}]" if codes else text


def _read_tasks(client: AllegroClient, command: SyncCommand) -> list[dict] | None:
    """All tasks of the command, or None while any is still NEW."""
    tasks: list[dict] = []
    offset = 0
    while True:
        page = client.get_offer_command_tasks(SLUGS[command.kind], str(command.uuid), limit=1000, offset=offset)
        tasks.extend(page)
        if len(page) < 1000:
            break
        offset += 1000
    if any(t.get("status") == "NEW" for t in tasks):
        return None
    return tasks


def _complete(command: SyncCommand, tasks: list[dict] | None) -> None:
    failed: dict[str, str] = {}
    for task in tasks or []:
        if task.get("status") == "FAIL":
            oid, field_name = _task_parts(command.kind, task)
            message = _task_message(task)
            failed[oid] = f"{failed[oid]}; {message}" if oid in failed and field_name else message
    command.failed_offers = failed
    command.status = SyncCommand.Status.COMPLETED
    command.completed_at = timezone.now()


def commands_await(*, client: AllegroClient, commands: list[SyncCommand], sleep=time.sleep) -> list[SyncCommand]:
    """Wait for the sent commands' reports (a finished report without failures needs no /tasks call);
    returns the commands still unfinished when the wait ran out (they stay "sent" and are resumed later)."""
    waiting = [c for c in commands if c.status == SyncCommand.Status.SENT]
    limit = float(getattr(settings, "ALLEGRO_COMMAND_WAIT_SECONDS", 60))
    deadline = time.monotonic() + limit
    pause = 0.2
    first = True
    while waiting:
        still = []
        for command in waiting:
            report = command.report or {}
            counts = report.get("taskCount") or {}
            if first and report.get("completedAt") and not counts.get("failed"):
                _complete(command, [])
                continue
            try:
                tasks = _read_tasks(client, command)
            except (AllegroRetryLater, AllegroRateLimited) as exc:
                raise Stop(str(exc)) from exc
            if tasks is None:
                still.append(command)
            else:
                _complete(command, tasks)
        first = False
        waiting = still
        if waiting:
            if time.monotonic() + pause > deadline:
                break
            sleep(pause)
            pause = min(2.0, pause * 1.5)
    return waiting


def commands_persist(*, commands: list[SyncCommand]) -> None:
    if commands:
        SyncCommand.objects.bulk_update(
            commands,
            ["status", "report", "failed_offers", "attempts", "last_error", "sent_at", "completed_at"],
            batch_size=500,
        )


# --- applying results --------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a set of commands did, per kind; filled while results are applied."""

    succeeded: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (offer id, kind, message)
    calls: int = 0
    write_calls: int = 0
    commands: list[str] = field(default_factory=list)

    def merge(self, other: Outcome) -> None:
        self.succeeded.update(other.succeeded)
        self.failed.update(other.failed)
        self.failures.extend(other.failures)
        self.calls += other.calls
        self.write_calls += other.write_calls
        self.commands.extend(other.commands)


UPDATE_FIELDS = [
    "price",
    "quantity",
    "status",
    "confirmed_price",
    "confirmed_quantity",
    "confirmed_status",
    "confirmed_at",
    "ended_reason",
    "ended_at",
    "last_error",
]


def _price_message(oid: str, price: Decimal) -> str:
    return _("Allegro confirmed the price of offer %(offer)s: %(price)s PLN.") % {"offer": oid, "price": price}


def _quantity_message(oid: str, quantity: int) -> str:
    return _("Allegro confirmed the quantity of offer %(offer)s: %(quantity)s.") % {"offer": oid, "quantity": quantity}


def command_results_apply(
    *, account: AllegroAccount, commands: list[SyncCommand], offers: dict[str, Offer], outcome: Outcome
) -> set[str]:
    """Move confirmed values of the offers from finished commands' bodies and reports; log failures.
    Returns the Allegro ids of offers whose activation may proceed (their quantity change succeeded)."""
    now = timezone.now()
    touched: dict[str, Offer] = {}
    quantity_ok: set[str] = set()
    log_rows = []
    for command in commands:
        if command.status not in (SyncCommand.Status.COMPLETED, SyncCommand.Status.FAILED):
            continue
        failed = command.failed_offers or {}
        values = _bulk_values(command)
        for oid in command.offer_ids:
            offer = offers.get(oid)
            if offer is None:
                continue
            touched[oid] = offer
            if oid in failed:
                log_rows.append(_apply_refusal(account, command, offer, failed[oid], outcome))
                continue
            outcome.succeeded[command.kind] += 1
            messages = _apply_success(command, offer, values.get(oid, {}), now=now, quantity_ok=quantity_ok)
            # What the sync changed, per offer: the event log filtered by the offer shows it (not only the run).
            log_rows.extend(
                EventLogEntry(
                    kind=EventKind.SYNC,
                    action=f"sync {command.kind}"[:60],
                    message=message,
                    account=account,
                    offer_id=oid,
                    product_id=offer.product_id,
                    request_summary={"command": str(command.uuid), "kind": command.kind},
                    rule="sync",
                )
                for message in messages
            )
    if touched:
        Offer.objects.bulk_update(list(touched.values()), UPDATE_FIELDS, batch_size=500)
    if log_rows:
        EventLogEntry.objects.bulk_create(log_rows, batch_size=500)
    return quantity_ok


def _bulk_values(command: SyncCommand) -> dict[str, dict]:
    """A bulk-modification command's values per offer id: {"price": Decimal, "quantity": int} (either or both)."""
    values: dict[str, dict] = {}
    if command.kind == SyncCommand.Kind.BULK:
        for mod in command.body.get("modifications", []):
            entry: dict[str, Any] = {}
            if "prices" in mod:
                entry["price"] = Decimal(mod["prices"]["allegro-pl"]["value"]["amount"])
            if "stock" in mod:
                entry["quantity"] = int(mod["stock"]["value"])
            values[mod["offerId"]] = entry
    return values


def _apply_refusal(
    account: AllegroAccount, command: SyncCommand, offer: Offer, message: str, outcome: Outcome
) -> EventLogEntry:
    """Keep Allegro's reason on the offer (an offer Allegro no longer knows is archived) and log it."""
    oid = offer.allegro_id or ""  # the offers of a command were looked up by their Allegro id
    offer.last_error = message[:2000]
    if "OfferNotFoundException" in message:
        offer.status = OfferStatus.ARCHIVED
        offer.confirmed_status = ""
    outcome.failed[command.kind] += 1
    outcome.failures.append((oid, command.kind, message))
    return EventLogEntry(
        kind=EventKind.SYNC,
        action=f"sync {command.kind}"[:60],
        message=_("Allegro refused %(what)s for offer %(offer)s: %(error)s")
        % {"what": SyncCommand.Kind(command.kind).label, "offer": oid, "error": message},
        account=account,
        success=False,
        offer_id=oid,
        product_id=offer.product_id,
        request_summary={"command": str(command.uuid), "kind": command.kind},
        rule="sync",
    )


def _apply_success(command: SyncCommand, offer: Offer, bulk: dict, *, now, quantity_ok: set[str]) -> list[str]:
    """Store on the offer what the finished command confirmed; the messages for the event log."""
    oid = offer.allegro_id or ""  # the offers of a command were looked up by their Allegro id
    offer.last_error = ""
    offer.confirmed_at = now
    reason = (command.reasons or {}).get(oid, "")
    messages = []
    if command.kind == SyncCommand.Kind.PRICE:
        offer.price = offer.confirmed_price = Decimal(command.body["modification"]["price"]["amount"])
        messages.append(_price_message(oid, offer.price))
    elif command.kind == SyncCommand.Kind.QUANTITY:
        offer.quantity = offer.confirmed_quantity = int(command.body["modification"]["value"])
        quantity_ok.add(oid)
        messages.append(_quantity_message(oid, offer.quantity))
    elif command.kind == SyncCommand.Kind.BULK:
        if "price" in bulk:
            offer.price = offer.confirmed_price = bulk["price"]
            messages.append(_price_message(oid, offer.price))
        if "quantity" in bulk:
            offer.quantity = offer.confirmed_quantity = bulk["quantity"]
            quantity_ok.add(oid)
            messages.append(_quantity_message(oid, offer.quantity))
    elif command.kind == SyncCommand.Kind.END:
        offer.status = OfferStatus.ENDED
        offer.confirmed_status = "ENDED"
        offer.ended_reason = reason[:200]
        offer.ended_at = now
        messages.append(_("Offer %(offer)s ended on Allegro (%(reason)s).") % {"offer": oid, "reason": reason})
    elif command.kind == SyncCommand.Kind.ACTIVATE:
        offer.status = OfferStatus.ACTIVE
        offer.confirmed_status = "ACTIVE"
        offer.ended_reason = ""
        offer.ended_at = None
        messages.append(_("Offer %(offer)s active again on Allegro (%(reason)s).") % {"offer": oid, "reason": reason})
    return messages


def commands_execute(
    *,
    client: AllegroClient,
    account: AllegroAccount,
    run: SyncRun | None,
    changes: list[Change],
    sleep=time.sleep,
) -> Outcome:
    """Plan, store, send and confirm the commands for these changes (phase 1, then activations)."""
    outcome = Outcome()
    offers = {c.offer.allegro_id: c.offer for c in changes if c.offer.allegro_id}
    phase1, phase2 = commands_plan(changes=changes)
    budget = ChangeBudget(account, sleep=sleep)
    quantity_wanted = {c.offer.allegro_id for c in changes if c.activate and c.quantity is not None}
    quantity_ok: set[str] = set()
    for phase, planned in ((1, phase1), (2, phase2)):
        if phase == 2:
            # Allegro may run an ACTIVATE before a quantity command sent earlier (commands run out of order): activate only
            # offers whose quantity change is confirmed (or needed none).
            for p in planned:
                p.offer_ids = [o for o in p.offer_ids if o not in quantity_wanted or o in quantity_ok]
                p.reasons = {o: p.reasons.get(o, "") for o in p.offer_ids}
            planned = [p for p in planned if p.offer_ids]
        if not planned:
            continue
        stored = commands_store(account=account, run=run, planned=planned)
        outcome.commands.extend(str(c.uuid) for c in stored)
        try:
            _send_all(client=client, commands=stored, budget=budget, outcome=outcome)
            # Written before the wait, which can last a minute: the panel and a successor see them as sent.
            commands_persist(commands=stored)
            commands_await(client=client, commands=stored, sleep=sleep)
        finally:
            commands_persist(commands=stored)
            quantity_ok |= command_results_apply(account=account, commands=stored, offers=offers, outcome=outcome)
    return outcome


def _send_all(*, client: AllegroClient, commands: list[SyncCommand], budget: ChangeBudget, outcome: Outcome) -> None:
    for command in commands:
        if command.status not in OPEN:
            continue
        command_send(client=client, command=command, budget=budget)
        outcome.write_calls += 1


def commands_resume(*, client: AllegroClient, account: AllegroAccount, outcome: Outcome, sleep=time.sleep) -> set[str]:
    """Finish commands a crashed or interrupted run left open: resend the same UUID and body (Allegro answers
    with the stored report), read the report, apply it. Returns the offers still in unfinished commands."""
    open_commands = list(SyncCommand.objects.filter(account=account, status__in=OPEN).order_by("pk"))
    if not open_commands:
        return set()
    ids = {oid for c in open_commands for oid in c.offer_ids}
    offers = {o.allegro_id: o for o in Offer.objects.filter(account=account, allegro_id__in=ids) if o.allegro_id}
    budget = ChangeBudget(account, sleep=sleep)
    try:
        for command in open_commands:
            # Resend even "sent" ones: same UUID + same body is answered with the current report, and a row
            # whose status write was lost with the worker is covered the same way.
            command_send(client=client, command=command, budget=budget)
            outcome.write_calls += 1
        left = commands_await(client=client, commands=open_commands, sleep=sleep)
    finally:
        commands_persist(commands=open_commands)
        command_results_apply(account=account, commands=open_commands, offers=offers, outcome=outcome)
    outcome.commands.extend(str(c.uuid) for c in open_commands)
    return {oid for c in left for oid in c.offer_ids}
