"""One canonical form of an e-mail address, used by every lookup and stored in `User.email` (unique).

Why: the database's own case mapping is not Python's. PostgreSQL's UPPER() maps the dotless «ı» to «I»,
so `email__iexact` found "cıtizen@…" and "citizen@…" as one address while the unique index on
LOWER(email) kept them apart: a stranger's sign-up turned the owner's login into a 500
(MultipleObjectsReturned). Comparing one canonical string for equality, computed in Python, gives the same
answer on SQLite and PostgreSQL.

The canonical form: Unicode NFKC, then case folding (UTS #36 2.11.2 B.2, as allauth compares), the domain
through IDNA (so «ПОЧТА.РФ» and «xn--80a1acny.xn--p1ai» are one domain, kept readable). Django's
address validator lets through exactly four non-ASCII letters in the local part (it matches [A-Z] with
re.IGNORECASE): «K» (Kelvin) and «ſ» fold to plain "k" and "s" and so become the address they imitate;
«ı» and «İ» do not fold to ASCII, and `email_clean` refuses them. A domain label may be plain ASCII or
written in another script, never a mix of both («gmaіl» with a Cyrillic «і», «cıty»).
"""

import contextlib
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

LOOKALIKE_MESSAGE = (
    "В адресе есть буквы, которые только похожи на латинские (например, «ı» без точки или кириллическая "
    "«а»). Введите адрес так, как он записан у вашего почтового сервиса, обычными латинскими буквами."
)


def canonical_email(address: str) -> str:
    """The canonical form of `address`; never refuses (see `email_clean` for that).

    Total on any string so that stored legacy rows and lookups with odd input both get a value: a
    malformed domain keeps its folded spelling instead of raising.
    """
    folded = unicodedata.normalize("NFKC", (address or "").strip()).casefold()
    local, at, domain = folded.rpartition("@")
    if not at:
        return folded
    with contextlib.suppress(UnicodeError):  # malformed (e.g. an empty label): keep the folded text
        domain = domain.encode("idna").decode("idna")
    return f"{local}@{domain}"


def _label_mixes_scripts(label: str) -> bool:
    has_ascii_letter = any(c.isascii() and c.isalpha() for c in label)
    has_other_letter = any(not c.isascii() and c.isalpha() for c in label)
    return has_ascii_letter and has_other_letter


def is_lookalike(canonical: str) -> bool:
    """True when the canonical address still imitates a plain one (see the module docstring)."""
    local, _, domain = canonical.rpartition("@")
    return not local.isascii() or any(_label_mixes_scripts(label) for label in domain.split("."))


def email_clean(address: str) -> str:
    """Validate an address typed by a person and return its canonical form.

    Raises ValidationError (Russian text, code "lookalike") for addresses that imitate another one.
    """
    validate_email(address)
    canonical = canonical_email(address)
    if is_lookalike(canonical):
        raise ValidationError(LOOKALIKE_MESSAGE, code="lookalike")
    validate_email(canonical)
    return canonical
