"""The permission matrix: every URL of the platform × every kind of person → the expected HTTP status.

The URL list comes from the resolver, not from this file: a new named URL without a row here fails
`test_every_url_has_a_row`. Two families are skipped by a rule — the Django admin's generated model pages
(a representative set is tested explicitly below) and allauth's own account pages — everything else
needs a row. `test_matrix_catches_an_unscoped_view` shows the matrix is not a rubber stamp: the same
review page without scoping fails it.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse

from messages import services
from messages.services.transactions import services_in_one_transaction
from tests.factories import processed_documents, processed_photos, registered, submit

ROLES = (
    "anonymous",
    "citizen",
    "other_citizen",
    "moderator",
    "other_category_moderator",
    "executor",
    "other_org_executor",
    "supervisor",
    "admin_user",
)
STAFF = (
    "moderator",
    "other_category_moderator",
    "executor",
    "other_org_executor",
    "supervisor",
    "admin_user",
)
OFFICIALS = STAFF
LOGIN = 302  # anonymous people are sent to the login page


def statuses(default, **overrides):
    unknown = set(overrides) - set(ROLES)
    assert not unknown, unknown
    return {role: overrides.get(role, default) for role in ROLES}


def office(default=200, **overrides):
    """A back-office page: login for guests, 403 for citizens, `default` for officials unless overridden."""
    return statuses(default, **{"anonymous": LOGIN, "citizen": 403, "other_citizen": 403, **overrides})


def admin_page(**overrides):
    """An admin page: the admin's login for everyone but the administrator."""
    return statuses(302, **{"admin_user": 200, **overrides})


def everyone(status=200, **overrides):
    return statuses(status, **overrides)


@dataclass
class Row:
    name: str
    expect: dict
    kwargs: object = None  # a callable scene -> URL kwargs
    method: str = "get"
    data: dict = field(default_factory=dict)
    label: str = ""
    known_bug: str = ""  # a real hole the matrix found, owned by someone else: strict xfail until fixed

    def url(self, scene):
        return reverse(self.name, kwargs=self.kwargs(scene) if self.kwargs else None)


def signed_in(status=200, **overrides):
    """A page for any person with an account: guests go to the login page."""
    return statuses(status, **{"anonymous": LOGIN, **overrides})


# Who may open a message on moderation (or its photos): its author, its category's moderators and the
# supervisors; for everyone else it does not exist (§4.8).
PRIVATE_MESSAGE = statuses(404, citizen=200, moderator=200, supervisor=200)


def photo(key, name, expect, **kwargs):
    return Row(
        name,
        expect,
        kwargs=lambda scene: {"number": scene[key].number, "token": scene[key + "_photo"].token},
        label=key,
        **kwargs,
    )


def attachment(name, expect):
    return Row(
        name,
        expect,
        kwargs=lambda scene: {"number": scene["answered"].number, "token": scene["attachment"].token},
        label="answered",
    )


def on(key, name, expect, **kwargs):
    """A row for a page of one message of the scene."""
    return Row(name, expect, kwargs=lambda scene: {"number": scene[key].number}, label=key, **kwargs)


# --- the scene: one message in each interesting place ---------------------------------------------
#
# Built once for the module inside a transaction that is rolled back at the end; every test runs in a
# savepoint inside it (pytest-django's `db`), so rows cannot leak into each other or into other modules.
# The cast is the one of tests/conftest.py (same organisations, categories, roles and addresses).


@pytest.fixture(scope="module")
def _media_root(tmp_path_factory):
    """Overrides the per-test media folder of tests/conftest.py: the scene's photos live for the module."""
    root = tmp_path_factory.mktemp("matrix-media")
    with override_settings(
        MEDIA_ROOT=root / "media",
        STORAGES={
            **settings.STORAGES,
            "private": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(root / "private"), "base_url": "/files/"},
            },
        },
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        # Nine accounts and nobody logs in with a password here.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        yield


