"""Small template helpers of the back-office: accessible form fields and deadline badges."""

from django import template
from django.utils import timezone

from moderation.selectors import end_of_today
from zarechny.fields import accessible_attrs, described_by

register = template.Library()


@register.inclusion_tag("backoffice/_field.html")
def field(bound_field, **attrs):
    """A labelled field whose help text and errors are tied to the input with aria-describedby."""
    widget_id = bound_field.auto_id
    attrs = accessible_attrs(bound_field, attrs)
    multiple = bound_field.widget_type in ("radioselect", "checkboxselectmultiple")
    widget = None if multiple else bound_field.as_widget(attrs=attrs)
    if widget is not None and bound_field.field.show_hidden_initial:
        # The value the person saw, so the form can tell what they changed (OrganizationContactsForm).
        widget += bound_field.as_hidden(only_initial=True)
    return {
        "field": bound_field,
        "widget": widget,
        "multiple": multiple,
        "described": described_by(bound_field),
        "widget_id": widget_id,
    }


@register.inclusion_tag("backoffice/_deadline.html", takes_context=True)
def deadline(context, due):
    """«просрочено» / «сегодня» / the date, so a queue can be scanned for what burns first."""
    now = context.get("now") or timezone.now()
    if due is None:
        status = "none"
    elif due < now:
        status = "overdue"
    elif due <= end_of_today(now):
        status = "today"
    else:
        status = "later"
    return {"due": due, "status": status}
