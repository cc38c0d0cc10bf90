"""The limiter other areas call (`ratelimit.check_seller`), exercised in-process."""

import pytest

from allegro_emulator import app, clock, ratelimit, state
from allegro_emulator.errors import ApiError


@pytest.fixture
def limiter(tmp_path):
    app.init(str(tmp_path / "state.sqlite3"))
    ratelimit.reset()
    state.update({"rate_limits": {"seller_offer_writes_per_minute": 2, "seller_offer_reads_per_minute": 3}})
    yield ratelimit
    ratelimit.reset()


def test_seller_limits_are_per_seller_and_per_kind_and_slide_with_the_clock(limiter):
    limiter.check_seller("1", "seller_offer_writes_per_minute")
    limiter.check_seller("1", "seller_offer_writes_per_minute")
    with pytest.raises(ApiError) as exc:
        limiter.check_seller("1", "seller_offer_writes_per_minute")
    assert exc.value.status == 429
    limiter.check_seller("2", "seller_offer_writes_per_minute")  # another seller has its own window
    limiter.check_seller("1", "seller_offer_reads_per_minute")  # reads are counted apart from writes
    clock.advance(61)
    limiter.check_seller("1", "seller_offer_writes_per_minute")
