"""The red banner of the panel when the Celery worker or beat has stopped (no recent heartbeat)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from allegro.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db

BANNER = 'id="background-work-down"'


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _beat(ago: timedelta) -> None:
    WorkerHeartbeat.objects.update_or_create(name="worker", defaults={"seen_at": timezone.now() - ago})


def test_banner_names_the_last_heartbeat_and_what_to_do_when_it_is_old(staff_client):
    _beat(timedelta(minutes=5))
    page = staff_client.get("/admin/").content.decode()
    assert BANNER in page
    assert "Zadania w tle nie działają od" in page
    assert "Uruchom ponownie workera i beat" in page
    assert "systemctl restart selly-worker selly-beat" in page


def test_banner_when_no_heartbeat_ever_came(staff_client):
    page = staff_client.get("/admin/").content.decode()
    assert BANNER in page
    assert "Zadania w tle jeszcze nie działają" in page


def test_no_banner_while_heartbeats_arrive(staff_client):
    _beat(timedelta(seconds=35))  # one beat every 20 s: one is late, the banner waits for a minute without any
    assert BANNER not in staff_client.get("/admin/").content.decode()


def test_banner_after_a_minute_without_a_heartbeat(staff_client):
    _beat(timedelta(seconds=70))  # three heartbeats missed in a row
    assert BANNER in staff_client.get("/admin/").content.decode()


def test_no_banner_for_someone_not_logged_in():
    from django.test import Client

    _beat(timedelta(hours=1))
    assert BANNER not in Client().get("/admin/login/").content.decode()


def test_one_heartbeat_query_for_several_pages(staff_client):
    _beat(timedelta(minutes=5))
    with CaptureQueriesContext(connection) as first:
        staff_client.get("/admin/")
    with CaptureQueriesContext(connection) as second:
        page = staff_client.get("/admin/").content.decode()
    assert sum("allegro_workerheartbeat" in q["sql"] for q in first.captured_queries) == 1
    assert sum("allegro_workerheartbeat" in q["sql"] for q in second.captured_queries) == 0
    assert BANNER in page


def test_banner_goes_once_the_heartbeat_is_back(staff_client):
    _beat(timedelta(minutes=5))
    assert BANNER in staff_client.get("/admin/").content.decode()
    _beat(timedelta(seconds=1))
    cache.clear()  # what the few seconds of caching would do
    assert BANNER not in staff_client.get("/admin/").content.decode()
