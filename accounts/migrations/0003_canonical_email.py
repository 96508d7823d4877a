"""Store every address in its canonical form (accounts/emails.py), so that the unique index on
`User.email` is uniqueness of the address and every lookup compares for equality.

Rows that fold into an address another account already has were created by spelling that address with
look-alike characters (Kelvin «K», «ſ», ligatures): the account spelt canonically (else the oldest) keeps
the address, the imitations are switched off and parked at an undeliverable address, like a deleted
account. A copy of the canonical function lives here so that this migration never changes meaning.
"""

import unicodedata
from collections import defaultdict

from django.contrib.auth.hashers import make_password
from django.db import migrations


def _canonical(address):
    folded = unicodedata.normalize("NFKC", (address or "").strip()).casefold()
    local, at, domain = folded.rpartition("@")
    if not at:
        return folded
    try:
        domain = domain.encode("idna").decode("idna")
    except UnicodeError:
        pass
    return f"{local}@{domain}"


def canonicalise(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    owners = defaultdict(list)
    for pk, email in User.objects.values_list("pk", "email"):
        owners[_canonical(email)].append((pk, email))
    for canonical, rows in owners.items():
        rows.sort(key=lambda row: (row[1] != canonical, row[0]))
        (keeper_pk, keeper_email), *imitations = rows
        for pk, _ in imitations:
            EmailAddress.objects.filter(user_id=pk).delete()
            User.objects.filter(pk=pk).update(
                email=f"lookalike-{pk}@deleted.invalid", is_active=False, password=make_password(None)
            )
        if keeper_email != canonical:
            User.objects.filter(pk=keeper_pk).update(email=canonical)
    for address in EmailAddress.objects.order_by("-verified", "pk"):
        canonical = _canonical(address.email)
        if canonical == address.email:
            continue
        clash = EmailAddress.objects.filter(user_id=address.user_id, email=canonical)
        if address.verified:
            clash = clash | EmailAddress.objects.filter(email=canonical, verified=True)
        if clash.exclude(pk=address.pk).exists():
            address.delete()
        else:
            EmailAddress.objects.filter(pk=address.pk).update(email=canonical)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_consent_record"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(canonicalise, migrations.RunPython.noop)]
