"""Discussions and claims against the emulator: polled without duplicates, linked to the order (panel on the
order page with the deadline), answered from the panel, a reply retried after a timeout posted once."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

import allegro.integration.client
from allegro.checkouts.models import OrderEventCursor
from allegro.checkouts.services.order_import import order_import_new_events
from allegro.integration.client import AllegroRetryLater
from allegro.messages.models import Issue, IssueReply, IssueStatus, ReplyState
from allegro.messages.services.issues import issue_reply_create, issue_reply_send, issues_import_account
from orders.models import Order
from tests.emulator_support import make_offer
from tests.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def order_form(emulator, connected_account) -> dict:
    make_product(sku="SKU-D", stock=5)
    offer = make_offer(emulator, external_id="SKU-D", stock=10)
    OrderEventCursor.objects.create(account=connected_account, last_event_id="0")
    form = emulator.post("purchases", {"offer_id": offer})["checkout_form"]
    order_import_new_events(account=connected_account)
    return form


def seller_lines(emulator) -> list[str]:
    return [m["text"] for i in emulator.get("issues")["issues"] for m in i["chat"] if m["role"] == "SELLER"]


def test_a_claim_is_imported_once_with_its_order_and_deadline(emulator, connected_account, order_form):
    emulator.post("issues", {"order_id": order_form["id"], "type": "CLAIM", "text": "Pęknięta obudowa"})
    assert issues_import_account(account=connected_account) == 1
    assert issues_import_account(account=connected_account) == 1
    issue = Issue.objects.get()
    assert issue.status == IssueStatus.CLAIM_SUBMITTED and issue.order == Order.objects.get()
    assert issue.decision_due_at is not None and issue.awaiting_reply
    assert [m["text"] for m in issue.chat] == ["Pęknięta obudowa"]


def test_a_buyers_new_message_and_a_closed_discussion_are_picked_up(emulator, connected_account, order_form):
    issue_id = emulator.post("issues", {"order_id": order_form["id"], "text": "Gdzie paczka?"})["issue_id"]
    issues_import_account(account=connected_account)
    emulator.post("issues", {"issue_id": issue_id, "text": "Halo?"})
    issues_import_account(account=connected_account)
    assert [m["text"] for m in Issue.objects.get().chat] == ["Gdzie paczka?", "Halo?"]
    emulator.post("issues", {"issue_id": issue_id, "status": "DISPUTE_CLOSED"})
    issues_import_account(account=connected_account)  # no longer listed as open: read by its id
    issue = Issue.objects.get()
    assert issue.status == IssueStatus.DISPUTE_CLOSED and not issue.awaiting_reply


def test_the_order_page_lists_the_discussion_and_the_reply_reaches_allegro(
    emulator, connected_account, order_form, staff_client, django_capture_on_commit_callbacks
):
    emulator.post("issues", {"order_id": order_form["id"], "type": "CLAIM", "text": "Pęknięta obudowa"})
    issues_import_account(account=connected_account)
    issue = Issue.objects.get()
    order_page = staff_client.get(reverse("admin:orders_order_change", args=[Order.objects.get().pk]))
    html = order_page.content.decode()
    assert reverse("admin:allegro_issue_page", args=[issue.pk]) in html
    assert "Pęknięta obudowa" in html and "pozostało" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:allegro_issue_reply", args=[issue.pk]), {"text": "Prosimy o zdjęcia uszkodzenia."}
        )
    assert response.status_code == 302
    assert IssueReply.objects.get().state == ReplyState.SENT
    assert seller_lines(emulator) == ["Prosimy o zdjęcia uszkodzenia."]
    page = staff_client.get(reverse("admin:allegro_issue_page", args=[issue.pk])).content.decode()
    assert "Prosimy o zdjęcia uszkodzenia." in page


def test_an_issue_reply_retried_after_a_timeout_appears_once(emulator, connected_account, order_form, monkeypatch):
    emulator.post("issues", {"order_id": order_form["id"], "text": "Gdzie paczka?"})
    issues_import_account(account=connected_account)
    reply = issue_reply_create(issue=Issue.objects.get(), text="Paczka wyszła wczoraj.")
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 0.5)
    emulator.add_fault(r"^/sale/issues/[^/]+/message$", method="POST", delay_ms=1500, times=1)
    with pytest.raises(AllegroRetryLater):
        issue_reply_send(reply=reply)
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 30)
    time.sleep(1.2)
    assert issue_reply_send(reply=reply).state == ReplyState.SENT
    assert seller_lines(emulator) == ["Paczka wyszła wczoraj."]


def test_a_reply_to_a_closed_discussion_is_refused_before_sending(emulator, connected_account, order_form):
    issue_id = emulator.post("issues", {"order_id": order_form["id"], "text": "Gdzie paczka?"})["issue_id"]
    issues_import_account(account=connected_account)
    reply = issue_reply_create(issue=Issue.objects.get(), text="Już wysłane.")
    emulator.post("issues", {"issue_id": issue_id, "status": "DISPUTE_CLOSED"})
    refused = issue_reply_send(reply=reply)
    assert refused.state == ReplyState.FAILED and refused.error
    assert seller_lines(emulator) == []


def test_the_issues_list_has_a_fixed_number_of_queries(
    emulator, connected_account, order_form, staff_client, django_assert_max_num_queries
):
    for n in range(5):
        emulator.post("issues", {"order_id": order_form["id"], "text": f"Problem {n}"})
    issues_import_account(account=connected_account)
    staff_client.get(reverse("admin:allegro_issue_changelist"))  # warm the per-process caches (the banner)
    with django_assert_max_num_queries(9):
        page = staff_client.get(reverse("admin:allegro_issue_changelist"))
    assert page.status_code == 200 and page.content.decode().count("allegro_issue_page") == 0
    assert page.content.decode().count("/page/") == 5


def test_the_scheduled_task_imports_messages_and_issues_of_every_connected_account(
    emulator, connected_account, order_form
):
    from allegro.messages.models import MessageThread
    from allegro.messages.tasks import messages_import_all

    emulator.post("issues", {"order_id": order_form["id"], "text": "Gdzie paczka?"})
    emulator.post("messages", {"order_id": order_form["id"], "text": "Dzień dobry"})
    assert messages_import_all() == 1  # eager in the tests: the per-account task runs inline
    assert Issue.objects.count() == 1 and MessageThread.objects.get().checkout_form_id == order_form["id"]


def test_untidy_answers_are_imported_without_errors(emulator, connected_account, order_form):
    """Optional fields null or absent at random (as Allegro sends them): nothing breaks, nothing doubles."""
    from allegro.messages.models import Message
    from allegro.messages.services.importing import messages_import_account

    emulator.post("issues", {"order_id": order_form["id"], "type": "CLAIM", "text": "Pęknięta obudowa"})
    for n in range(4):
        emulator.post("messages", {"buyer_login": f"kupujacy-{n}", "text": f"Pytanie {n}"})
    emulator.set_settings(untidy={"seed": 7, "probability": 0.5})
    for _ in range(2):
        messages_import_account(account=connected_account)
        issues_import_account(account=connected_account)
    assert Message.objects.count() == 4 and Issue.objects.count() == 1
