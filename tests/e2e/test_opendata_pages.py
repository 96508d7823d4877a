"""The open-data page and the cabinet's applications page in a real browser (issue 16): readable on a
phone without sideways scrolling, the column documentation opens from the keyboard, the consent toggles."""

from pathlib import Path

import pytest
from django.test import Client

from accounts import services as accounts_services
from accounts.models import ApiClient
from api import opendata as writer
from messages import services
from tests.factories import registered

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/shots/o16")
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


def _shots(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        if label == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.fixture
def opendata_files(transactional_db, settings, tmp_path, citizen, moderator, executor, category):
    settings.OPENDATA_ROOT = tmp_path / "opendata"
    for _ in range(3):
        message = registered(citizen, category, moderator)
    services.message_answer(message=message, actor=executor, kind="solved", text="Заделано.")
    from django.utils import timezone

    from stats.services import refresh_rollups

    refresh_rollups()
    writer.write_day(timezone.localdate())


def test_opendata_page(page, live_server, opendata_files):
    page.goto(live_server.url + "/opendata/")
    assert page.get_by_role("heading", level=1).inner_text() == "Открытые данные"
    table = page.get_by_role("table", name="Файлы набора «Опубликованные сообщения» по дням")
    assert table.get_by_role("cell", name="3", exact=True).is_visible()
    summary = page.get_by_text("Столбцы (25)")
    summary.focus()
    page.keyboard.press("Enter")
    assert page.get_by_text("номер сообщения (service_request_id в Open311)").is_visible()
    _shots(page, "opendata")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV за").first.click()
    assert download.value.suggested_filename.endswith(".csv")


def test_cabinet_applications_page(page, live_server, citizen):
    from tests.api.conftest import verify

    verify(citizen)
    client = ApiClient(name="Региональный портал «Наш город»", description="Сообщения жителей области.")
    accounts_services.api_client_issue_key(client=client)
    browser = Client()
    browser.force_login(citizen)
    page.context.add_cookies(
        [{"name": "sessionid", "value": browser.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(live_server.url + "/cabinet/apps/")
    page.get_by_role("button", name="Разрешить отправлять сообщения от моего имени").click()
    assert page.get_by_text("может отправлять сообщения от вашего имени").is_visible()
    _shots(page, "cabinet-apps")
    page.get_by_role("button", name="Отозвать разрешение").click()
    assert page.get_by_text("Разрешение приложению «Региональный портал «Наш город»» отозвано.").is_visible()
