"""The accessibility rule of every hand-laid form field, whichever face renders it (issue 12.4).

A field's help text has the id `<auto_id>_help` and its errors `<auto_id>_error`; the control names both in
aria-describedby and says aria-invalid while it has errors. Django 5.2 adds the same attributes itself, but
under `_helptext` ids that our pages (and their tests) do not use, so the faces' `{% field %}` tags take
them from here instead of each writing the rule.
"""


def described_by(bound, sep="_"):
    """The ids that describe `bound`'s control: its help text, then its errors. `sep` is "-" for the
    statistics' period form, whose ids have always been `<auto_id>-help` / `<auto_id>-error`."""
    ids = []
    if bound.help_text:
        ids.append(f"{bound.auto_id}{sep}help")
    if bound.errors:
        ids.append(f"{bound.auto_id}{sep}error")
    return " ".join(ids)


def accessible_attrs(bound, attrs=None, *, sep="_"):
    """The widget attributes of `bound` (given `attrs` kept) with aria-describedby and aria-invalid."""
    attrs = dict(attrs or {})
    described = described_by(bound, sep)
    if described:
        attrs["aria-describedby"] = described
    if bound.errors:
        attrs["aria-invalid"] = "true"
    return attrs
