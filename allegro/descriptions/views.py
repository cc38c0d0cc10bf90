"""Views of the description editor outside the admin's own URLs: the image upload of the section editor."""

from __future__ import annotations

from django import forms
from django.db.models import Max
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from allegro.descriptions.widgets import description_image_json
from shop.models import Product, ProductImage


class _UploadForm(forms.Form):
    image = forms.ImageField()


@require_POST
def description_image_upload(request, product_id: int):
    """Add an uploaded picture to the product's images and return it for the picker (staff with permission)."""
    user = request.user
    if not (user.is_active and user.is_staff and user.has_perms(["shop.add_productimage", "shop.change_product"])):
        return JsonResponse({"error": gettext("You are not allowed to add product images.")}, status=403)
    product = get_object_or_404(Product, pk=product_id)
    form = _UploadForm(files=request.FILES)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return JsonResponse({"error": errors}, status=400)
    position = (product.images.aggregate(m=Max("position"))["m"] or 0) + 1
    image = ProductImage.objects.create(product=product, image=form.cleaned_data["image"], position=position)
    return JsonResponse(description_image_json(image), status=201)


urlpatterns = [
    path(
        "products/<int:product_id>/images/",
        description_image_upload,
        name="description_image_upload",
    ),
]
