"""«Следить за сообщением» in a real browser (issue 15.5): follow from the message page, a public step
reaches the follower's mailbox (the file backend, through the real outbox), and the e-mail's link
unfollows without a login after a confirmation.

Screenshots at phone (390×844) and desktop (1366×900) width go to SHOTS_DIR (default
test-artifacts/screenshots): the message page with the button, the cabinet's «Вы следите», the
unfollow confirmation and its result.
"""

import io
import os
import re
from email import message_from_string
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.core.management import call_command

from directory import routing
from directory.models import Category
from messages import services
from messages.models import MessageFollow
from messages.tasks import deliver_outbox
from tests.factories import UserFactory, registered

pytestmark = pytest.mark.e2e
PASSWORD = "secret-pass-123"
SHOTS = Path(
    os.environ.get("SHOTS_DIR") or Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
)
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


def _shots(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)


def _citizen(email, **extra):
    user = UserFactory(email=email, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def loaded(transactional_db):
    call_command("bootstrap", stdout=io.StringIO())
    cache.clear()
    yield
    cache.clear()


def test_follow_from_the_page_get_the_step_by_email_and_unfollow_by_its_link(
    page, browser, live_server, loaded, settings, tmp_path, login
):
    mail_dir = tmp_path / "mail"
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    settings.SITE_URL = live_server.url
    potholes = Category.objects.get(name="Ямы на дорогах")
    moderator = routing.category_moderators(potholes).select_related("user").first().user
    executor = routing.category_answerers(potholes, potholes.responsible_organization)
    executor = executor.filter(role="executor").select_related("user").first().user
    author = _citizen("author@example.ru", full_name="Анна Автор", show_name_publicly=True)
    follower = _citizen("follower@example.ru", full_name="Фёдор Следящий")
    message = registered(author, potholes, moderator, text="Глубокая яма у остановки «Школа № 2»")
    yard = registered(author, potholes, moderator, text="Провал асфальта во дворе дома 7")
    services.message_follow(message=yard, user=follower)

    login(follower.email, PASSWORD)
    page.goto(f"{live_server.url}/m/{message.number}/")
    follow_box = page.locator("#follow")
    assert follow_box.get_by_role("heading", name="Следить за сообщением").is_visible()
    _shots(page, "follow-message-page")
    follow_box.get_by_role("button", name="Следить").click()
    page.wait_for_url(f"**/m/{message.number}/#follow")
    assert "Вы следите за сообщением" in page.locator(".messages, [role=status], main").first.inner_text()
    assert page.locator("#follow").get_by_text("Вы следите").is_visible()
    assert page.locator("#follow").get_by_role("button", name="Не следить").is_visible()
    _shots(page, "follow-message-page-following")
    assert MessageFollow.objects.filter(message=message, user=follower).exists()

    page.goto(f"{live_server.url}/cabinet/")
    section = page.locator("#following + ul")
    assert section.get_by_role("link", name=f"№ {message.number}").is_visible()
    _shots(page, "follow-cabinet")

    # A public step: the organisation answers (the back-office's service), the outbox mails it.
    services.message_answer(message=message, actor=executor, kind="solved", text="Яма заделана асфальтом.")
    deliver_outbox()
    mails = "".join(p.read_text() for p in sorted(mail_dir.iterdir()))
    to_follower = [m for m in mails.split("-" * 79) if "To: follower@example.ru" in m]
    assert len(to_follower) == 1
    email_text = to_follower[0]
    subject = str(make_header(decode_header(message_from_string(email_text.strip())["Subject"])))
    assert subject == f"Вы следите: дан ответ на сообщение № {message.number}"
    assert "Яма заделана асфальтом." in email_text
    assert "Анна" not in email_text and "author@example.ru" not in email_text
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in email_text
    link = re.search(r"Перестать следить \(одно нажатие, входить на портал не нужно\): (\S+)", email_text)
    assert link, email_text
    unfollow_url = link.group(1)
    assert unfollow_url.startswith(f"{live_server.url}/unfollow/")

    # The link opens without a login (another browser, no session) and asks first.
    context = browser.new_context()
    try:
        guest = context.new_page()
        guest.goto(unfollow_url)
        assert guest.get_by_role("heading", level=1).inner_text() == "Перестать следить за сообщением?"
        assert MessageFollow.objects.filter(message=message, user=follower).exists()
        _shots(guest, "follow-unfollow-confirm")
        guest.get_by_role("button", name="Не следить за сообщением").click()
        guest.wait_for_load_state()
        assert guest.get_by_role("heading", level=1).inner_text() == "Вы больше не следите за сообщением"
        _shots(guest, "follow-unfollow-done")
        assert not MessageFollow.objects.filter(message=message, user=follower).exists()

        # A damaged link: a clear page, not an error.
        guest.goto(unfollow_url[:-6] + "xxxxx/")
        assert guest.get_by_role("heading", level=1).inner_text() == "Ссылка для отписки не работает"
        _shots(guest, "follow-unfollow-broken")
    finally:
        context.close()

    page.goto(f"{live_server.url}/m/{message.number}/")
    assert page.locator("#follow").get_by_role("button", name="Следить").is_visible()
