import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings

from shop.models import Category, DeliveryMethod, Product, ProductImage
from shop.validators import gtin_is_valid

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_seed_demo_builds_a_polish_catalogue_once(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo")
    categories, products, images = Category.objects.count(), Product.objects.count(), ProductImage.objects.count()
    call_command("seed_demo")  # idempotent: a second run adds nothing

    assert (Category.objects.count(), Product.objects.count(), ProductImage.objects.count()) == (
        categories,
        products,
        images,
    )
    assert categories >= 20
    assert Category.objects.filter(depth=3).exists()
    assert products >= 200
    assert all(gtin_is_valid(ean) for ean in Product.objects.values_list("ean", flat=True))
    assert Product.objects.filter(stock=0).exists()
    assert Product.objects.filter(stock__gt=0).exists()
    assert DeliveryMethod.objects.count() >= 4
    image = ProductImage.objects.first()
    assert image.image.read(3) == b"\xff\xd8\xff"  # a real JPEG file
    assert not Product.objects.filter(images__isnull=True).exists()


def test_seed_demo_creates_the_admin_only_with_debug(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", "--no-images")
    assert not get_user_model().objects.filter(username="admin").exists()
    with override_settings(DEBUG=True):
        call_command("seed_demo", "--no-images")
    assert get_user_model().objects.get(username="admin").check_password("admin")


def test_the_emulators_catalogue_knows_some_demo_eans_and_not_others(settings, tmp_path):
    """The emulator's catalogue is built around the demo shop: its EANs must still be the ones seed_demo makes."""
    from allegro_emulator.products_data import DEMO_PRODUCTS

    call_command("seed_demo", "--no-images")
    eans = dict(Product.objects.values_list("sku", "ean"))
    assert all(eans[sku] == ean for sku, _leaf, _name, _brand, _model, ean in DEMO_PRODUCTS)
    known = {ean for *_rest, ean in DEMO_PRODUCTS}
    assert 0 < len(known) < len(eans) / 3  # many shop EANs stay unknown to Allegro's catalogue
