"""Issue 18.1: accessibility proven by axe-core (WCAG 2.0/2.1 A and AA) on every page, at phone and
desktop size, as the person who uses it, with the error states shown; and the keyboard.

The pages are tests/e2e/pages.py VISITS (tests/test_axe_coverage.py keeps that list complete). One browser
context per person, one live server; each page is loaded once and checked at both sizes.
"""

import json
import os
import re
import time
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import ApiClient, ApiClientConsent
from api import opendata
from directory.models import FaqEntry, RejectionReason
from messages import services
from messages.models import Notification
from messages.unfollow import unfollow_token
from stats.services import refresh_rollups
from tests.e2e.pages import ADMINISTRATOR, CITIZEN, EXECUTOR, GUEST, MODERATOR, SUPERVISOR, VISITS
from tests.e2e.test_backoffice import login_as
from tests.factories import UserFactory, answered, processed_photos, registered, submit

pytestmark = pytest.mark.e2e

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def near_centre(metres_north, metres_east):
    """A point of the city (settings.MAP_CENTER) so many metres from its centre: the map's markers."""
    return {
        "latitude": Decimal("53.198500") + Decimal(metres_north) / Decimal(111195),
        "longitude": Decimal("45.170000") + Decimal(metres_east) / Decimal(66600),
    }


@pytest.fixture
def scene(
    world,
    citizen,
    other_citizen,
    moderator,
    executor,
    supervisor,
    admin_user,
    settings,
    tmp_path,
    live_server,
):
    # The maps' tiles: one blank local tile, no network (as tests/e2e/test_map.py).
    settings.MAP_TILE_URL = f"{live_server.url}/static/img/blank-tile.png?{{z}}/{{x}}/{{y}}"
    settings.OPENDATA_ROOT = tmp_path / "opendata"
    potholes = world["potholes"]
    RejectionReason.objects.filter(code="obscene").update(
        citizen_text="В сообщении есть нецензурные выражения."
    )
    submitted = submit(citizen, potholes, text="Яма у школы № 3, глубокая", photos=processed_photos(1))
    # The public messages have a point: the map shows one marker of each state (two close together, a
    # cluster at the city's zoom) and their pages show the small map.
    at_adm = registered(
        citizen, potholes, moderator, text="Яма на перекрёстке пр. Мира и ул. Ленина", **near_centre(0, 0)
    )
    # The answer of this one has two photos: their viewer page (issue 18.4).
    done = registered(citizen, potholes, moderator, text="Не горит фонарь у дома 7", **near_centre(8, 8))
    services.message_answer(
        message=done, actor=executor, kind="solved", text="Фонарь заменён.", attachments=processed_photos(2)
    )
    closed = answered(
        citizen, potholes, moderator, executor, text="Провал асфальта у остановки", **near_centre(-1500, 900)
    )
    services.message_rate(message=closed, actor=citizen, positive=True)
    reworked = answered(
        citizen, potholes, moderator, executor, text="Лужа во дворе", **near_centre(1200, -2000)
    )
    services.message_rate(message=reworked, actor=citizen, positive=False, remarks="Лужа осталась.")
    rejected = submit(citizen, potholes, text="Плохо всё")
    services.message_reject(
        message=rejected, actor=moderator, reasons=list(RejectionReason.objects.filter(code="obscene"))
    )
    asked = registered(citizen, potholes, moderator, text="Яма у рынка")
    services.message_request_reassign(message=asked, actor=executor, comment="Рынок обслуживает КБУ.")
    faq = FaqEntry.objects.create(
        category=potholes, question="Когда заделают яму?", answer="В течение месяца.", order=1
    )
    stranger = UserFactory(email="new@example.ru")
    address = EmailAddress.objects.create(user=stranger, email=stranger.email, verified=False, primary=True)
    # Another person's message the citizen follows (the cabinet's «Вы следите», the message page's
    # «Не следить»), and the e-mails' unfollow links: one to confirm, one a third follower sends.
    followed = registered(
        other_citizen, potholes, moderator, text="Сломана скамейка в сквере", **near_centre(-600, -400)
    )
    services.message_follow(message=followed, user=citizen)
    neighbour = UserFactory(email="neighbour@example.ru")
    services.message_follow(message=followed, user=neighbour)
    # The cabinet's applications: one the citizen allowed, one not yet; their admin pages.
    allowed = ApiClient(name="Региональный портал «Наш город»", description="Сообщения жителей области.")
    accounts_services.api_client_issue_key(client=allowed)
    accounts_services.api_consent_give(user=citizen, client=allowed, ip_address="192.0.2.1")
    accounts_services.api_client_issue_key(client=ApiClient(name="Мобильное приложение «Заречный»"))
    # The open data: the files of today.
    refresh_rollups()
    opendata.write_day(timezone.localdate())
    return {
        "submitted": submitted,
        "registered": at_adm,
        "answered": done,
        "closed": closed,
        "rejected": rejected,
        "faq": faq,
        "topic": potholes.topic,
        "category": potholes,
        "organization": world["administration"],
        "official": executor.official,
        "citizen": citizen,
        "notification": Notification.objects.first(),
        "confirmation_key": EmailConfirmationHMAC(address).key,
        "followed": followed,
        "unfollow_token": unfollow_token(user_id=citizen.pk, message_id=followed.pk),
        "unfollow_token_neighbour": unfollow_token(user_id=neighbour.pk, message_id=followed.pk),
        "api_client": allowed,
        "api_consent": ApiClientConsent.objects.get(client=allowed),
        "people": {
            GUEST: None,
            CITIZEN: citizen,
            MODERATOR: moderator,
            EXECUTOR: executor,
            SUPERVISOR: supervisor,
            ADMINISTRATOR: admin_user,
        },
    }


