"""Issue 18.1: accessibility proven by axe-core (WCAG 2.0/2.1 A and AA) on every page, at phone and
desktop size, as the person who uses it, with the error states shown; and the keyboard.

The pages are tests/e2e/pages.py VISITS (tests/test_axe_coverage.py keeps that list complete). One browser
context per person, one live server; each page is loaded once and checked at both sizes.
"""

import json
import os
import time

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from directory.models import FaqEntry, RejectionReason
from messages import services
from messages.models import Notification
from tests.e2e.pages import ADMINISTRATOR, CITIZEN, EXECUTOR, GUEST, MODERATOR, SUPERVISOR, VISITS
from tests.e2e.test_backoffice import login_as
from tests.factories import UserFactory, answered, processed_photos, registered, submit

pytestmark = pytest.mark.e2e

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


@pytest.fixture
def scene(world, citizen, other_citizen, moderator, executor, supervisor, admin_user):
    potholes = world["potholes"]
    RejectionReason.objects.filter(code="obscene").update(
        citizen_text="В сообщении есть нецензурные выражения."
    )
    submitted = submit(citizen, potholes, text="Яма у школы № 3, глубокая", photos=processed_photos(1))
    at_adm = registered(citizen, potholes, moderator, text="Яма на перекрёстке пр. Мира и ул. Ленина")
    done = answered(citizen, potholes, moderator, executor, text="Не горит фонарь у дома 7")
    closed = answered(citizen, potholes, moderator, executor, text="Провал асфальта у остановки")
    services.message_rate(message=closed, actor=citizen, positive=True)
    reworked = answered(citizen, potholes, moderator, executor, text="Лужа во дворе")
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
                if result.violations_count:
                    failures.append(
                        f"{visit.label} at {size_name} ({page.url}):\n{_report(result.response['violations'])}"
                    )
        context.close()
    print(
        f"axe: {checked} page views ({len(VISITS)} visits × {len(SIZES)} sizes) in {time.monotonic() - started:.0f} s"
    )
    assert not failures, f"{len(failures)} of {checked} page views fail:\n" + "\n".join(failures)
