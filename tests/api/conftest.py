import pytest
from allauth.account.models import EmailAddress

from accounts import services as accounts_services
from accounts.models import ApiClient


@pytest.fixture(autouse=True)
def _opendata_root(settings, tmp_path):
    settings.OPENDATA_ROOT = tmp_path / "opendata"


def verify(user):
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


@pytest.fixture
def api_client_key(world):
    """A registered client and its key (as the admin shows it once)."""
    client = ApiClient(name="Наш город — агрегатор", rate_limit="1000/1h")
    key = accounts_services.api_client_issue_key(client=client)
    return client, key


@pytest.fixture
def consenting_citizen(citizen, api_client_key, world):
    verify(citizen)
    accounts_services.api_consent_give(user=citizen, client=api_client_key[0])
    return citizen
