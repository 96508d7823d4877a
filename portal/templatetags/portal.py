"""Template helpers of the citizen portal: accessible form fields, header state, author display."""

from django import forms, template
from django.conf import settings
from django.db.models import Q
from django.urls import get_script_prefix, reverse

from directory.workdays import working_days_phrase
from messages.deadlines import mark_answer_overdue
from messages.models import Notification
from messages.selectors import official_of
from zarechny.fields import accessible_attrs, described_by

register = template.Library()


@register.inclusion_tag("portal/_field.html")
def field(bound, **options):
    """A labelled field whose help text and errors are tied to the control with aria-describedby."""
    widget = bound.field.widget
    attrs = accessible_attrs(bound)
    if bound.field.required and not isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
        attrs["required"] = True
    kind = "text"
    if isinstance(widget, forms.CheckboxInput):
        kind = "checkbox"
    elif isinstance(widget, forms.RadioSelect):
        kind = "radio"
    elif widget.is_hidden:
        kind = "hidden"
    # A text box with a limit gets a counter instead of the browser's maxlength, which cuts a paste silently
    # at the limit (issue 18.3); the server still refuses a longer text with its own message.
    counter = None
    limit = getattr(bound.field, "max_length", None)
    if isinstance(widget, forms.Textarea) and limit:
        counter = limit
        attrs["maxlength"] = False
        attrs["data-counter"] = limit
        attrs["aria-describedby"] = " ".join(
            filter(None, [attrs.get("aria-describedby"), f"{bound.auto_id}_count"])
        )
    return {
        "f": bound,
        "kind": kind,
        "widget_html": bound.as_widget(attrs=attrs) if kind != "radio" else "",
        "described": described_by(bound),
        "extra_class": options.get("extra_class", ""),
        "counter": counter,
        "label": options.get("label") or bound.label,
    }


# The links of the portal's header and footer, by URL name. Every portal page shows them; reversing a
# dozen names on every request cost more than serving a cached list body (issue 14), so they are
# reversed once per process (and script prefix, which a deployment under a sub-path sets).
PORTAL_LINKS = {
    "home": "home",
    "message_list": "portal:message_list",
    "submit": "portal:submit",
    "organizations": "organization_list",
    "faq": "faq",
    "rules": "rules",
    "stats": "stats:public",
    "lookup": "portal:lookup",
    "consent": "portal:consent",
    "cabinet": "portal:cabinet",
    "office": "office:home",
    "login": "account_login",
    "signup": "account_signup",
    "logout": "account_logout",
}
_reversed_links: dict[str, dict[str, str]] = {}


@register.simple_tag
def portal_links():
    prefix = get_script_prefix()
    links = _reversed_links.get(prefix)
    if links is None:
        links = _reversed_links[prefix] = {key: reverse(name) for key, name in PORTAL_LINKS.items()}
    return links


@register.simple_tag(takes_context=True)
def nav_state(context):
    """Unread notifications and back-office access for the header; one query, once per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread": 0, "is_official": False}
    cached = getattr(request, "_portal_nav_state", None)
    if cached is None:
        cached = {
            "unread": Notification.objects.filter(Q(recipient=user) & Q(read_at__isnull=True)).count(),
            "is_official": official_of(user) is not None,
        }
        request._portal_nav_state = cached
    return cached


@register.filter
def author_name(message):
    """The author's name only when they chose to show it (opt-in) and still have an account."""
    known = getattr(message, "public_author_name", None)  # a guest's cached copy (portal.views)
    if known is not None:
        return known
    author = message.author
    if message.show_author_name and author is not None and author.is_active and author.full_name:
        return author.full_name
    return ""


@register.simple_tag
def consent_version():
    return settings.CONSENT_VERSION


@register.inclusion_tag("portal/_overdue.html")
def answer_overdue(message):
    """§6.2 in public: «Срок ответа истёк N рабочих дней назад» for a message whose answer is late
    (`answer_overdue_days`, set for a whole list page by messages.deadlines.mark_answer_overdue; a single
    message is marked here, so a page served from the shared fragments reads no calendar)."""
    if not hasattr(message, "answer_overdue_days"):
        mark_answer_overdue([message])
    days = message.answer_overdue_days
    return {"message": message, "days": days, "phrase": working_days_phrase(days) if days else ""}
