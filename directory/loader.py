"""Seeds the reference data of fixtures/ (Appendix 2 and the topic tree) into a database where it is missing.

Reference data belongs to the administrators once the platform runs (DESIGN.md, "Who owns the data"): a
row that exists is never updated — not a renamed topic, not an official's real e-mail address, not a
category or role an administrator took away — because `bootstrap` runs on every `make run` and every
release, and a deploy must not restore revoked access. Rows are found by their natural key and only
those that never existed are created: a row an administrator deleted (its history says so) stays deleted. Later changes to the reference data ship as data migrations (reviewed steps).
`reference_data_differences()` lists where the database and the fixtures disagree, writing nothing —
except in what the organisations keep themselves (§2.2, §2.5: contacts, the wording and order of the typical
questions; directory.stewardship): their edits are not differences, and a reworded question is reported as
such, not as a missing row.
The mapping decisions behind the data are listed in fixtures/README.md.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from accounts.selectors import email_is_verified

from . import stewardship
from .models import AnswerTemplate, Category, FaqEntry, Official, Organization, RejectionReason, Topic
from .services import ADMINISTRATORS_GROUP  # beside official_create; bootstrap, tests use it here

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"


def _crud(app_model, actions="add change delete view"):
    app_label, model = app_model.split(".")
    return [f"{app_label}.{action}_{model}" for action in actions.split()]


# Everything the group «Администраторы системы» (Appendix 2 rows 21–23) may do, and nothing else. They
# administer access and reference data. They never run code: no add/change/delete on django-q models (a
# Schedule names any function and the worker runs it), view of the task results at most; schedules come
# only from `bootstrap`. The Site row follows SITE_URL (set by bootstrap), so it is read-only here. Accounts
# are deactivated, not deleted (deleting goes through the account-deletion service). The message workflow
# is not theirs to edit in the admin (it goes through services). History rows are nobody's to edit.
ADMINISTRATOR_PERMISSIONS = frozenset(
    [
        *_crud("accounts.user", "add change view"),
        *_crud("accounts.consentrecord", "view"),
        # the account e-mails' outbox: read-only fields, "change" only for the retry of failed rows
        *_crud("accounts.outboundemail", "change view"),
        # Open311 clients (issue 16): registered and switched off by administrators, never deleted.
        *_crud("accounts.apiclient", "add change view"),
        *_crud("accounts.apiclientconsent", "view"),
        *_crud("directory.organization"),
        *_crud("directory.topic"),
        *_crud("directory.category"),
        *_crud("directory.official"),
        *_crud("directory.calendaroverride"),
        *_crud("directory.rejectionreason"),
        *_crud("directory.answertemplate"),
        *_crud("directory.faqentry"),
        *_crud("directory.topicproposal", "add change view"),
        # The outbox of the notices (README: admin → Уведомления): read-only fields, "change" only for the
        # retry of failed e-mails; the reminders and digests beside it read-only (issue 18.5).
        *_crud("citizen_messages.notification", "change view"),
        *_crud("citizen_messages.deadlinenotice", "view"),
        *_crud("citizen_messages.staffdigest", "view"),
        *_crud("django_q.success", "view"),
        *_crud("django_q.failure", "view"),
        *_crud("django_q.schedule", "view"),
        *_crud("sites.site", "view"),
    ]
)


@dataclass
class LoadReport:
    created: dict = field(default_factory=dict)
    differences: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    def count(self, model):
        name = model._meta.verbose_name_plural
        self.created[name] = self.created.get(name, 0) + 1


def _show(value):
    if value is None or value == "":
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a number as a number: «appendix_row=26», like the lines of _compare_official
    if isinstance(value, (set, frozenset, list, tuple)):
        return "[" + ", ".join(sorted(str(v) for v in value)) + "]"
    return f"«{value}»"


class _Seeder:
    """Walks the fixtures once. With `write`, creates the rows that never existed; never updates or
    re-creates one. Every difference between the database and the fixtures is recorded either way."""

    def __init__(self, *, write, report):
        self.write = write
        self.report = report

    @staticmethod
    def was_deleted(model, lookup):
        """A missing row that has history existed once: an administrator deleted it (an FAQ entry, a
        template, an official who left). Bringing it back would undo them as surely as overwriting would;
        a row that never existed is seeded. New rows in later releases ship as data migrations."""
        return model.history.filter(**lookup).exists()

    def differ(self, label, name, db_value, fixture_value):
        self.report.differences.append(
            f"{label} · {name}: в базе {_show(db_value)}, в fixtures {_show(fixture_value)}"
        )

    @staticmethod
    def renamed_to(model, lookup):
        """The row that once matched `lookup` and still exists under another value of it (an
        organisation reworded a typical question, §2.5); None if there is none."""
        ids = model.history.filter(**lookup).values_list("id", flat=True)
        return model.objects.filter(pk__in=ids).first()

    def row(self, model, lookup, values, m2m=None, owned=()):
        """The row found by `lookup`, created from `values` (and `m2m`) while its table is being seeded.
        `owned` fields are seeded but never compared: the organisations keep them (§2.2, §2.5), so a
        value in the database that differs from fixtures/ is their edit, not a drift to report."""
        m2m = m2m or {}
        label = f"{model._meta.label} " + ", ".join(f"{k}={_show(v)}" for k, v in lookup.items())
        obj = model.objects.filter(**lookup).first() if None not in lookup.values() else None
        if obj is None:
            deleted = None not in lookup.values() and self.was_deleted(model, lookup)
            if deleted and (now := self.renamed_to(model, lookup)) is not None:
                self.report.differences.append(
                    f"{label}: изменена после загрузки, теперь «{now}» (ведёт организация; "
                    "bootstrap её не трогает)"
                )
                return None
            if deleted or not self.write or None in values.values():
                why = "удалена, bootstrap её не восстанавливает" if deleted else "bootstrap создаст"
                self.report.differences.append(f"{label}: нет в базе ({why})")
                return None
            obj = model.objects.create(**lookup, **values)
            for name, related in m2m.items():
                getattr(obj, name).set([r for r in related if r is not None])
            self.report.count(model)
            return obj
        for name, value in values.items():
            if name not in owned and getattr(obj, name) != value:
                self.differ(label, name, getattr(obj, name), value)
        for name, related in m2m.items():
            in_db = set(getattr(obj, name).all())
            if in_db != set(related):
                self.differ(label, name, in_db, related)
        return obj


def _read(name):
    return json.loads((FIXTURES_DIR / name).read_text(encoding="utf-8"))


def load_reference_data(report=None):
    """Create the missing reference rows (and the administrators' group permissions); returns the report."""
    report = report or LoadReport()
    with transaction.atomic():
        _walk(_Seeder(write=True, report=report))
    return report


def reference_data_differences():
    """Lines saying where the database differs from the fixtures. Reads only (the transaction is rolled
    back as a second guard)."""
    report = LoadReport()
    with transaction.atomic():
        _walk(_Seeder(write=False, report=report))
        transaction.set_rollback(True)
    return report.differences


def _walk(seeder):
    organizations = {}
    for row in _read("organizations.json"):
        key = row.pop("key")
        organizations[key] = seeder.row(Organization, {"key": key}, row, owned=stewardship.CONTACT_FIELDS)

    categories = {}
    for topic_row in _read("topics.json"):
        topic = seeder.row(
            Topic, {"key": topic_row["key"]}, {"name": topic_row["name"], "order": topic_row["order"]}
        )
        for row in topic_row["categories"]:
            categories[row["key"]] = seeder.row(
                Category,
                {"key": row["key"]},
                {
                    "topic": topic,
                    "name": row["name"],
                    "order": row.get("order", 0),
                    "description": row.get("description", ""),
                    "responsible_organization": organizations[row["responsible"]],
                },
                m2m={"participating_organizations": [organizations[k] for k in row.get("participating", [])]},
            )

    _officials(seeder, organizations, categories)

    for row in _read("rejection_reasons.json"):
        code = row.pop("code")
        seeder.row(RejectionReason, {"code": code}, row)
    for row in _read("faq.json"):
        seeder.row(
            FaqEntry,
            {"category": categories[row["category"]], "question": row["question"]},
            {"answer": row["answer"], "order": row.get("order", 0)},
            owned=("answer", "order"),  # §2.5: the responsible organisation words and orders them
        )
    for row in _read("answer_templates.json"):
        seeder.row(
            AnswerTemplate,
            {"category": categories[row["category"]], "title": row["title"]},
            {"kind": row["kind"], "text": row["text"]},
        )


def administrator_permissions():
    """The Permission rows of ADMINISTRATOR_PERMISSIONS; a missing one is a programming error."""
    wanted = {tuple(name.split(".")) for name in ADMINISTRATOR_PERMISSIONS}
    found = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in=[codename for _, codename in wanted]
        )
    }
    missing = wanted - set(found)
    if missing:
        raise ImproperlyConfigured(f"Unknown permissions in ADMINISTRATOR_PERMISSIONS: {sorted(missing)}")
    return [found[key] for key in sorted(wanted)]


