"""The dashboard's line of returns waiting for a decision (one query whatever the number of accounts)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allegro.accounts.models import AllegroAccount
from allegro.returns.models import CustomerReturn, ReturnDecision

pytestmark = pytest.mark.django_db


def _return(account, n, **fields):
    defaults = {"status": "DELIVERED", "checkout_form_id": f"cf-{n}", "reference_number": f"{n:04d}/Z04A"}
    return CustomerReturn.objects.create(account=account, return_id=f"r-{account.pk}-{n}", **{**defaults, **fields})


def test_dashboard_counts_returns_waiting_for_a_decision(admin_client, allegro_app):
    account = AllegroAccount.objects.create(app=allegro_app, name="Konto 1")
    _return(account, 1)
    _return(account, 2, status="CREATED")
    _return(account, 3, decision=ReturnDecision.REJECTED)
    _return(account, 4, status="FINISHED")
    admin_client.get(reverse("admin:index"))
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "2 zwroty czekają na decyzję" in page
    assert f"{reverse('admin:allegro_customerreturn_changelist')}?account__id__exact={account.pk}" in page

    with CaptureQueriesContext(connection) as few:
        admin_client.get(reverse("admin:index"))
    for n in range(2, 5):
        other = AllegroAccount.objects.create(app=allegro_app, name=f"Konto {n}")
        _return(other, 1)
    with CaptureQueriesContext(connection) as many:
        page = admin_client.get(reverse("admin:index")).content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert page.count("1 zwrot czeka na decyzję") == 3
