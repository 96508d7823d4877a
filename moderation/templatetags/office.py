"""Small template helpers of the back-office: accessible form fields and deadline badges."""

from django import template
from django.core.cache import caches
from django.template.defaultfilters import date as date_format
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import format_html

from moderation import officecache
from moderation.selectors import end_of_today
from zarechny.fields import accessible_attrs, described_by

register = template.Library()


@register.simple_tag
def field(bound_field, **attrs):
    """A labelled field whose help text and errors are tied to the input with aria-describedby.

    A form the view marked with `fragment_key` (an unbound form whose choices are the same until the
    office version changes: moderation/officecache.py) has its fields rendered once and kept: a select
    rendered through Django's widget templates costs a template per option (issue 14)."""
    key = getattr(bound_field.form, "fragment_key", None)
    if key is None or bound_field.form.is_bound:
        return _render_field(bound_field, attrs)
    key = f"{key}:{bound_field.name}:{sorted(attrs.items())!r}"
    store = caches[officecache.STORE]
    html = store.get(key)
    if html is None:
        html = _render_field(bound_field, attrs)
        store.set(key, html, officecache.COUNT_SECONDS)
    return html


@register.tag
def kept(parser, token):
    """`{% kept form "name" %}…{% endkept %}`: the block rendered once and kept under the form's
    `fragment_key` (an unbound form whose choices are the same until the office version changes), like
    the fields of `{% field %}`; rendered every time for a bound form or a form without the key. The
    block must depend on the form and the office version only."""
    bits = token.split_contents()
    if len(bits) != 3:
        raise template.TemplateSyntaxError('{% kept form "name" %} takes a form and a name')
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    return KeptNode(parser.compile_filter(bits[1]), parser.compile_filter(bits[2]), nodelist)


class KeptNode(template.Node):
    def __init__(self, form, name, nodelist):
        self.form, self.name, self.nodelist = form, name, nodelist

    def render(self, context):
        form = self.form.resolve(context)
        key = getattr(form, "fragment_key", None)
        if key is None or form.is_bound:
            return self.nodelist.render(context)
        key = f"{key}:kept:{self.name.resolve(context)}"
        store = caches[officecache.STORE]
        html = store.get(key)
        if html is None:
            html = self.nodelist.render(context)
            store.set(key, html, officecache.COUNT_SECONDS)
        return html


def _render_field(bound_field, attrs):
    widget_id = bound_field.auto_id
    attrs = accessible_attrs(bound_field, attrs)
    multiple = bound_field.widget_type in ("radioselect", "checkboxselectmultiple")
    widget = None if multiple else bound_field.as_widget(attrs=attrs)
    if widget is not None and bound_field.field.show_hidden_initial:
        # The value the person saw, so the form can tell what they changed (OrganizationContactsForm).
        widget += bound_field.as_hidden(only_initial=True)
    return get_template("backoffice/_field.html").render(
        {
            "field": bound_field,
            "widget": widget,
            "multiple": multiple,
            "described": described_by(bound_field),
            "widget_id": widget_id,
        }
    )


@register.simple_tag(takes_context=True)
def deadline(context, due):
    """«просрочено» / «сегодня» / the date, so a queue can be scanned for what burns first. Built here
    rather than by an included template: a queue has one per row, and each include costs a template
    render with its own context (issue 14)."""
    if due is None:
        return "—"
    now = context.get("now") or timezone.now()
    local = timezone.localtime(due)  # as the template's |date would show it
    moment = format_html(
        '<time datetime="{}">{}</time>', date_format(local, "c"), date_format(local, "d.m.Y H:i")
    )
    if due < now:
        return format_html('{} <span class="badge badge-overdue">просрочено</span>', moment)
    if due <= end_of_today(now):
        return format_html('{} <span class="badge badge-today">сегодня</span>', moment)
    return moment
