"""Wiadomości in a real Chromium: a buyer's unread message shows on the dashboard, the link leads to the inbox
and the conversation, a template fills the reply, and the reply with an attachment reaches the buyer on Allegro."""

from pathlib import Path

import pytest

from allegro.messages.models import MessageThread, ReplyTemplate
from allegro.messages.services.importing import messages_import_account
from tests.factories import connect_account, make_emulator_app

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_an_unread_message_on_the_dashboard_is_answered_from_the_inbox(
    page, admin_login, emulator, screenshot, tmp_path: Path
):
    account = connect_account(emulator, make_emulator_app(emulator))
    written = emulator.post("messages", {"buyer_login": "kupujaca-ola", "text": "Czy paczka już wyszła?"})
    messages_import_account(account=account)
    ReplyTemplate.objects.create(name="Wysłano", text="Dzień dobry {buyer_login}, paczka wyszła dziś.")
    base = admin_login()

    page.goto(base + "/admin/")
    line = page.locator(f"#dashboard-messages-{account.pk}")
    assert "1 nieprzeczytany wątek wiadomości" in line.inner_text()
    assert page.locator("#unread-messages .allegro-badge").inner_text() == "1"
    screenshot("messages-01-pulpit")
    line.click()

    page.get_by_role("link", name="kupujaca-ola").click()
    assert "Czy paczka już wyszła?" in page.locator("#conversation").inner_text()
    page.select_option("#id_template", label="Wysłano")
    page.click("#reply-use-template")
    assert page.input_value("#id_text") == "Dzień dobry kupujaca-ola, paczka wyszła dziś."
    attachment = tmp_path / "potwierdzenie.pdf"
    attachment.write_bytes(PDF)
    page.set_input_files("#id_files", str(attachment))
    page.click("#reply-send")

    page.wait_for_selector(".messagelist .success")
    conversation = page.locator("#conversation").inner_text()
    assert "paczka wyszła dziś" in conversation and "potwierdzenie.pdf" in conversation
    assert page.locator("#thread-unread").count() == 0  # answering marked the thread read
    screenshot("messages-02-odpowiedz")
    seen = emulator.get(f"messages?thread_id={written['thread_id']}")["messages"]
    ours = [m for m in seen if not m["from_buyer"]]
    assert [m["text"] for m in ours] == ["Dzień dobry kupujaca-ola, paczka wyszła dziś."]
    assert [(a["fileName"], a["size"]) for a in ours[0]["attachments"]] == [("potwierdzenie.pdf", len(PDF))]
    assert MessageThread.objects.get().read is True
    page.goto(base + "/admin/")
    assert page.locator(f"#dashboard-messages-{account.pk}").count() == 0
