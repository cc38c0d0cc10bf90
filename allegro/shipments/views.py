"""The shipments job's small JSON status view, polled by static/allegro/shipments.js on the job page."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from allegro.shipments.models import ShipmentJob
from allegro.shipments.services.jobs import shipment_job_status


@require_GET
@never_cache
@staff_member_required
def shipment_job_status_view(request, pk: int):
    if not request.user.has_perm("allegro.view_shipmentjob"):
        raise PermissionDenied
    job = get_object_or_404(ShipmentJob, pk=pk)
    return JsonResponse(shipment_job_status(job=job))


urlpatterns = [
    path("jobs/<int:pk>/status/", shipment_job_status_view, name="shipment_job_status"),
]
