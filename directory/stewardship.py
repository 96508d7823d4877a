"""Who keeps which reference data (§2.2, §2.5, §9.2): the one rule, used by the services (which refuse)
and by the selectors (which scope what the back-office shows).

- The contacts of an organisation (address, phones, e-mail, web site, working hours) are kept by every
  active official of that organisation, whatever the role: §2.5 makes each responsible official answer
  for «актуальность и достоверность сведений», and an organisation may have only executors (ООО «Ремстрой-
  сервис», row 26) or only a moderator (МП «Горэлектросеть», row 15). Nobody edits another organisation's.
- The typical questions and answers (FAQ) of a category are kept by the active officials of the category's
  responsible organisation (§2.7 item 2: the organisation that prepares the answers). The other
  organisations taking part in the category, and the moderators of other organisations, read them and can
  propose changes, but a category's list has one owner.
- Anyone else — officials of other organisations, the supervisors, citizens — edits neither. The
  administrators keep every row in the Django admin, as before.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from .models import Category, Official, Organization

# The fields an organisation owns; `bootstrap --check` does not compare them with fixtures/ (loader.py).
CONTACT_FIELDS = ("address", "phones", "email", "website", "working_hours")

NOT_ACTIVE = "Ваша роль должностного лица не действует."
NOT_YOUR_ORGANIZATION = "Контакты организации ведут её должностные лица."
NOT_YOUR_CATEGORY = "Типовые вопросы категории ведёт её ответственная организация."


def may_edit_contacts(official: Official | None, organization: Organization) -> bool:
    return official is not None and official.is_active and official.organization_id == organization.pk


def faq_categories(official: Official | None) -> QuerySet[Category]:
    """The categories whose typical questions this official keeps: those their organisation is
    responsible for and that are in use (a retired category's questions are not shown to anyone)."""
    if official is None or not official.is_active:
        return Category.objects.none()
    return Category.objects.filter(responsible_organization_id=official.organization_id, is_active=True)


def may_edit_faq(official: Official | None, category: Category) -> bool:
    return faq_categories(official).filter(pk=category.pk).exists()


def check_may_edit_contacts(official: Official, organization: Organization) -> None:
    if not may_edit_contacts(official, organization):
        raise PermissionDenied(NOT_YOUR_ORGANIZATION)


def check_may_edit_faq(official: Official, category: Category) -> None:
    if not may_edit_faq(official, category):
        raise PermissionDenied(NOT_YOUR_CATEGORY)
