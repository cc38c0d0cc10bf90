"""Beat schedules: created once, never overwriting the owner's edits, and moved along when the project renames
a task or changes a default the owner never touched."""

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from allegro.core.schedules import SCHEDULES, schedules_install

pytestmark = pytest.mark.django_db


def _every(name: str) -> int:
    return PeriodicTask.objects.select_related("interval").get(name=name).interval.every


def test_orders_are_polled_every_five_seconds():
    schedules_install()
    assert _every("allegro: import orders") == 5


def test_an_untouched_former_default_moves_to_the_new_one_and_an_edited_one_stays():
    PeriodicTask.objects.all().delete()
    thirty, _ = IntervalSchedule.objects.get_or_create(every=30, period=IntervalSchedule.SECONDS)
    twelve, _ = IntervalSchedule.objects.get_or_create(every=12, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="allegro: import orders", task="allegro.tasks_orders.orders_import_all", interval=thirty
    )
    schedules_install()
    task = PeriodicTask.objects.get(name="allegro: import orders")
    assert (task.task, task.interval.every) == ("allegro.checkouts.tasks.orders_import_all", 5)

    PeriodicTask.objects.filter(name="allegro: import orders").update(interval=twelve)
    schedules_install()
    assert _every("allegro: import orders") == 12


def test_every_scheduled_task_is_a_registered_task():
    from selly_allegro.celery import app

    app.loader.import_default_modules()
    for _name, task, _seconds, _description in SCHEDULES:
        assert task in app.tasks, task
