"""Issue 18.5: the staff statistics are one click away from every back-office page (the staff layout's menu)."""

import pytest
from django.urls import reverse

from tests.factories import registered, submit

pytestmark = pytest.mark.django_db

PAGES = [
    "office:home",
    "office:moderation_queue",
    "office:answer_queue",
    "office:reassign_requests",
    "office:remarks_queue",
    "office:organization",
    "office:faq",
    "office:proposals",
    "stats:staff",
    "stats:control",
]


@pytest.mark.parametrize("person", ["moderator", "supervisor"])
def test_every_back_office_page_links_the_staff_statistics(client, request, person, citizen, category):
    official = request.getfixturevalue(person)
    moderator = request.getfixturevalue("moderator")
    fresh = submit(citizen, category)
    routed = registered(citizen, category, moderator)
    client.force_login(official)
    urls = [reverse(name) for name in PAGES]
    urls.append(reverse("stats:staff_drilldown") + "?metric=overdue")
    urls += [reverse("office:review", kwargs={"number": m.number}) for m in (fresh, routed)]
    link = f'href="{reverse("stats:staff")}"'
    for url in urls:
        response = client.get(url)
        if response.status_code == 403:
            continue  # not this role's page
        assert response.status_code == 200, url
        assert "staff/base.html" in [t.name for t in response.templates], url
        assert response.content.decode().count(link) == 1, url
