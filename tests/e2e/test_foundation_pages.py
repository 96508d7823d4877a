import pytest
from django.core.management import call_command

pytestmark = pytest.mark.e2e


@pytest.fixture
def loaded(transactional_db):
    import io

    call_command("bootstrap", stdout=io.StringIO())


def test_home_and_directory_pages(page, live_server, loaded, shoot):
    page.goto(live_server.url + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Сообщите о проблеме в городе"
    assert page.get_by_role("heading", name="Дороги и транспорт").is_visible()
    shoot("portal-home")
    page.get_by_role("link", name="Организации").first.click()
    page.wait_for_url("**/organizations/")
    assert page.get_by_role("heading", name="МП «Горэлектросеть»").is_visible()
    shoot("portal-organizations")


def test_skip_link_is_first_tab_stop(page, live_server, loaded):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Перейти к содержанию"
