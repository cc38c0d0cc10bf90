"""The public offer page `/oferta/<id>` as allegro.pl shows it, with a "Kup teraz" button that makes a test
purchase by a generated buyer (`POST /oferta/<id>/kup`).

Descriptions are rendered from the stored offer's `description.sections`: only Allegro's tags (h1, h2, p, ul,
ol, li, b — without attributes) pass; every other tag is shown escaped as text, never interpreted.
"""

from __future__ import annotations

import html
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from urllib.parse import parse_qs

from . import db, orders
from .errors import ApiError
from .routing import Request, Response, route

ALLOWED_TAGS = ("h1", "h2", "p", "ul", "ol", "li", "b")


class _SafeHtml(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ALLOWED_TAGS:
            self.out.append(f"<{tag}>")
            self.stack.append(tag)
        else:
            self.out.append(html.escape(self.get_starttag_text() or f"<{tag}>"))

    def handle_startendtag(self, tag, attrs):
        self.out.append(html.escape(self.get_starttag_text() or f"<{tag}/>"))

    def handle_endtag(self, tag):
        if tag in ALLOWED_TAGS and tag in self.stack:
            while self.stack:
                open_tag = self.stack.pop()
                self.out.append(f"</{open_tag}>")
                if open_tag == tag:
                    break
        elif tag not in ALLOWED_TAGS:
            self.out.append(html.escape(f"</{tag}>"))

    def handle_data(self, data):
        self.out.append(html.escape(data))

    def handle_comment(self, data):
        self.out.append(html.escape(f"<!--{data}-->"))

    def unknown_decl(self, data):
        self.out.append(html.escape(f"<![{data}]>"))

    def handle_decl(self, decl):
        self.out.append(html.escape(f"<!{decl}>"))

    def handle_pi(self, data):
        self.out.append(html.escape(f"<?{data}>"))


def safe_html(text: str) -> str:
    """Allegro's description tags kept (no attributes), everything else escaped."""
    parser = _SafeHtml()
    parser.feed(text if isinstance(text, str) else "")
    parser.close()
    if parser.rawdata:  # an unfinished tag at the end stays as text
        parser.out.append(html.escape(parser.rawdata))
    out = parser.out + [f"</{t}>" for t in reversed(parser.stack)]
    return "".join(out)


def pln(amount) -> str:
    """`1299` → `1 299,00 zł`."""
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return f"{html.escape(str(amount))} zł"
    whole, cents = f"{value:.2f}".split(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups)},{cents} zł"


def _safe_url(url) -> str | None:
    if isinstance(url, dict):
        url = url.get("url")
    if isinstance(url, str) and url.startswith(("http://", "https://", "/")):
        return html.escape(url, quote=True)
    return None


STYLE = """
body{font-family:Arial,Helvetica,sans-serif;background:#f2f2f2;margin:0;color:#222}
header{background:#fff;border-bottom:1px solid #ddd;padding:12px 24px}
header .logo{color:#ff5a00;font-weight:bold;font-size:26px;text-decoration:none}
main{max-width:1100px;margin:20px auto;background:#fff;padding:24px;box-shadow:0 1px 2px #ccc}
.top{display:flex;gap:32px}.gallery{flex:1}.gallery img.main{max-width:100%;max-height:420px}
.thumbs img{width:64px;height:64px;object-fit:cover;margin:4px;border:1px solid #ddd}
.buy{flex:1}.price{font-size:32px;margin:12px 0}.stock{color:#555;margin:8px 0}
button.kup{background:#ff5a00;color:#fff;border:0;padding:14px 40px;font-size:18px;cursor:pointer}
.ended{color:#b00;font-weight:bold}.desc{margin-top:32px;border-top:1px solid #eee}
.section{display:flex;gap:24px;margin:16px 0}.section>div{flex:1}.section img{max-width:100%}
.ok{background:#e6f4ea;padding:16px;border-left:4px solid #2e7d32}
.err{background:#fdecea;padding:16px;border-left:4px solid #c62828}
"""


def _layout(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="pl"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} - Allegro</title><style>{STYLE}</style></head><body>"
        '<header><a class="logo" href="#">allegro</a> <small>(emulator – zakupy testowe)</small></header>'
        f"<main>{body}</main></body></html>"
    )


def _offer(offer_id: str):
    row = db.one("SELECT * FROM offers WHERE id = ?", (offer_id,))
    if row is None or row["archived_at"]:
        return None, None
    return row, db.loads(row["data"]) or {}


def _not_found() -> Response:
    page = _layout("Nie znaleziono oferty", '<h1>Nie znaleziono oferty</h1><p class="err">Oferta nie istnieje.</p>')
    return Response.html(page, 404)


