"""Loads the reference data of fixtures/ (Appendix 2 and the topic tree) idempotently.

Every row is found by its natural key and updated in place, so running the loader twice leaves the same
rows. The mapping decisions behind the data are listed in fixtures/README.md.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .models import AnswerTemplate, Category, FaqEntry, Official, Organization, RejectionReason, Topic

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
ADMINISTRATORS_GROUP = "Администраторы системы"
# Appendix 2 rows 21–23 administer access and reference data; the message workflow itself is not theirs
# to edit in the admin (it goes through services), so they get these apps' permissions only.
ADMINISTRATOR_APPS = ("accounts", "directory", "django_q", "sites")


@dataclass
class LoadReport:
    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)

    def count(self, model, created):
        bucket = self.created if created else self.updated
        name = model._meta.verbose_name_plural
        bucket[name] = bucket.get(name, 0) + 1


def _sync(model, lookup, values):
    """update_or_create that leaves an unchanged row alone, so a re-run writes no history noise."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values), True
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
    return obj, False


def _read(name):
    return json.loads((FIXTURES_DIR / name).read_text(encoding="utf-8"))


@transaction.atomic
def load_reference_data(report=None):
    report = report or LoadReport()
    organizations = {}
    for row in _read("organizations.json"):
        key = row.pop("key")
        obj, created = _sync(Organization, {"key": key}, row)
        organizations[key] = obj
        report.count(Organization, created)

    categories = {}
    for topic_row in _read("topics.json"):
        topic, created = _sync(
            Topic, {"key": topic_row["key"]}, {"name": topic_row["name"], "order": topic_row["order"]}
        )
        report.count(Topic, created)
        for row in topic_row["categories"]:
            category, created = _sync(
                Category,
                {"key": row["key"]},
                {
                    "topic": topic,
                    "name": row["name"],
                    "order": row.get("order", 0),
                    "description": row.get("description", ""),
                    "responsible_organization": organizations[row["responsible"]],
                },
            )
            category.participating_organizations.set([organizations[k] for k in row.get("participating", [])])
            categories[row["key"]] = category
            report.count(Category, created)

    _load_officials(organizations, categories, report)

    for row in _read("rejection_reasons.json"):
        code = row.pop("code")
        _, created = _sync(RejectionReason, {"code": code}, row)
        report.count(RejectionReason, created)
    for row in _read("faq.json"):
        _, created = _sync(
            FaqEntry,
            {"category": categories[row["category"]], "question": row["question"]},
            {"answer": row["answer"], "order": row.get("order", 0)},
        )
        report.count(FaqEntry, created)
    for row in _read("answer_templates.json"):
        _, created = _sync(
            AnswerTemplate,
            {"category": categories[row["category"]], "title": row["title"]},
            {"kind": row["kind"], "text": row["text"]},
        )
        report.count(AnswerTemplate, created)
    return report


def _administrators_group():
    group, _ = Group.objects.get_or_create(name=ADMINISTRATORS_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=ADMINISTRATOR_APPS))
    return group


def _load_officials(organizations, categories, report):
    User = get_user_model()
    admins = _administrators_group()
    for row in _read("officials.json"):
        email = User.objects.normalize_email(row["email"])
        user = User.objects.filter_by_email(email).first()
        created = user is None
        if created:
            # No usable password: the official sets one through the password-reset email.
            user = User(email=email)
            user.set_unusable_password()
        is_staff = row["role"] == Official.Role.ADMINISTRATOR or user.is_staff
        if created or (user.full_name, user.is_staff) != (row["full_name"], is_staff):
            user.full_name, user.is_staff = row["full_name"], is_staff
            user.save()
        if row["role"] == Official.Role.ADMINISTRATOR:
            user.groups.add(admins)
        report.count(User, created)
        official, created = _sync(
            Official,
            {"appendix_row": row["row"]},
            {
                "user": user,
                "organization": organizations[row["organization"]],
                "position": row["position"],
                "role": row["role"],
            },
        )
        official.categories.set([categories[k] for k in row["categories"]])
        report.count(Official, created)
