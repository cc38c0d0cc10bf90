"""POST /sale/images: binary and by URL, served back by the emulator."""

import io

import pytest
from PIL import Image

from tests.integration.conftest import PUBLIC


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def api(emulator):
    return emulator.api(emulator.user_token()["access_token"])


def test_binary_upload_round_trip(emulator, api):
    data = _jpeg()
    resp = api.post(emulator.url("/sale/images"), data=data, headers={"Content-Type": "image/jpeg"})
    assert resp.status_code == 201
    body = resp.json()
    assert body["location"].startswith(emulator.base_url + "/img/original/") and body["expiresAt"]
    served = emulator.http.get(body["location"], timeout=5)
    assert served.status_code == 200 and served.content == data and served.headers["Content-Type"] == "image/jpeg"


def test_upload_by_url_gives_a_hosted_copy(emulator, api):
    resp = api.post(
        emulator.url("/sale/images"), json={"url": "https://cdn.example.pl/p/1.jpg"}, headers={"Content-Type": PUBLIC}
    )
    assert resp.status_code == 201
    served = emulator.http.get(resp.json()["location"], timeout=5)
    assert served.status_code == 200 and served.content[:3] == b"\xff\xd8\xff"
    ip = api.post(emulator.url("/sale/images"), json={"url": "http://10.1.2.3/a.jpg"}, headers={"Content-Type": PUBLIC})
    assert ip.status_code == 422


def test_wrong_type_too_big_and_not_an_image(emulator, api):
    gif = api.post(emulator.url("/sale/images"), data=b"GIF89a", headers={"Content-Type": "image/gif"})
    assert gif.status_code == 415
    garbage = api.post(emulator.url("/sale/images"), data=b"not an image", headers={"Content-Type": "image/png"})
    assert garbage.status_code == 422
    emulator.set_settings(image_max_bytes=100)
    big = api.post(emulator.url("/sale/images"), data=_jpeg(), headers={"Content-Type": "image/jpeg"})
    assert big.status_code == 413