def _cast():
    from tests.factories import (
        CategoryFactory,
        OfficialFactory,
        OrganizationFactory,
        RejectionReasonFactory,
        TopicFactory,
        UserFactory,
    )

    adm = OrganizationFactory(key="adm", name="Администрация", short_name="Администрация")
    kbu = OrganizationFactory(key="kbu", name="МКУ «КБУ»", short_name="МКУ «КБУ»")
    roads = TopicFactory(key="roads", name="Дороги")
    potholes = CategoryFactory(
        key="potholes", name="Ямы на дорогах", topic=roads, responsible_organization=adm
    )
    potholes.participating_organizations.add(kbu)
    lighting = CategoryFactory(key="lighting", name="Освещение", topic=roads, responsible_organization=adm)
    RejectionReasonFactory(code="obscene", title="Нецензурная лексика")
    RejectionReasonFactory(code="duplicate", title="Дубликат", regulation_ref="§4.4")
    world = {"administration": adm, "kbu": kbu, "potholes": potholes, "lighting": lighting}

    def official(email, org, role, categories):
        user = UserFactory(email=email)
        OfficialFactory(user=user, organization=org, role=role, categories=categories)
        user.refresh_from_db()
        return user

    admin_user = official("admin@city.ru", adm, "administrator", [])
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    people = {
        "anonymous": None,
        "citizen": UserFactory(email="alice@example.ru", full_name="Алиса Иванова"),
        "other_citizen": UserFactory(email="bob@example.ru", full_name="Борис Петров"),
        "moderator": official("moderator@adm.ru", adm, "moderator", [potholes]),
        "other_category_moderator": official("lighting-mod@adm.ru", adm, "moderator", [lighting]),
        "executor": official("executor@adm.ru", adm, "executor", [potholes]),
        "other_org_executor": official("executor@kbu.ru", kbu, "executor", [potholes]),
        "supervisor": official("supervisor@city.ru", adm, "supervisor", []),
        "admin_user": admin_user,
    }
    return world, people


@pytest.fixture(scope="module")
def scene(_media_root, django_db_setup, django_db_blocker):
    from directory.models import FaqEntry, RejectionReason

    with django_db_blocker.unblock(), services_in_one_transaction():
        world, people = _cast()
        citizen, moderator, executor = people["citizen"], people["moderator"], people["executor"]
        potholes = world["potholes"]
        submitted = submit(citizen, potholes, photos=processed_photos(1))
        at_adm = registered(citizen, potholes, moderator)  # routed to the executor's organisation
        rejected = submit(citizen, potholes)
        services.message_reject(
            message=rejected, actor=moderator, reasons=list(RejectionReason.objects.filter(code="obscene"))
        )
        withdrawn = submit(citizen, potholes, photos=processed_photos(1))
        services.message_withdraw(message=withdrawn, actor=citizen)
        # Lighting at the Администрация has no executor: its moderator answers (issue 13.9).
        lighting = registered(citizen, world["lighting"], people["other_category_moderator"])
        done = registered(citizen, potholes, moderator)
        services.message_answer(
            message=done,
            actor=executor,
            kind="solved",
            text="Заделано.",
            attachments=processed_photos(1),
            documents=processed_documents(1),
        )
        # §7.2–7.3: a negative rating whose remarks wait for a moderator.
        rated = registered(citizen, potholes, moderator)
        services.message_answer(message=rated, actor=executor, kind="solved", text="Заделано.")
        services.message_rate(message=rated, actor=citizen, positive=False, remarks="Яма осталась.")
        faq = FaqEntry.objects.create(category=potholes, question="Когда заделают яму?", answer="…", order=1)
        # Issue 15.5: Борис follows the registered message (the unfollow link of his e-mails is below).
        services.message_follow(message=at_adm, user=people["other_citizen"])
        from messages.unfollow import unfollow_token

        yield {
            "unfollow_token": unfollow_token(user_id=people["other_citizen"].pk, message_id=at_adm.pk),
            "people": people,
            "faq": faq,
            "world": world,
            "submitted": submitted,
            "submitted_photo": submitted.photos.get(),
            "registered": at_adm,
            "rejected": rejected,
            "withdrawn": withdrawn,
            "lighting": lighting,
            "answered": done,
            "attachment": done.answers.get().attachments.get(),
            "document": done.answers.get().documents.get(),
            "rated": rated,
            "rating": rated.ratings.get(),
        }
        transaction.set_rollback(True)


# --- the rows ------------------------------------------------------------------------------------

