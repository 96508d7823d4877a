"""Browser tests: pytest-playwright driving Debian's Chromium against Django's live_server.

Playwright cannot download its own browsers here, so the launch points at /usr/bin/chromium (or
CHROMIUM_PATH). Without a browser the tests skip with that reason — except under CI, where a missing
browser is a failure, so a broken install can never pass as "skipped".
"""

import os
import shutil
from pathlib import Path

import pytest

# live_server runs Django in a thread while Playwright's sync API owns an event loop in this one.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(
            f"CI is set but Chromium was not found at {CHROMIUM}: browser tests cannot run."
        )
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (set CHROMIUM_PATH)")
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture
def shoot(page):
    """shoot("portal-home") saves the current page at phone and desktop width under test-artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def _shoot(name):
        original = page.viewport_size
        for label, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
        if original:
            page.set_viewport_size(original)

    return _shoot


@pytest.fixture
def login(page, live_server):
    """Log a user in through the real allauth form."""

    def _login(email, password="secret-pass-123"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Адрес электронной почты").fill(email)
        page.get_by_label("Пароль").fill(password)
        page.get_by_role("button", name="Войти").click()
        page.wait_for_load_state()

    return _login
