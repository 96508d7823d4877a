"""The accessibility rule of every hand-laid form field, whichever face renders it (issue 12.4).

A field's help text has the id `<auto_id>_help` and its errors `<auto_id>_error`; the control names both in
aria-describedby and says aria-invalid while it has errors. Django 5.2 adds the same attributes itself, but
under `_helptext` ids that our pages (and their tests) do not use, so the faces' `{% field %}` tags take
them from here instead of each writing the rule.
"""


def described_by(bound):
    """The ids that describe `bound`'s control: its help text, then its errors."""
    ids = []
    if bound.help_text:
        ids.append(f"{bound.auto_id}_help")
    if bound.errors:
        ids.append(f"{bound.auto_id}_error")
    return " ".join(ids)


def accessible_attrs(bound, attrs=None):
    """The widget attributes of `bound` (given `attrs` kept) with aria-describedby and aria-invalid."""
    attrs = dict(attrs or {})
    described = described_by(bound)
    if described:
        attrs["aria-describedby"] = described
    if bound.errors:
        attrs["aria-invalid"] = "true"
    return attrs
