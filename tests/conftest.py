import io

import pytest
from django.core.management import call_command


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test writes its files into its own folder, never into var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def reference_data(db):
    """The real Appendix 2 and topic tree, loaded the way production loads them."""
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