def _description(data: dict) -> str:
    sections = (data.get("description") or {}).get("sections") if isinstance(data.get("description"), dict) else None
    parts = []
    for section in sections if isinstance(sections, list) else []:
        cells = []
        for item in section.get("items", []) if isinstance(section, dict) else []:
            if not isinstance(item, dict):
                continue
            if item.get("type") == "IMAGE":
                url = _safe_url(item.get("url"))
                if url:
                    cells.append(f'<div><img src="{url}" alt=""></div>')
            else:
                cells.append(f"<div>{safe_html(item.get('content') or '')}</div>")
        parts.append(f'<div class="section">{"".join(cells)}</div>')
    return "".join(parts)


@route("GET", "/oferta/{offerId}", auth=None, media=())
def offer_page(req: Request) -> Response:
    row, data = _offer(req.params["offerId"])
    if row is None:
        return _not_found()
    name = row["name"] or data.get("name") or ""
    selling = data.get("sellingMode") if isinstance(data.get("sellingMode"), dict) else {}
    price = row["price_amount"] or (selling.get("price") or {}).get("amount") or "0"
    images = [u for u in (_safe_url(i) for i in data.get("images") or []) if u]
    gallery = f'<img class="main" src="{images[0]}" alt="{html.escape(name)}">' if images else "<p>Brak zdjęć</p>"
    thumbs = "".join(f'<img src="{u}" alt="">' for u in images[1:])
    stock = int(row["stock_available"] or 0)
    auction = (row["format"] or "").upper() == "AUCTION"
    if row["status"] == "ACTIVE" and stock > 0:
        stock_info = f'<p class="stock">Dostępnych sztuk: {stock}</p>'
        label = "Licytuj i wygraj" if auction else "Kup teraz"
        qty = (
            ""
            if auction
            else f'<label>Liczba sztuk <input type="number" name="quantity" value="1" min="1" max="{stock}"></label> '
        )
        buy = (
            f'<form method="post" action="/oferta/{html.escape(row["id"])}/kup">{qty}'
            f'<button class="kup" type="submit">{label}</button></form>'
        )
    else:
        stock_info = '<p class="ended">Oferta zakończona</p>' if row["status"] == "ENDED" else ""
        buy = '<p class="ended">Oferta niedostępna</p>'
    body = (
        f'<div class="top"><div class="gallery">{gallery}<div class="thumbs">{thumbs}</div></div>'
        f'<div class="buy"><h1>{html.escape(name)}</h1>'
        f'<div class="price">{pln(price)}</div>{stock_info}{buy}'
        f"<p><small>Numer oferty: {html.escape(row['id'])}</small></p></div></div>"
        f'<div class="desc"><h2>Opis</h2>{_description(data)}</div>'
    )
    return Response.html(_layout(name, body))


@route("POST", "/oferta/{offerId}/kup", auth=None, media=(), raw_body=True)
def offer_buy(req: Request) -> Response:
    offer_id = req.params["offerId"]
    row, data = _offer(offer_id)
    if row is None:
        return _not_found()
    form = parse_qs(req.body.decode("utf-8", "replace")) if req.body else {}
    try:
        quantity = max(1, int((form.get("quantity") or ["1"])[0]))
    except ValueError:
        quantity = 1
    try:
        with db.tx() as conn:
            result = orders.create_purchase(conn, {"offer_id": offer_id, "quantity": quantity})
    except ApiError as exc:
        message = exc.errors[0].user_message_pl or exc.errors[0].message
        body = (
            f'<h1>{html.escape(row["name"] or "")}</h1><p class="err">Nie udało się kupić: {html.escape(message)}</p>'
            f'<p><a href="/oferta/{html.escape(offer_id)}">Wróć do oferty</a></p>'
        )
        return Response.html(_layout("Zakup nieudany", body), exc.status)
    form_doc = result["checkout_form"]
    buyer = form_doc["buyer"]
    body = (
        '<div class="ok"><h1>Dziękujemy za zakup</h1>'
        f"<p>Kupujący: {html.escape(buyer['login'])} ({html.escape(buyer['firstName'])} "
        f"{html.escape(buyer['lastName'])})</p>"
        f"<p>Oferta: {html.escape(row['name'] or '')}, sztuk: {quantity}</p>"
        f"<p>Do zapłaty: {pln(form_doc['summary']['totalToPay']['amount'])}</p>"
        f'<p>Numer zamówienia (checkout form): <code id="checkout-form-id">{html.escape(result["checkout_form_id"])}'
        "</code></p></div>"
        f'<p><a href="/oferta/{html.escape(offer_id)}">Wróć do oferty</a></p>'
    )
    return Response.html(_layout("Dziękujemy za zakup", body))