ROWS = [
    # Health probes and the public pages.
    Row("healthz", everyone()),
    Row("readyz", everyone()),
    # Operators' metrics: only with METRICS_TOKEN or from METRICS_ALLOWED_IPS, never by a session.
    Row("metrics", everyone(404)),
    Row("favicon", everyone(301)),
    Row("home", everyone()),
    Row("organization_list", everyone()),
    Row("faq", everyone()),
    Row("rules", everyone()),
    # The citizen portal (§3, §4, §6.5, §7).
    Row("portal:message_list", everyone()),
    Row("portal:lookup", everyone()),
    # The public map (issue 15): public data only, the same for everyone.
    Row("portal:map", everyone()),
    Row("portal:map_geojson", everyone()),
    Row("portal:map_geojson", everyone(400), data={"bbox": "x"}, label="bad box"),
    Row("portal:nearby", everyone(), data={"category": "potholes", "lat": "53.2", "lon": "45.17"}),
    Row("portal:nearby", everyone(400), label="no point"),
    Row("portal:consent", everyone()),
    Row("portal:submit", signed_in()),
    on("submitted", "portal:submitted", signed_in(404, citizen=200)),
    # A guest is sent to log in (the author may be following an e-mail link), as for any number (§4.8).
    on("submitted", "portal:message", {**PRIVATE_MESSAGE, "anonymous": LOGIN}),
    on("registered", "portal:message", everyone()),
    photo("submitted", "portal:photo", PRIVATE_MESSAGE),
    photo("submitted", "portal:photo_thumb", PRIVATE_MESSAGE),
    photo("submitted", "portal:photo_view", PRIVATE_MESSAGE),
    attachment("portal:attachment", everyone()),
    attachment("portal:attachment_thumb", everyone()),
    attachment("portal:attachment_view", everyone()),
    # §6.3: a PDF of a public answer is public (and only ever a download, tests/portal/test_views_documents.py).
    Row(
        "portal:document",
        everyone(),
        kwargs=lambda scene: {"number": scene["answered"].number, "token": scene["document"].token},
        label="answered",
    ),
    # Supporting a public message: everyone is redirected back to it (the author with a refusal).
    on("registered", "portal:support", everyone(302), method="post"),
    # Following (issue 15.5): a signed-in person is sent back to the page (the author and staff with a
    # refusal); a message that is not public does not exist for it.
    on("registered", "portal:follow", everyone(302), method="post"),
    on("submitted", "portal:follow", signed_in(404), method="post"),
    # Unfollowing looks up only the person's own subscription: the same redirect whatever the number.
    on("registered", "portal:unfollow_message", everyone(302), method="post"),
    on("submitted", "portal:unfollow_message", everyone(302), method="post"),
    # The e-mail's unfollow link needs no login: its signed token is the credential; GET only asks.
    Row("portal:unfollow", everyone(), kwargs=lambda scene: {"token": scene["unfollow_token"]}),
    Row(
        "portal:unfollow", everyone(), kwargs=lambda scene: {"token": scene["unfollow_token"]}, method="post"
    ),
    Row("portal:unfollow", everyone(400), kwargs=lambda scene: {"token": "not-a-token"}, label="tampered"),
    Row(
        "portal:unfollow",
        everyone(400),
        kwargs=lambda scene: {"token": "not-a-token"},
        method="post",
        label="tampered",
    ),
    # Rating: the author only; an empty form is re-shown with its error.
    on("answered", "portal:rate", signed_in(403, citizen=200), method="post"),
    on("rejected", "portal:edit", signed_in(404, citizen=200)),
    # A withdrawn message (its author deleted the account before publication, 152-ФЗ): nobody opens it.
    on("withdrawn", "portal:message", statuses(404, anonymous=LOGIN)),
    on("withdrawn", "portal:submitted", signed_in(404)),
    on("withdrawn", "portal:edit", signed_in(404)),
    Row("portal:cabinet", signed_in()),
    Row("portal:notifications", signed_in()),
    Row("portal:profile", signed_in()),
    Row("portal:account_delete", signed_in()),
    # Statistics (§8.1): aggregates for everyone, the staff page and drill-down for officials.
    Row("stats:public", everyone()),
    Row("stats:public_csv", everyone(), kwargs=lambda s: {"table": "summary"}),
    Row("stats:staff", office()),
    Row("stats:staff_csv", office(), kwargs=lambda s: {"table": "summary"}),
    Row("stats:staff_drilldown", office(), data={"metric": "overdue"}),
    # The control view (§9, issue 13.6): moderators (their categories), the monitors and the platform's
    # controller (everything); executors and administrators are refused.
    Row("stats:control", office(executor=403, other_org_executor=403, admin_user=403)),
    Row(
        "stats:control_csv",
        office(executor=403, other_org_executor=403, admin_user=403),
        kwargs=lambda s: {"table": "officials"},
    ),
    # The back-office (§2.5, §5, §6): scope decided by messages.selectors.
    Row("office:home", office()),
    Row("office:moderation_queue", office()),
    Row("office:answer_queue", office()),
    Row("office:reassign_requests", office()),
    # §7.2–7.3: the remarks waiting for review, for those who moderate.
    Row(
        "office:remarks_queue",
        office(executor=403, other_org_executor=403, admin_user=403),
    ),
    # Reviewing remarks: the moderators of the message's category (400 = an empty form reached them).
    Row(
        "office:review_remarks",
        office(
            400,
            other_category_moderator=404,
            executor=403,
            other_org_executor=404,
            admin_user=404,
        ),
        kwargs=lambda scene: {"number": scene["rated"].number, "rating": scene["rating"].pk},
        method="post",
        data={},
        label="rated",
    ),
    Row(
        "office:overdue",
        office(
            moderator=403, other_category_moderator=403, executor=403, other_org_executor=403, admin_user=403
        ),
    ),
    # A submitted message: its category's moderators and the supervisors only (executors see it once routed).
    on(
        "submitted",
        "office:review",
        office(other_category_moderator=404, executor=404, other_org_executor=404, admin_user=404),
    ),
    # A registered message routed to Администрация: the moderators, that organisation's executor, supervisors.
    on(
        "registered",
        "office:review",
        office(other_category_moderator=404, other_org_executor=404, admin_user=404),
    ),
    # Actions are posted with invalid data so that the row never changes the scene: 400 = allowed through
    # to the form, 404 = outside the scope.
    on(
        "submitted",
        "office:register",
        office(
            200,
            other_category_moderator=404,
            executor=404,
            other_org_executor=404,
            admin_user=404,
            moderator=400,
            supervisor=400,
        ),
        method="post",
        data={"executing_organization": "999999"},
    ),
    on(
        "submitted",
        "office:reject",
        office(
            200,
            other_category_moderator=404,
            executor=404,
            other_org_executor=404,
            admin_user=404,
            moderator=400,
            supervisor=400,
        ),
        method="post",
        data={},
    ),
    # The confirmation of the one-click «дубликат» (§4.4): the review page's audience; its POST without a
    # number is re-shown with the error (400).
    on(
        "submitted",
        "office:duplicate",
        office(other_category_moderator=404, executor=404, other_org_executor=404, admin_user=404),
    ),
    on(
        "submitted",
        "office:duplicate",
        office(400, other_category_moderator=404, executor=404, other_org_executor=404, admin_user=404),
        method="post",
        data={},
    ),
    on("withdrawn", "office:duplicate", office(404)),
    on("withdrawn", "office:review", office(404)),
    on("withdrawn", "office:register", office(404), method="post", data={"executing_organization": "999999"}),
    on("withdrawn", "office:reject", office(404), method="post", data={}),
    # Reassigning is the moderators' (the executor reaches the form, and the service refuses: 400).
    on(
        "registered",
        "office:reassign",
        office(400, other_category_moderator=404, other_org_executor=404, admin_user=404),
        method="post",
        data={},
    ),
    # Answering: only who can answer for the organisation the message is routed to. Issue 13.9 (DESIGN.md,
    # Appendix 2): the category's moderator answers only where the organisation has no executor of it —
    # not potholes at the Администрация (it has an executor), but lighting there (it has none).
    on("registered", "office:answer", office(404, executor=200)),
    on("registered", "office:answer", office(404, executor=400), method="post", data={}),
    on(
        "registered",
        "office:request_reassign",
        office(404, executor=400),
        method="post",
        data={},
    ),
    # The organisation's own data (§2.2, §2.5, §2.7, directory.stewardship): every official keeps the
    # contacts of their own organisation (no id in the URL) and proposes changes; the FAQ entry of
    # «Ямы на дорогах» (responsible: Администрация) is kept by Администрация's officials only — МКУ «КБУ»
    # takes part in the category but gets 404. Forms are posted invalid so the scene never changes.
    Row("office:organization", office()),
    Row("office:organization", office(400), method="post", data={"email": "not-an-address"}),
    Row("office:faq", office()),
    Row("office:faq_add", office(400), method="post", data={}),
    Row("office:proposals", office()),
    Row("office:proposals", office(400), method="post", data={}),
    Row("office:faq_edit", office(other_org_executor=404), kwargs=lambda s: {"entry_id": s["faq"].pk}),
    Row(
        "office:faq_edit",
        office(400, other_org_executor=404),
        kwargs=lambda s: {"entry_id": s["faq"].pk},
        method="post",
        data={"question": ""},
    ),
    # The only entry of its category: moving it changes nothing, and lands back on the list.
    Row(
        "office:faq_move",
        office(302, other_org_executor=404),
        kwargs=lambda s: {"entry_id": s["faq"].pk},
        method="post",
        data={"direction": "up"},
    ),
    # GET is the confirmation page (the deleting POST is tested in tests/moderation/test_organization_data.py).
    Row("office:faq_delete", office(other_org_executor=404), kwargs=lambda s: {"entry_id": s["faq"].pk}),
    on("lighting", "office:answer", office(404, other_category_moderator=200)),
    on("lighting", "office:answer", office(404, other_category_moderator=400), method="post", data={}),
    # Open311 GeoReport v2 and open data (issue 16): public messages only, the same for everyone —
    # the API reads no session, so even the author and the staff get 404 for a message on moderation.
    Row("api:discovery", everyone(), kwargs=lambda s: {"fmt": "json"}),
    Row("api:services", everyone(), kwargs=lambda s: {"fmt": "xml"}),
    Row("api:service", everyone(), kwargs=lambda s: {"fmt": "json", "code": "potholes"}),
    Row("api:requests", everyone(), kwargs=lambda s: {"fmt": "json"}),
    Row("api:requests", everyone(403), kwargs=lambda s: {"fmt": "json"}, method="post", label="no key"),
    *(
        Row(
            "api:request",
            everyone(200 if key in ("registered", "answered") else 404),
            kwargs=lambda s, key=key: {"fmt": "json", "request_id": s[key].number},
            label=key,
        )
        for key in ("registered", "answered", "submitted", "rejected", "withdrawn")
    ),
    Row(
        "api:token",
        everyone(404),
        kwargs=lambda s: {"fmt": "json", "token": "6f1c1d9e-0000-4000-8000-000000000000"},
    ),
    Row("api:opendata", everyone()),
    Row("api:opendata_file", everyone(404), kwargs=lambda s: {"name": "messages/messages-2026-01-01.csv"}),
    Row("portal:api_clients", signed_in()),
    # Django admin: a representative set (model pages are skipped by rule in the completeness check).
    Row("admin:index", admin_page()),
    # One login for everyone (issue 11): guests go to the site's login, the administrator on to the admin,
    # a logged-in person without admin rights is refused (sending them to the login again would loop).
    Row("admin:login", everyone(403, anonymous=302, admin_user=302)),
    Row("admin_login", everyone(403, anonymous=302, admin_user=302)),  # the same URL, installed first
    Row("admin:logout", admin_page(admin_user=405)),  # POST only; others are sent to the admin's login first
    Row("admin:password_change", admin_page()),
    Row("admin:password_change_done", admin_page()),
    Row("admin:jsi18n", admin_page()),
    Row("admin:autocomplete", admin_page(admin_user=403)),  # without the query parameters: refused
    Row("admin:app_list", admin_page(), kwargs=lambda s: {"app_label": "directory"}),
    Row(
        "admin:view_on_site",
        admin_page(admin_user=404),
        kwargs=lambda s: {"content_type_id": 999999, "object_id": 1},
    ),
    Row("admin:directory_coverage", admin_page()),
    Row("admin:directory_category_changelist", admin_page()),
    Row("admin:directory_official_add", admin_page()),
    Row(
        "admin:directory_official_change",
        admin_page(),
        kwargs=lambda s: {"object_id": s["people"]["executor"].official.pk},
    ),
    Row("admin:accounts_user_changelist", admin_page()),
    # UserAdmin names its password page after auth.User, whatever the user model: listed explicitly.
    Row("admin:auth_user_password_change", admin_page(), kwargs=lambda s: {"id": s["people"]["citizen"].pk}),
    Row(
        "admin:accounts_user_change", admin_page(), kwargs=lambda s: {"object_id": s["people"]["citizen"].pk}
    ),
]

