"""The accessibility check cannot forget a page (issue 18.1): every URL the resolver knows is either visited by
the axe test (tests/e2e/pages.py VISITS) or named in NOT_PAGES with the reason. The admin's generated model
pages count by their changelist: every registered model's changelist is visited."""

import re

from django.contrib import admin

from tests.e2e.pages import ADMIN_CHANGELISTS, NOT_PAGES, VISITS, admin_changelist
from tests.test_permission_matrix import iter_url_patterns

_ADMIN_MODEL_PAGE = re.compile(r"^admin:\w+_(add|change|delete|history)$")


def _static_serve(pattern):
    return getattr(pattern.callback, "__module__", "") == "django.views.static"


def pages_needing_a_visit():
    needed = set()
    for name, pattern, namespace in iter_url_patterns():
        if _static_serve(pattern) or (namespace == "admin" and name is None):
            continue  # media in DEBUG; the admin's unnamed redirects and catch-all
        if _ADMIN_MODEL_PAGE.match(name or ""):
            continue  # one changelist per model is asked below; its forms are visited for the main models
        needed.add(name or f"<unnamed {pattern.pattern}>")
    return needed


def test_every_page_is_visited_by_the_axe_test():
    visited = {visit.name for visit in VISITS}
    missing = sorted(pages_needing_a_visit() - visited - set(NOT_PAGES))
    assert not missing, (
        "Pages the accessibility test does not visit: add a line to VISITS in tests/e2e/pages.py "
        "(or to NOT_PAGES with the reason):\n" + "\n".join(missing)
    )


def test_every_registered_admin_model_has_its_changelist_visited():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == set(ADMIN_CHANGELISTS), (
        "ADMIN_CHANGELISTS in tests/e2e/pages.py differs from the registered admin models: "
        f"missing {sorted(registered - set(ADMIN_CHANGELISTS))}, gone {sorted(set(ADMIN_CHANGELISTS) - registered)}"
    )
    names = {name for name, _, _ in iter_url_patterns()}
    assert {admin_changelist(label) for label in ADMIN_CHANGELISTS} <= names


def test_no_stale_entries():
    names = {name for name, _, _ in iter_url_patterns()}
    assert not sorted({v.name for v in VISITS if v.name} - names)
    assert not sorted(set(NOT_PAGES) - names)
    assert not set(NOT_PAGES) & {v.name for v in VISITS}