def _administrators_group(seeder):
    """The group's permissions are code, not administrators' data: they are set to exactly the allow-list
    on every run, which also takes back what earlier releases granted (django-q schedules: running code)."""
    group = Group.objects.filter(name=ADMINISTRATORS_GROUP).first()
    allowed = administrator_permissions()
    if not seeder.write:
        granted = set(group.permissions.all()) if group else set()
        if granted != set(allowed):
            seeder.differ(
                f"auth.Group {_show(ADMINISTRATORS_GROUP)}",
                "permissions (задаются кодом, bootstrap приведёт к списку)",
                {f"{p.content_type.app_label}.{p.codename}" for p in granted},
                ADMINISTRATOR_PERMISSIONS,
            )
        return group
    if group is None:
        group = Group.objects.create(name=ADMINISTRATORS_GROUP)
    group.permissions.set(allowed)
    return group


def _officials(seeder, organizations, categories):
    admins = _administrators_group(seeder)
    for row in _read("officials.json"):
        lookup = {"appendix_row": row["row"]}
        official = Official.objects.select_related("user").filter(**lookup).first()
        if official is not None:
            _compare_official(seeder, official, row, organizations, categories, admins)
            continue
        if seeder.was_deleted(Official, lookup):
            seeder.row(Official, lookup, {})  # recorded as missing; an official who was removed stays so
            continue
        user = _seed_staff_account(seeder, row, admins)
        if user is None and seeder.write:
            continue
        seeder.row(
            Official,
            lookup,
            {
                "user": user,
                "organization": organizations[row["organization"]],
                "position": row["position"],
                "role": row["role"],
                "controls_platform": row.get("controls_platform", False),
            },
            m2m={"categories": [categories[k] for k in row["categories"]]},
        )


