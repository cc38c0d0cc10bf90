"""The mass listing's small JSON status view, polled by static/allegro/listing.js on the job page."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from allegro.listing.models import ListingJob
from allegro.listing.services.jobs import listing_job_status


@require_GET
@never_cache
@staff_member_required
def listing_job_status_view(request, pk: int):
    if not request.user.has_perm("allegro.view_listingjob"):
        raise PermissionDenied
    job = get_object_or_404(ListingJob, pk=pk)
    return JsonResponse(listing_job_status(job=job))


urlpatterns = [
    path("<int:pk>/status/", listing_job_status_view, name="listing_job_status"),
]
