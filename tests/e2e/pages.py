"""Every page of the platform, as the person who uses it, in each state worth checking (issue 18.1).

`VISITS` is the list the axe test (tests/e2e/test_accessibility.py) walks at phone and desktop size; a new
page joins it with one line. `NOT_PAGES` names the URLs that render no page of their own (downloads, CSV,
POST-only actions that redirect, probes), each with the reason. tests/test_axe_coverage.py fails when a URL
of the resolver is in neither list — so a new page cannot be forgotten by the accessibility check.

A visit names its URL by name (the coverage check matches on it) and, for URLs with arguments, a function
of the scene (tests/e2e/test_accessibility.py::scene) giving the kwargs; `act` brings the page into a state
(a form sent empty, so its errors show) before axe runs.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

GUEST, CITIZEN, MODERATOR, EXECUTOR, SUPERVISOR, ADMINISTRATOR = (
    "guest",
    "citizen",
    "moderator",
    "executor",
    "supervisor",
    "administrator",
)


@dataclass(frozen=True)
class Visit:
    name: str  # URL name ("portal:message"), or "" with `path` for a URL that does not resolve (404)
    person: str
    kwargs: Callable[[dict], dict] | None = None
    query: str = ""
    state: str = ""  # what `act` shows: "errors", "rate-errors", …
    act: Callable | None = field(default=None, compare=False)
    status: int = 200
    path: str = ""

    @property
    def label(self):
        return " ".join(filter(None, (self.name or self.path, self.query, self.person, self.state)))


def on(key):
    """kwargs for a page of one message of the scene."""
    return lambda scene: {"number": scene[key].number}


def obj(key):
    return lambda scene: {"object_id": scene[key].pk}


def faq_entry(scene):
    return {"entry_id": scene["faq"].pk}


def submit_empty(button):
    """Send the form holding `button` without the browser's own checks, so the server's errors show."""

    def act(page):
        page.evaluate("document.querySelectorAll('form').forEach(f => f.noValidate = true)")
        page.get_by_role("button", name=button, exact=True).first.click()
        page.wait_for_load_state()

    return act


def _rate_without_remarks(page):
    page.get_by_label("Ответ меня не устраивает").check()
    submit_empty("Отправить оценку")(page)


def _set_period_backwards(page):
    page.get_by_label("Период", exact=True).select_option("custom")
    page.get_by_label("С даты").fill("2026-02-01")
    page.get_by_label("По дату").fill("2026-01-01")
    page.get_by_role("button", name="Показать").click()
    page.wait_for_load_state()


def _click(button):
    def act(page):
        page.get_by_role("button", name=button, exact=True).click()
        page.wait_for_load_state()

    return act


def _wait_for_markers(page):
    """The public map draws its markers from the GeoJSON after the load: axe checks them too."""
    page.locator("#public-map .leaflet-marker-icon").first.wait_for()


def admin_changelist(label):
    return f"admin:{label.replace('.', '_')}_changelist"


# The admin models the administrators work with: their changelists are visited (the coverage check asks for
# every registered model's changelist); add and change forms for the reference data they edit most.
ADMIN_CHANGELISTS = [
    "auth.group",
    "sites.site",
    "account.emailaddress",
    "mfa.authenticator",
    "django_q.schedule",
    "django_q.success",
    "django_q.failure",
    # the task queue's own page exists with the database broker only; with REDIS_URL the queue is in Redis
    *(["django_q.ormq"] if "orm" in settings.Q_CLUSTER else []),
    "accounts.consentrecord",
    "accounts.apiclient",
    "accounts.apiclientconsent",
    "accounts.outboundemail",
    "accounts.user",
    "directory.organization",
    "directory.topic",
    "directory.category",
    "directory.official",
    "directory.calendaroverride",
    "directory.rejectionreason",
    "directory.answertemplate",
    "directory.faqentry",
    "directory.topicproposal",
    "citizen_messages.message",
    "citizen_messages.notification",
    "citizen_messages.deadlinenotice",
    "citizen_messages.staffdigest",
]

VISITS = [
    # --- the portal, for a guest ------------------------------------------------------------------
    Visit("home", GUEST),
    Visit("portal:message_list", GUEST),
    Visit("portal:message_list", GUEST, query="?q=яма&sort=supported"),
    Visit("portal:message", GUEST, on("registered")),
    Visit("portal:message", GUEST, on("answered")),
    Visit("portal:message", GUEST, on("closed")),
    Visit("portal:lookup", GUEST, query="?number=2026-999999", state="not-found", status=404),
    Visit("organization_list", GUEST),
    Visit("faq", GUEST),
    Visit("rules", GUEST),
    Visit("portal:consent", GUEST),
    Visit("stats:public", GUEST),
    Visit("stats:public", GUEST, state="errors", act=_set_period_backwards),
    Visit("portal:map", GUEST, state="markers", act=_wait_for_markers),
    Visit("portal:map", GUEST, query="?state=answered&period=30", state="filtered", act=_wait_for_markers),
    Visit("portal:message_list", GUEST, query="?sort=near&lat=53.1985&lon=45.17", state="near"),
    Visit("portal:message", GUEST, on("followed")),
    Visit("api:opendata", GUEST),
    Visit("portal:unfollow", GUEST, lambda s: {"token": s["unfollow_token"]}, state="confirm"),
    Visit(
        "portal:unfollow",
        GUEST,
        lambda s: {"token": s["unfollow_token_neighbour"]},
        state="done",
        act=_click("Не следить за сообщением"),
    ),
    Visit("portal:unfollow", GUEST, lambda s: {"token": "bad-token"}, state="bad-token", status=400),
    # allauth's pages in the site's layout
    Visit("account_login", GUEST),
    Visit("account_login", GUEST, state="errors", act=submit_empty("Войти")),
    Visit("account_signup", GUEST),
    Visit("account_signup", GUEST, state="errors", act=submit_empty("Зарегистрироваться")),
    Visit("account_reset_password", GUEST),
    Visit("account_reset_password", GUEST, state="errors", act=submit_empty("Отправить ссылку")),
    Visit("account_reset_password_done", GUEST),
    Visit(
        "account_reset_password_from_key", GUEST, lambda s: {"uidb36": "x", "key": "bad-key"}, state="bad-key"
    ),
    Visit("account_reset_password_from_key_done", GUEST),
    Visit("account_email_verification_sent", GUEST),
    Visit("account_confirm_email", GUEST, lambda s: {"key": s["confirmation_key"]}),
    Visit("account_confirm_email", GUEST, lambda s: {"key": "bad-key"}, state="bad-key"),
    Visit("account_inactive", GUEST),
    # the error pages
    Visit("", GUEST, path="/no-such-page/", status=404),
    # --- the portal, for a citizen (the author of every message of the scene) -----------------------
    Visit("portal:submit", CITIZEN),
    Visit("portal:submit", CITIZEN, query="?category=potholes"),
    Visit(
        "portal:submit",
        CITIZEN,
        query="?category=potholes",
        state="errors",
        act=submit_empty("Отправить сообщение"),
    ),
    Visit("portal:submitted", CITIZEN, on("submitted")),
    Visit("portal:message", CITIZEN, on("submitted")),
    # The photo viewer (issue 18.4), the author's own message still on moderation.
    Visit(
        "portal:photo_view",
        CITIZEN,
        lambda s: {"number": s["submitted"].number, "token": s["submitted"].photos.get().token},
    ),
    Visit("portal:message", CITIZEN, on("answered")),
    # The viewer of a photo attached to an answer (issue 18.4), a public message seen by a guest.
    Visit(
        "portal:attachment_view",
        GUEST,
        lambda s: {
            "number": s["answered"].number,
            "token": s["answered"].answers.get().attachments.first().token,
        },
    ),
    Visit("portal:message", CITIZEN, on("answered"), state="rate-errors", act=_rate_without_remarks),
    Visit("portal:message", CITIZEN, on("rejected")),
    Visit("portal:edit", CITIZEN, on("rejected")),
    Visit("portal:edit", CITIZEN, on("rejected"), state="errors", act=submit_empty("Отправить повторно")),
    Visit("portal:message", CITIZEN, on("followed"), state="following"),
    Visit("portal:cabinet", CITIZEN),
    Visit("portal:api_clients", CITIZEN),
    Visit("portal:notifications", CITIZEN),
    Visit("portal:profile", CITIZEN),
    Visit("portal:account_delete", CITIZEN),
    Visit("portal:account_delete", CITIZEN, state="errors", act=submit_empty("Удалить учётную запись")),
    Visit("account_email", CITIZEN),
    Visit("account_change_password", CITIZEN),
    Visit("account_change_password", CITIZEN, state="errors", act=submit_empty("Сменить пароль")),
    Visit("account_set_password", CITIZEN),
    Visit("account_logout", CITIZEN),
    Visit("account_reauthenticate", CITIZEN),
    Visit("mfa_index", CITIZEN),
    Visit("office:home", CITIZEN, status=403),
    Visit("portal:message", CITIZEN, lambda s: {"number": "2026-999999"}, status=404),
    # --- the back-office: a moderator --------------------------------------------------------------
    Visit("office:home", MODERATOR),
    Visit("office:moderation_queue", MODERATOR),
    Visit("office:answer_queue", MODERATOR),
    Visit("office:reassign_requests", MODERATOR),
    Visit("office:remarks_queue", MODERATOR),
    Visit("office:review", MODERATOR, on("submitted")),
    Visit(
        "office:review",
        MODERATOR,
        on("submitted"),
        state="reject-errors",
        act=submit_empty("Отказать в регистрации"),
    ),
    Visit("office:review", MODERATOR, on("registered")),
    Visit("office:duplicate", MODERATOR, on("submitted"), query="?of={registered}"),
    Visit("office:organization", MODERATOR),
    Visit("office:faq", MODERATOR),
    Visit("office:faq_edit", MODERATOR, faq_entry),
    Visit("office:faq_delete", MODERATOR, faq_entry),
    Visit("office:proposals", MODERATOR),
    Visit("office:proposals", MODERATOR, state="errors", act=submit_empty("Отправить администраторам")),
    Visit("stats:staff", MODERATOR),
    Visit("stats:staff_drilldown", MODERATOR, query="?metric=overdue"),
    Visit("stats:control", MODERATOR),
    Visit("mfa_activate_totp", MODERATOR),
    # --- the back-office: an executor --------------------------------------------------------------
    Visit("office:home", EXECUTOR),
    Visit("office:answer_queue", EXECUTOR),
    Visit("office:answer", EXECUTOR, on("registered")),
    Visit(
        "office:answer", EXECUTOR, on("registered"), state="errors", act=submit_empty("Опубликовать ответ")
    ),
    Visit("office:organization", EXECUTOR, state="errors", act=submit_empty("Сохранить контакты")),
    # --- the back-office: a supervisor -------------------------------------------------------------
    Visit("office:home", SUPERVISOR),
    Visit("office:overdue", SUPERVISOR),
    Visit("office:review", SUPERVISOR, on("answered")),
    Visit("stats:staff", SUPERVISOR),
    Visit("stats:control", SUPERVISOR),
    # --- the admin: an administrator ---------------------------------------------------------------
    Visit("admin:index", ADMINISTRATOR),
    Visit("admin:app_list", ADMINISTRATOR, lambda s: {"app_label": "directory"}),
    Visit("admin:password_change", ADMINISTRATOR),
    Visit("admin:password_change_done", ADMINISTRATOR),
    Visit("admin:directory_coverage", ADMINISTRATOR),
    *(Visit(admin_changelist(label), ADMINISTRATOR) for label in ADMIN_CHANGELISTS),
    Visit("admin:directory_topic_change", ADMINISTRATOR, obj("topic")),
    Visit("admin:directory_category_add", ADMINISTRATOR),
    Visit("admin:directory_category_change", ADMINISTRATOR, obj("category")),
    Visit("admin:directory_official_add", ADMINISTRATOR),
    Visit("admin:directory_official_add", ADMINISTRATOR, state="errors", act=submit_empty("Сохранить")),
    Visit("admin:directory_official_change", ADMINISTRATOR, obj("official")),
    Visit("admin:directory_organization_change", ADMINISTRATOR, obj("organization")),
    Visit("admin:directory_faqentry_change", ADMINISTRATOR, obj("faq")),
    Visit("admin:accounts_user_change", ADMINISTRATOR, obj("citizen")),
    Visit("admin:auth_user_password_change", ADMINISTRATOR, lambda s: {"id": s["citizen"].pk}),
    Visit("admin:citizen_messages_message_change", ADMINISTRATOR, obj("registered")),
    Visit("admin:citizen_messages_notification_change", ADMINISTRATOR, obj("notification")),
    Visit("admin:accounts_apiclient_add", ADMINISTRATOR),
    Visit("admin:accounts_apiclient_change", ADMINISTRATOR, obj("api_client")),
    Visit("admin:accounts_apiclientconsent_change", ADMINISTRATOR, obj("api_consent")),
    Visit("admin:directory_category_delete", ADMINISTRATOR, obj("category")),
    Visit("admin:directory_category_history", ADMINISTRATOR, obj("category")),
]

# URLs that render no page of their own, with the reason; everything else needs a visit above.
NOT_PAGES = {
    "healthz": "JSON probe",
    "readyz": "JSON probe",
    "favicon": "redirect to the static icon",
    "admin_login": "redirects to the site's login (account_login is visited)",
    "admin:login": "redirects to the site's login",
    "admin:logout": "POST only",
    "admin:autocomplete": "JSON",
    "admin:jsi18n": "JavaScript",
    "admin:view_on_site": "redirect",
    "account_request_reauthentication_code": "login by code is off",
    "account_confirm_reauthentication_code": "login by code is off",
    "account_confirm_login_code": "login by code is off",
    "mfa_authenticate": "needs a half-finished login with an authenticator: tests/test_staff_mfa.py",
    "mfa_reauthenticate": "needs an enrolled authenticator: tests/test_staff_mfa.py",
    "mfa_deactivate_totp": "needs an enrolled authenticator",
    "mfa_view_recovery_codes": "needs an enrolled authenticator",
    "mfa_generate_recovery_codes": "needs an enrolled authenticator",
    "mfa_download_recovery_codes": "a text download",
    "office:register": "POST action: redirects, or shows the review page (visited with its errors)",
    "office:reject": "POST action: redirects, or shows the review page (visited with its errors)",
    "office:reassign": "POST action: redirects, or shows the review page",
    "office:review_remarks": "POST action: redirects to the remarks queue",
    "office:request_reassign": "POST action: redirects, or shows the answer page (visited with its errors)",
    "office:faq_add": "POST action: redirects, or shows the FAQ page",
    "office:faq_move": "POST action: redirects",
    "stats:public_csv": "CSV",
    "stats:staff_csv": "CSV",
    "stats:control_csv": "CSV",
    "portal:support": "POST action: redirects",
    "portal:rate": "POST action: redirects, or shows the message page (visited with its errors)",
    "portal:photo": "an image",
    "portal:photo_thumb": "an image",
    "portal:attachment": "an image",
    "portal:attachment_thumb": "an image",
    "portal:document": "a PDF download",
    "portal:map_geojson": "GeoJSON (the map's markers: portal:map is visited with them drawn)",
    "portal:nearby": "JSON (the submit form's similar messages nearby)",
    "portal:follow": "POST action: redirects to the message page",
    "portal:unfollow_message": "POST action: redirects to the message page or the cabinet",
    "api:discovery": "Open311 JSON/XML",
    "api:services": "Open311 JSON/XML",
    "api:service": "Open311 JSON/XML",
    "api:requests": "Open311 JSON/XML (POST: a client's submission)",
    "api:request": "Open311 JSON/XML",
    "api:token": "Open311 JSON/XML",
    "api:opendata_file": "a CSV or JSON download (api:opendata, the list of files, is visited)",
    "metrics": "Prometheus text for the monitoring, 404 to everyone else",
}
