"""Celery tasks of buyer messages: thin, ids in, the service does the work.

The import is idempotent (cursor + unique Allegro ids, one poll per account under a lease) and a reply's
send reads the thread back before posting again, so both may run twice: ``acks_late`` +
``reject_on_worker_lost`` are safe on them.
"""

from celery import shared_task

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.integration.client import AllegroError, AllegroRateLimited, AllegroRetryLater

RETRY = {
    "autoretry_for": (AllegroRetryLater, AllegroRateLimited),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(ignore_result=True)
def messages_import_all() -> int:
    """Beat (every minute): one import of messages, discussions and claims per connected account."""
    ids = list(AllegroAccount.objects.filter(state=ConnectionState.CONNECTED).values_list("pk", flat=True))
    for account_id in ids:
        messages_import.delay(account_id)
    return len(ids)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def messages_import(account_id: int) -> None:
    """Import new buyers' messages and the open discussions and claims of one account (each skips quietly
    while another poll of it runs). A failure of one does not stop the other; the first is raised after both."""
    from allegro.messages.services.importing import messages_import_account
    from allegro.messages.services.issues import issues_import_account

    account = AllegroAccount.objects.filter(pk=account_id, state=ConnectionState.CONNECTED).first()
    if account is None:
        return  # deleted or waiting for re-authorisation: nothing to retry
    failure: Exception | None = None
    for run in (messages_import_account, issues_import_account):
        try:
            run(account=account)
        except AllegroError as exc:
            failure = failure or exc
    if failure is not None:
        raise failure


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def message_reply_send(reply_id: int) -> None:
    """Send a stored reply (a retry finds a reply that already arrived instead of posting it twice)."""
    from allegro.messages.models import MessageReply
    from allegro.messages.services.replies import message_reply_send as send

    reply = MessageReply.objects.filter(pk=reply_id).first()
    if reply is not None:
        send(reply=reply)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def issue_reply_send(reply_id: int) -> None:
    """Send a stored reply in a discussion or claim (a retry reads the chat back instead of posting twice)."""
    from allegro.messages.models import IssueReply
    from allegro.messages.services.issues import issue_reply_send as send

    reply = IssueReply.objects.filter(pk=reply_id).first()
    if reply is not None:
        send(reply=reply)