def _seed_staff_account(seeder, row, admins):
    """The account of an Appendix 2 official being seeded. A new one gets no usable password (the official
    sets one through the password-reset link, which also proves the address). An existing account gets the
    role only if its address is verified: anyone may sign up with an address nobody reads (issue 11.1)."""
    User = get_user_model()
    email = User.objects.normalize_email(row["email"])
    user = User.objects.filter_by_email(email).first()
    if user is not None:
        if not email_is_verified(user) or Official.objects.filter(user=user).exists():
            seeder.report.skipped.append(
                f"строка {row['row']} приложения 2: учётная запись {user.email} уже есть, но адрес не "
                "подтверждён или она уже числится должностным лицом — роль не выдана"
            )
            return None
        return user
    if not seeder.write:
        return None
    is_admin = row["role"] == Official.Role.ADMINISTRATOR
    user = User(email=email, full_name=row["full_name"], is_staff=is_admin)
    user.set_unusable_password()
    user.save()
    if is_admin:
        user.groups.add(admins)
    seeder.report.count(User)
    return user


def _compare_official(seeder, official, row, organizations, categories, admins):
    label = f"directory.Official appendix_row={row['row']}"
    user = official.user
    expected = {
        "user.email": (user.email.lower(), row["email"].lower()),
        "user.full_name": (user.full_name, row["full_name"]),
        "organization": (official.organization, organizations[row["organization"]]),
        "position": (official.position, row["position"]),
        "role": (official.role, row["role"]),
        "controls_platform": (official.controls_platform, row.get("controls_platform", False)),
        "categories": (set(official.categories.all()), {categories[k] for k in row["categories"]}),
    }
    if row["role"] == Official.Role.ADMINISTRATOR:
        expected["user.is_staff"] = (user.is_staff, True)
        in_group = admins is not None and user.groups.filter(pk=admins.pk).exists()
        expected[f"user.groups {_show(ADMINISTRATORS_GROUP)}"] = (in_group, True)
    for name, (db_value, fixture_value) in expected.items():
        if db_value != fixture_value:
            seeder.differ(label, name, db_value, fixture_value)