# --- what the completeness check skips, by rule ---------------------------------------------------

_ADMIN_MODEL_PAGE = re.compile(
    r"^admin:(?P<app>\w+?)_(?P<model>[a-z0-9]+)_(changelist|add|change|delete|history|simple_history)$"
)


def _is_admin_model_page(name):
    match = _ADMIN_MODEL_PAGE.match(name or "")
    if not match:
        return False
    registered_models = {(m._meta.app_label, m._meta.model_name) for m in admin.site._registry}
    return (match["app"], match["model"]) in registered_models


def _is_allauth(pattern):
    return getattr(pattern.callback, "__module__", "").startswith("allauth.")


def _is_static_serve(pattern):
    return getattr(pattern.callback, "__module__", "") == "django.views.static"


def iter_url_patterns(patterns=None, namespace=""):
    """(full name, pattern, namespace) for every URL of the project, walking includes recursively."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = (
                f"{namespace}:{entry.namespace}"
                if namespace and entry.namespace
                else (entry.namespace or namespace)
            )
            yield from iter_url_patterns(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield name, entry, namespace


def names_needing_a_row():
    needed = set()
    for name, pattern, namespace in iter_url_patterns():
        if _is_allauth(pattern) or _is_static_serve(pattern) or _is_admin_model_page(name):
            continue
        if namespace == "admin" and name is None:
            continue  # the admin's unnamed internals: object-id redirects and the final catch-all
        needed.add(name or f"<unnamed {pattern.pattern}>")
    return needed


# --- the checks ----------------------------------------------------------------------------------


def check_row(row, scene):
    """Request the row's URL as every person; return the mismatches as readable lines."""
    url = row.url(scene)
    mismatches = []
    for role in ROLES:
        client = Client()
        person = scene["people"][role]
        if person is not None:
            client.force_login(person)
        response = getattr(client, row.method)(url, row.data)
        if response.streaming:
            # Photos are file responses: reading them to the end closes the file the way the test client
            # expects (response.close() would also close the test's database connection).
            b"".join(response.streaming_content)
        if response.status_code != row.expect[role]:
            mismatches.append(
                f"{row.method.upper()} {url} as {role}: expected {row.expect[role]}, got {response.status_code}"
            )
    return mismatches


