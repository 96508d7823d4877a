"""Issue 12.1: the domain core stays apart from its faces.

The layers: accounts, directory → messages → portal, moderation, stats, api (the faces), with "site" (the
neutral layouts: templates/base.html, templates/staff/, templates/errors/, the error pages) beside the faces.
Nothing reaches a higher layer: no Python import, no template or template tag library, no URL name
(`reverse`, `redirect`, `{% url %}`) and no hard-coded path of a page a higher layer serves. A face does not
import another face's Python; the neutral layouts use no face's template or tags.

Templates belong to a layer by their folder (tools/import_graph.py, TEMPLATE_OWNERS):
  portal/, account/, mfa/ → portal (allauth's pages are presented in the portal's layout)
  backoffice/ → moderation · stats/ → stats · api/ → api · emails/ → messages · admin/ → directory
  base.html, staff/, errors/, 4xx/5xx.html → site
The checker (tools/import_graph.py) also prints the app → app graph: `.venv/bin/python tools/import_graph.py`.
"""

from tools import import_graph


def test_no_module_template_or_url_reaches_upward():
    found = import_graph.references()
    assert found, "the checker saw no cross-app reference at all: it is reading the wrong tree"
    assert import_graph.violations(found) == []


def test_every_template_folder_has_a_layer():
    templates = import_graph.ROOT / "templates"
    unmapped = [
        path.relative_to(templates).as_posix()
        for path in templates.rglob("*")
        if path.is_file() and import_graph.template_owner(path.relative_to(templates).as_posix()) is None
    ]
    assert unmapped == []


def test_the_url_data_comes_from_the_live_urlconf():
    """The checker knows who serves what from the URLconf itself, so a moved page moves its owner with it."""
    names, prefixes = import_graph.url_map()
    assert names["portal:cabinet"] == "portal"
    assert names["portal:message"] == "portal"
    assert names["home"] == "portal"
    assert names["office:home"] == "moderation"
    assert names["stats:public"] == "stats"
    assert import_graph.path_owner("/office/m/2026-000001/", prefixes) == "moderation"
    assert import_graph.path_owner("/m/2026-000001/", prefixes) == "portal"


# The checker itself, on a synthetic tree with one offender of each kind.

NAMES = {
    "portal:cabinet": "portal",
    "home": "portal",
    "office:home": "moderation",
    "office:review": "moderation",
}
PREFIXES = [("/m/", "portal"), ("/office/", "moderation")]


def _tree(tmp_path, files):
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (tmp_path / "templates").mkdir(exist_ok=True)
    return tmp_path


def _violations(root):
    found = import_graph.references(root, names=NAMES, prefixes=PREFIXES)
    return sorted(
        (where, kind, detail, why) for _, _, kind, where, detail, why in import_graph.violations(found)
    )


def test_the_checker_catches_each_kind_of_upward_reference(tmp_path):
    root = _tree(
        tmp_path,
        {
            "portal/templatetags/portal.py": "",
            "portal/views.py": "from messages import services\n",
            "messages/tasks.py": "from portal.views import submit\n",
            "messages/notifications.py": (
                "from django.urls import reverse\n"
                "def link(view, number):\n"
                "    return reverse(f'office:{view}', args=[number]), f'/m/{number}/'\n"
            ),
            "accounts/adapter.py": (
                "from django.shortcuts import redirect\n"
                "def land(official):\n"
                "    return '/office/' if official else redirect('portal:cabinet')\n"
            ),
            "directory/views.py": "def home(request):\n    return render(request, 'portal/home.html')\n",
            "moderation/views.py": "import stats.facts\n",
            "templates/portal/base.html": "{% load portal %}",
            "templates/portal/home.html": '{% extends "portal/base.html" %}',
            "templates/emails/base.html": (
                '{% extends "portal/base.html" %}{% load portal %}{% include "backoffice/_x.html" %}'
                '<a href="{% url \'office:review\' n %}">x</a> <a href="/m/{{ n }}/">y</a>'
            ),
            "templates/backoffice/_x.html": "",
            "templates/staff/base.html": '{% load portal %}{% include "portal/base.html" %}',
        },
    )
    assert _violations(root) == [
        ("accounts/adapter.py", "url", "/office/", "upward"),
        ("accounts/adapter.py", "url", "portal:cabinet", "upward"),
        ("directory/views.py", "template", "portal/home.html", "upward"),
        ("messages/notifications.py", "url", "/m/", "upward"),
        ("messages/notifications.py", "url", "office:…", "upward"),
        ("messages/tasks.py", "import", "portal.views", "upward"),
        ("moderation/views.py", "import", "stats.facts", "one face imports another"),
        ("templates/emails/base.html", "tag", "portal", "upward"),
        ("templates/emails/base.html", "template", "backoffice/_x.html", "upward"),
        ("templates/emails/base.html", "template", "portal/base.html", "upward"),
        ("templates/emails/base.html", "url", "/m/", "upward"),
        ("templates/emails/base.html", "url", "office:review", "upward"),
        ("templates/staff/base.html", "tag", "portal", "a neutral layout uses a face's template or tags"),
        (
            "templates/staff/base.html",
            "template",
            "portal/base.html",
            "a neutral layout uses a face's template or tags",
        ),
    ]


def test_the_checker_allows_downward_and_sibling_links(tmp_path):
    root = _tree(
        tmp_path,
        {
            "portal/templatetags/portal.py": "",
            "portal/views.py": "from messages import services\nfrom directory.models import Topic\n",
            "moderation/views.py": "from django.shortcuts import redirect\nx = redirect('portal:cabinet')\n",
            "messages/services.py": "from directory.models import Category\nfrom accounts.models import User\n",
            "templates/portal/base.html": '{% extends "base.html" %}{% load portal %}',
            "templates/base.html": "",
            "templates/stats/public.html": '{% extends "portal/base.html" %}',
            "templates/staff/base.html": "<a href=\"{% url 'office:home' %}\">x</a>",
        },
    )
    assert _violations(root) == []


def test_an_unmapped_template_folder_is_reported(tmp_path):
    root = _tree(
        tmp_path, {"templates/nowhere/page.html": '{% extends "base.html" %}', "templates/base.html": ""}
    )
    assert _violations(root) == [
        (
            "templates/nowhere/page.html",
            "template",
            "base.html",
            "template in a folder with no layer (tools/import_graph.py TEMPLATE_OWNERS)",
        )
    ]
