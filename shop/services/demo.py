"""Idempotent demo data: the Polish catalogue of ``shop.demo_catalogue`` with generated images."""

import io
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw, ImageFont

from shop.demo_catalogue import CATEGORY_TREE, DELIVERY_METHODS, PRODUCT_RECIPES
from shop.models import Category, DeliveryMethod, Product, ProductImage
from shop.validators import gtin_check_digit

PRODUCTS_PER_LEAF = 8  # 26 leaves -> 208 products


def _ean13(rng: random.Random) -> str:
    body = "590" + "".join(str(rng.randint(0, 9)) for _ in range(9))  # 590 = GS1 Poland
    return body + str(gtin_check_digit(body))


def _image_bytes(*, title: str, colour: tuple[int, int, int], variant: int) -> bytes:
    image = Image.new("RGB", (800, 800), colour)
    draw = ImageDraw.Draw(image)
    accent = tuple(255 - c for c in colour)
    draw.rectangle((60 + variant * 40, 60, 740, 740 - variant * 40), outline=accent, width=12)
    draw.ellipse((250, 220 + variant * 30, 550, 520 + variant * 30), fill=accent)
    font = ImageFont.load_default(size=40)
    words, line, lines = title.split(), "", []
    for word in words:
        if len(line) + len(word) > 22:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    for i, text in enumerate(lines[:4]):
        draw.text((80, 560 + i * 48), text, fill=accent, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _description(name: str, brand: str, leaf: str) -> str:
    return (
        f"<h2>{name}</h2>"
        f"<p><strong>{brand}</strong> – sprawdzona jakość w kategorii {leaf.lower()}.</p>"
        "<ul><li>Gwarancja producenta 24 miesiące</li><li>Wysyłka w 24 godziny</li>"
        "<li>Faktura VAT 23%</li></ul>"
        "<p>W zestawie: produkt, instrukcja w języku polskim.<br>Zapraszamy do zakupów!</p>"
    )


@transaction.atomic
def demo_catalogue_seed(*, with_images: bool = True) -> dict[str, int]:
    """Create the demo categories, products and delivery methods; running it again adds nothing."""
    rng = random.Random(20261127)  # fixed seed: the same catalogue on every machine
    counts = {"categories": 0, "products": 0, "images": 0, "delivery_methods": 0}
    leaves: list[Category] = []
    for root_name, middles in CATEGORY_TREE:
        root = Category.objects.get_root_nodes().filter(name=root_name).first()
        if root is None:
            root = Category.objects.add_root({"name": root_name})
            counts["categories"] += 1
        for middle_name, leaf_names in middles:
            middle = Category.objects.get_children(root).filter(name=middle_name).first()
            if middle is None:
                middle = Category.objects.add_child(root, {"name": middle_name})
                counts["categories"] += 1
            for leaf_name in leaf_names:
                leaf = Category.objects.get_children(middle).filter(name=leaf_name).first()
                if leaf is None:
                    leaf = Category.objects.add_child(middle, {"name": leaf_name})
                    counts["categories"] += 1
                leaves.append(leaf)

    existing = set(Product.objects.values_list("sku", flat=True))
    for leaf_index, leaf in enumerate(leaves):
        pattern, brands, models, (low, high), weight, colour = PRODUCT_RECIPES[leaf.name]
        for n in range(PRODUCTS_PER_LEAF):
            brand = brands[n % len(brands)]
            model = models[(n + leaf_index) % len(models)]
            name = pattern.format(brand=brand, model=model)
            if n >= len(brands):
                name = f"{name} ({['czarny', 'biały', 'szary', 'niebieski'][n % 4]})"
            sku = f"DEMO-{leaf_index + 1:02d}-{n + 1:03d}"
            ean = _ean13(rng)
            price = Decimal(rng.randint(low, high)) - Decimal("0.01")
            stock_roll = rng.random()
            stock = 0 if stock_roll < 0.1 else (None if stock_roll > 0.95 else rng.randint(1, 60))
            if sku in existing:
                continue
            product = Product.objects.create(
                name=name[:255],
                sku=sku,
                ean=ean,
                brand=brand,
                price=price,
                stock=stock,
                visible=rng.random() > 0.05,
                weight=Decimal(str(weight)),
                description=_description(name, brand, leaf.name),
                category=leaf,
            )
            counts["products"] += 1
            if with_images:
                for variant in range(1 + n % 3):
                    data = _image_bytes(title=name, colour=colour, variant=variant)
                    image = ProductImage(product=product, position=variant, alt=name[:200])
                    image.image.save(f"{sku.lower()}-{variant + 1}.jpg", ContentFile(data), save=True)
                    counts["images"] += 1

    for position, (name, price, cod) in enumerate(DELIVERY_METHODS):
        _, created = DeliveryMethod.objects.get_or_create(
            name=name, defaults={"price": Decimal(price), "cash_on_delivery": cod, "position": position}
        )
        counts["delivery_methods"] += int(created)
    return counts
