"""Browser tests: Playwright (Python) driving Debian's Chromium against Django's live server.

Skipped with a clear reason when Chromium is missing locally; .ci/run installs it, so in CI
they always run.
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# itself (fixtures, assertions) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("SELLY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run should have installed it")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh page; the test fails if any page it visits breaks the Content Security Policy
    (an inline script, a foreign resource) or throws an uncaught JavaScript error.

    Tests marked ``xss_probe`` feed malicious markup on purpose: for them the browser blocking an
    inline event handler is the expected outcome (the CSP doing its job), not a failure."""
    context = browser.new_context(locale="pl-PL", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            "Content Security Policy" in msg.text and problems.append(f"{msg.text} at {page.url} {msg.location}")
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))
    yield page
    context.close()
    if request.node.get_closest_marker("xss_probe"):
        problems = [p for p in problems if "inline event handler" not in p]
    assert not problems, "\n".join(problems)


@pytest.fixture
def screenshot(page):
    """``screenshot("name")`` saves tests/browser/screenshots/name.png (used by the README and the guide)."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def admin_login(page, live_server, django_user_model):
    """Log a superuser into the panel through the real login form; returns the live server URL."""

    def login(username: str = "admin", password: str = "admin-haslo-123") -> str:
        # No worker runs in the browser tests: a heartbeat an hour ahead keeps the "background tasks do not
        # run" banner out of the pages and screenshots, also in a test that lasts minutes.
        from datetime import timedelta

        from django.utils import timezone

        from allegro.core.models import WorkerHeartbeat

        WorkerHeartbeat.objects.update_or_create(
            name="worker", defaults={"seen_at": timezone.now() + timedelta(hours=1)}
        )
        from django.core.cache import cache

        from allegro.core.context_processors import CACHE_KEY

        cache.delete(CACHE_KEY)  # what an earlier test left there
        if not django_user_model.objects.filter(username=username).exists():
            django_user_model.objects.create_superuser(username, f"{username}@example.com", password)
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")
        return live_server.url

    return login
