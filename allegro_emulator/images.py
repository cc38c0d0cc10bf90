"""`POST /sale/images` (upload.allegro.pl) and the emulator-hosted image URLs it returns."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import ipaddress
import re
import urllib.request
from urllib.parse import urlsplit

from . import clock, db, state
from .errors import error
from .routing import PUBLIC, Request, Response, route

TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
MAGIC = {"jpg": (b"\xff\xd8\xff",), "png": (b"\x89PNG\r\n\x1a\n",), "webp": (b"RIFF",)}
HOSTED_RE = re.compile(r"/img/original/([0-9a-f]{40})\.(jpg|png|webp)$")


def is_hosted_url(url: str) -> bool:
    """True when `url` is an image this emulator served (helper for offers: images and description)."""
    m = HOSTED_RE.search(urlsplit(url).path) if isinstance(url, str) else None
    return bool(m) and db.one("SELECT 1 FROM images WHERE hash = ?", (m[1],)) is not None


def _sniff(data: bytes) -> str | None:
    for ext, magics in MAGIC.items():
        if any(data.startswith(m) for m in magics) and (ext != "webp" or data[8:12] == b"WEBP"):
            return ext
    return None


def _placeholder(url: str) -> bytes:
    """Offline there is no internet: an external URL becomes a deterministic placeholder picture."""
    from PIL import Image, ImageDraw

    digest = hashlib.sha1(url.encode()).digest()
    img = Image.new("RGB", (800, 600), (digest[0], digest[1], digest[2]))
    ImageDraw.Draw(img).text((20, 20), urlsplit(url).path[-60:] or url[:60], fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _fetch(url: str) -> bytes:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise error(422, "IMAGE_URL_INVALID", "Invalid image URL", pl="Nieprawidłowy adres zdjęcia.", path="url")
    try:
        ip = ipaddress.ip_address(parts.hostname)
    except ValueError:
        ip = None
    local = parts.hostname in ("localhost",) or (ip is not None and ip.is_loopback)
    if ip is not None and not ip.is_loopback:
        raise error(
            422,
            "IMAGE_URL_INVALID",
            "Image URL must use a domain name",
            pl="Adres zdjęcia musi zawierać nazwę domeny.",
            path="url",
        )
    m = HOSTED_RE.search(parts.path)
    if m:
        row = db.one("SELECT data FROM images WHERE hash = ?", (m[1],))
        if row:
            return bytes(row["data"])
    if not local:
        return _placeholder(url)
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # loopback only
            return resp.read(int(state.get("image_max_bytes")) + 1)
    except OSError:
        raise error(
            422,
            "UploadImageRequestTimeoutException",
            "Could not download the image",
            pl="Nie udało się pobrać zdjęcia.",
            path="url",
        )


@route("POST", "/sale/images", auth="user", media=(PUBLIC,), raw_body=True)
def upload(req: Request) -> Response:
    ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype == PUBLIC:
        url = req.json().get("url") if isinstance(req.json(), dict) else None
        if not url or not isinstance(url, str):
            raise error(422, "VALIDATION_ERROR", "url is required", pl="Podaj adres zdjęcia.", path="url")
        data = _fetch(url)
    elif ctype in TYPES:
        data = req.body
    else:
        raise error(
            415,
            "UnsupportedMediaTypeException",
            f"Content type '{ctype}' not supported",
            pl="Nieobsługiwany format pliku. Dozwolone: JPEG, PNG, WEBP.",
        )
    if len(data) > int(state.get("image_max_bytes")):
        raise error(413, "ImageTooLargeException", "Image is too large", pl="Zdjęcie jest za duże.")
    ext = _sniff(data)
    if ext is None or (ctype in TYPES and TYPES[ctype] != ext):
        raise error(
            422, "InvalidImageException", "The file is not a valid image", pl="Plik nie jest prawidłowym zdjęciem."
        )
    digest = hashlib.sha1(data).hexdigest()
    expires = clock.now() + dt.timedelta(hours=int(state.get("image_ttl_hours")))
    content_type = {v: k for k, v in TYPES.items()}[ext]
    with db.tx() as conn:
        conn.execute(
            "INSERT OR IGNORE INTO images(hash, seller_id, content_type, ext, data, created_at, expires_at) VALUES (?,?,?,?,?,?,?)",
            (digest, req.seller_id, content_type, ext, data, clock.iso(), clock.iso(expires)),
        )
    return Response.json(
        {"location": f"{req.base_url}/img/original/{digest}.{ext}", "expiresAt": clock.iso(expires)}, 201
    )


@route("GET", "/img/{size}/{name}", auth=None, media=())
def serve(req: Request) -> Response:
    m = re.match(r"^([0-9a-f]{40})\.(jpg|png|webp)$", req.params["name"])
    row = db.one("SELECT content_type, data FROM images WHERE hash = ?", (m[1],)) if m else None
    if row is None:
        return Response(404, b"Not found", "text/plain")
    return Response(200, bytes(row["data"]), row["content_type"], {"Cache-Control": "public, max-age=86400"})