def test_every_url_has_a_row():
    covered = {row.name for row in ROWS}
    missing = sorted(names_needing_a_row() - covered)
    assert not missing, "URLs without a row in the permission matrix:\n" + "\n".join(missing)


def test_rows_name_existing_urls():
    names = {name for name, _, _ in iter_url_patterns()}
    assert not sorted({row.name for row in ROWS} - names)


def test_skip_rules_are_narrow():
    """The rules skip generated admin model pages and allauth only, not our own pages."""
    needed = names_needing_a_row()
    assert "admin:directory_coverage" in needed
    assert "office:review" in needed
    assert "admin:directory_category_changelist" not in needed
    assert "account_login" not in needed


def _params(rows):
    for row in rows:
        marks = [pytest.mark.xfail(strict=True, reason=row.known_bug)] if row.known_bug else []
        yield pytest.param(row, marks=marks, id="-".join(filter(None, (row.method, row.name, row.label))))


@pytest.mark.parametrize("row", list(_params(ROWS)))
def test_permission_matrix(row, scene, db):
    mismatches = check_row(row, scene)
    assert not mismatches, "\n".join(mismatches)


# --- a deliberate hole ---------------------------------------------------------------------------


def unscoped_review(request, number):
    """The review page as a careless engineer might write it: the message fetched by number alone."""
    from messages.models import Message
    from moderation import views

    message = Message.objects.get(number=number)
    return views.render_review(request, message)


class HoleyUrls:
    """The real URLs, with the back-office review page replaced by the unscoped one."""

    @staticmethod
    def build():
        from moderation import urls as office_urls
        from moderation import views
        from zarechny import urls as project_urls

        office_patterns = [
            path("m/<str:number>/", views.official_required(unscoped_review), name="review")
            if getattr(p, "name", None) == "review"
            else p
            for p in office_urls.urlpatterns
        ]
        rest = [p for p in project_urls.urlpatterns if str(p.pattern) != "office/"]
        return [path("office/", include((office_patterns, "office"))), *rest]


def test_matrix_catches_an_unscoped_view(scene, db, settings):
    holey = type("HoleyUrlconf", (), {"urlpatterns": HoleyUrls.build()})
    settings.ROOT_URLCONF = holey
    row = next(r for r in ROWS if r.name == "office:review" and r.label == "registered")
    mismatches = check_row(row, scene)
    assert mismatches == [
        f"GET /office/m/{scene['registered'].number}/ as other_category_moderator: expected 404, got 200",
        f"GET /office/m/{scene['registered'].number}/ as other_org_executor: expected 404, got 200",
        f"GET /office/m/{scene['registered'].number}/ as admin_user: expected 404, got 200",
    ]
