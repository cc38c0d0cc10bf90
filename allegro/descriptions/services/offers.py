"""The description an offer is published with: template header + the product's description + template footer.

Product images in stored descriptions
-------------------------------------
Descriptions stored in the panel (a product's fixed Allegro description, an offer's override, a template)
refer to the shop's own pictures as ``{"type": "IMAGE", "url": "product-image:<ProductImage.pk>"}``, because
a picture gets its Allegro URL only when the offer is published (images are uploaded then).
``description_image_refs_list`` lists the referenced pks so the publisher uploads them (and puts them in the
offer's gallery, as Allegro requires); ``description_offer_build`` swaps each reference for the uploaded URL
given in ``image_urls`` ({ProductImage.pk: Allegro URL}).

Placeholders (``{{ nazwa }}``, ``{{ cena }}``, ``{{ sku }}``, ``{{ ean }}``, ``{{ marka }}``,
``{{ zdjecie_glowne }}`` and their English aliases) are rendered in the template's header and footer only; the
product's own text is never interpreted, so a literal ``{{`` in a shop description cannot stop a publication.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ObjectDoesNotExist
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from allegro.descriptions.services.descriptions import (
    description_clean,
    description_compose,
    description_from_html,
    description_placeholders_render,
)

if TYPE_CHECKING:
    from allegro.accounts.models import AllegroAccount
    from allegro.descriptions.models import DescriptionTemplate
    from shop.models import Product


PRODUCT_IMAGE_PREFIX = "product-image:"
_REF_RE = re.compile(r"^product-image:(\d+)$")

# Placeholders a template may use (Polish name, English alias, what it stands for), listed in the template form.
PLACEHOLDERS: list[tuple[str, str, str | Promise]] = [
    ("nazwa", "name", _("product name")),
    ("cena", "price", _("gross price, e.g. 1 299,00 zł")),
    ("sku", "sku", _("product code (SKU)")),
    ("ean", "ean", _("EAN/GTIN code")),
    ("marka", "brand", _("brand")),
    ("zdjecie_glowne", "main_image", _("main product image (alone in an image item)")),
]


class DescriptionImagesMissing(ValueError):
    """Product images referenced by the description have no Allegro URL yet (upload them first)."""

    def __init__(self, pks: list[int]):
        self.pks = pks
        super().__init__("brak adresu Allegro dla zdjęć produktu: " + ", ".join(str(pk) for pk in pks))


def description_image_ref_make(*, pk: int) -> str:
    """The stored URL of a product image inside a description: ``product-image:<pk>``."""
    return f"{PRODUCT_IMAGE_PREFIX}{pk}"


def description_image_ref_parse(*, url: object) -> int | None:
    """The ProductImage pk of a ``product-image:<pk>`` URL, None for anything else."""
    m = _REF_RE.match(url.strip()) if isinstance(url, str) else None
    return int(m.group(1)) if m else None


def description_image_refs_list(*, description: dict) -> list[int]:
    """ProductImage pks referenced by IMAGE items, in order of first use, without repeats."""
    pks: list[int] = []
    for section in (description or {}).get("sections", []) or []:
        for item in (section or {}).get("items", []) or []:
            if isinstance(item, dict) and item.get("type") == "IMAGE":
                pk = description_image_ref_parse(url=item.get("url"))
                if pk is not None and pk not in pks:
                    pks.append(pk)
    return pks


def description_images_resolve(*, description: dict, image_urls: dict[int, str] | None) -> dict:
    """A copy with every ``product-image:<pk>`` replaced by ``image_urls[pk]``; raises DescriptionImagesMissing."""
    image_urls = image_urls or {}
    missing = [pk for pk in description_image_refs_list(description=description) if not image_urls.get(pk)]
    if missing:
        raise DescriptionImagesMissing(missing)
    sections = []
    for section in description.get("sections", []):
        items = []
        for item in section.get("items", []):
            pk = description_image_ref_parse(url=item.get("url")) if item.get("type") == "IMAGE" else None
            items.append({**item, "url": image_urls[pk]} if pk is not None else dict(item))
        sections.append({**section, "items": items})
    return {"sections": sections}


def price_pln_format(*, price: Decimal | int | float | str) -> str:
    """Polish price notation: ``Decimal("1299")`` -> ``"1 299,00 zł"``."""
    amount = Decimal(str(price)).quantize(Decimal("0.01"))
    whole, _, cents = f"{abs(amount):.2f}".partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{'-' if amount < 0 else ''}{' '.join(groups)},{cents} zł"


def description_context_build(*, product: Product, image_urls: dict[int, str] | None = None) -> dict[str, str]:
    """Placeholder values for a product; the main image is the first product image that has a URL in image_urls."""
    main_image = ""
    if image_urls:
        for image in product.images.all():
            if image_urls.get(image.pk):
                main_image = image_urls[image.pk]
                break
    return {
        "name": product.name,
        "price": price_pln_format(price=product.price),
        "sku": product.sku,
        "ean": product.ean,
        "brand": product.brand,
        "main_image": main_image,
    }


def description_product_body_get(*, product: Product) -> dict:
    """The product's fixed Allegro description, or one generated from its shop HTML when none is stored."""
    try:
        stored = product.allegro_description.description or {}
    except ObjectDoesNotExist:
        stored = {}
    if stored.get("sections"):
        return stored
    return description_from_html(product.description)


def description_offer_build(
    *,
    product: Product,
    account: AllegroAccount | None,
    template: DescriptionTemplate | None = None,
    override: dict | None = None,
    image_urls: dict[int, str] | None = None,
    template_resolved: bool = False,
) -> dict:
    """Allegro's ``description`` for an offer of ``product``: the template's header, then ``override`` (an offer's
    own description) or the product's fixed Allegro description or one generated from its shop HTML, then the
    footer; placeholders rendered, ``product-image:<pk>`` replaced from ``image_urls``, everything cleaned.

    ``template`` defaults to ``description_template_get(product=..., account=...)``; with ``template_resolved``
    the caller has looked it up already and None means the product has no template. Raises
    ``UnknownPlaceholders`` (a template placeholder cannot be rendered, e.g. the main image without a URL) and
    ``DescriptionImagesMissing``. The caller validates the result against the offer's gallery
    (``description_validate(..., gallery=...)``) before sending it.
    """
    if template is None and not template_resolved:
        from allegro.descriptions.selectors import description_template_get

        template = description_template_get(product=product, account=account)
    body = override if override and override.get("sections") else description_product_body_get(product=product)
    if template is not None:
        context = description_context_build(product=product, image_urls=image_urls)
        header = description_placeholders_render(description=template.header or {"sections": []}, context=context)
        footer = description_placeholders_render(description=template.footer or {"sections": []}, context=context)
        composed = description_compose(header=header, body=body, footer=footer)
    else:
        composed = description_compose(header=None, body=body, footer=None)
    return description_clean(description=description_images_resolve(description=composed, image_urls=image_urls))