def _url(visit, scene, base):
    if visit.path:
        return base + visit.path
    url = reverse(visit.name, kwargs=visit.kwargs(scene) if visit.kwargs else None)
    query = visit.query.format(**{k: v.number for k, v in scene.items() if hasattr(v, "number")})
    return base + url + query


def _report(violations):
    lines = []
    for violation in violations:
        lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(
                f"      {', '.join(map(str, node['target']))}: {node['failureSummary'].splitlines()[-1]}"
            )
    return "\n".join(lines)


def test_axe_finds_nothing_on_every_page(browser, live_server, scene):
    axe = Axe()
    failures, checked = [], 0
    started = time.monotonic()
    by_person = {}
    only = os.environ.get("AXE_ONLY", "")  # a developer's shortcut: only the visits whose label holds this
    shots = os.environ.get("AXE_SHOTS", "")  # …and a folder for a screenshot of each page view checked
    for visit in VISITS:
        if only not in visit.label:
            continue
        by_person.setdefault(visit.person, []).append(visit)
    for person, visits in by_person.items():
        context = browser.new_context(viewport=SIZES["desktop"])
        page = context.new_page()
        page.set_default_timeout(5000)
        if scene["people"][person] is not None:
            login_as(page, live_server, scene["people"][person])
        for visit in visits:
            page.set_viewport_size(SIZES["desktop"])
            response = page.goto(_url(visit, scene, live_server.url))
            if response.status != visit.status:
                failures.append(f"{visit.label}: HTTP {response.status}, expected {visit.status}")
                continue
            if visit.act:
                try:
                    visit.act(page)
                except Exception as error:  # one broken step must not hide the other pages' results
                    failures.append(f"{visit.label}: could not reach the state: {error}")
                    continue
            # axe-playwright-python injects its 500 kB script on every run: inject it once per page instead.
            page.evaluate(axe.axe_script)
            for size_name, size in SIZES.items():
                page.set_viewport_size(size)
                result = AxeResults(page.evaluate(f"axe.run(document, {json.dumps(AXE_OPTIONS)})"))
                checked += 1
                if shots:
                    os.makedirs(shots, exist_ok=True)
                    name = re.sub(r"[^\w-]+", "_", f"{VISITS.index(visit):03}-{visit.label}-{size_name}")
                    page.screenshot(path=os.path.join(shots, f"{name}.png"), full_page=True)
                if result.violations_count:
                    failures.append(
                        f"{visit.label} at {size_name} ({page.url}):\n{_report(result.response['violations'])}"
                    )
        context.close()
    print(
        f"axe: {checked} page views ({len(VISITS)} visits × {len(SIZES)} sizes) in {time.monotonic() - started:.0f} s"
    )
    assert not failures, f"{len(failures)} of {checked} page views fail:\n" + "\n".join(failures)
