import io

import pytest
from django.core.management import call_command


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test writes its files into its own folder, never into var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _fresh_stats_cache():
    """The rendered statistics reports are kept keyed by the refresh time, which tests repeat
    (refresh_rollups(now=NOW)): no test may see another's report. (In the shared cache — the database
    cache in tests — they roll back with the test; STATS_CACHE=stats keeps them in process memory.)"""
    from django.core.cache import caches

    caches["stats"].clear()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request, django_db_blocker):
    """Rate-limit counters live in the database cache (issue 11), whose table a transactional test's flush
    does not empty: clear it after such a test, so no test inherits another's hits. (Other tests roll the
    table back with everything else.)"""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames)
    if transactional or (marker is not None and marker.kwargs.get("transaction")):
        from django.core.cache import cache

        with django_db_blocker.unblock():
            cache.clear()


@pytest.fixture(autouse=True)
def _fresh_redis(settings):
    """With REDIS_URL (the production-like run) the shared cache is Redis, which no test's rollback
    empties: versions, kept guest pages, sessions and rate-limit counters would outlive their test (a
    guest page kept by one test was served to the next under the same message number). Each test starts
    from an empty database of its own Redis (REDIS_URL names one per person)."""
    if settings.REDIS_URL:
        from django.core.cache import cache

        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_page_fragments():
    """Shared page fragments (portal/pagecache.py) live in each process's memory, outside the database:
    no test may find a fragment another test rendered."""
    from django.core.cache import caches

    caches["pages"].clear()


@pytest.fixture
def reference_data(db):
    """The real Appendix 2 and topic tree, loaded the way production loads them."""
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())


# --- the cast (STYLE.md): one person per role, in a small world of two organisations ---------------


@pytest.fixture
def world(db):
    from tests.factories import CategoryFactory, OrganizationFactory, RejectionReasonFactory, TopicFactory

    administration = OrganizationFactory(key="adm", name="Администрация", short_name="Администрация")
    kbu = OrganizationFactory(key="kbu", name="МКУ «КБУ»", short_name="МКУ «КБУ»")
    roads = TopicFactory(key="roads", name="Дороги")
    potholes = CategoryFactory(
        key="potholes", name="Ямы на дорогах", topic=roads, responsible_organization=administration
    )
    potholes.participating_organizations.add(kbu)
    lighting = CategoryFactory(
        key="lighting", name="Освещение", topic=roads, responsible_organization=administration
    )
    RejectionReasonFactory(code="obscene", title="Нецензурная лексика")
    RejectionReasonFactory(code="duplicate", title="Дубликат", regulation_ref="§4.4")
    return {"administration": administration, "kbu": kbu, "potholes": potholes, "lighting": lighting}


@pytest.fixture
def category(world):
    return world["potholes"]


def _official(world, email, org, role, categories):
    from tests.factories import OfficialFactory, UserFactory

    user = UserFactory(email=email)
    OfficialFactory(user=user, organization=world[org], role=role, categories=[world[c] for c in categories])
    user.refresh_from_db()
    return user


@pytest.fixture
def citizen(db):
    from tests.factories import UserFactory

    return UserFactory(email="alice@example.ru", full_name="Алиса Иванова")


@pytest.fixture
def other_citizen(db):
    from tests.factories import UserFactory

    return UserFactory(email="bob@example.ru", full_name="Борис Петров")


@pytest.fixture
def moderator(world):
    return _official(world, "moderator@adm.ru", "administration", "moderator", ["potholes"])


@pytest.fixture
def other_category_moderator(world):
    return _official(world, "lighting-mod@adm.ru", "administration", "moderator", ["lighting"])


@pytest.fixture
def executor(world):
    return _official(world, "executor@adm.ru", "administration", "executor", ["potholes"])


@pytest.fixture
def other_org_executor(world):
    return _official(world, "executor@kbu.ru", "kbu", "executor", ["potholes"])


@pytest.fixture
def supervisor(world):
    return _official(world, "supervisor@city.ru", "administration", "supervisor", [])


@pytest.fixture
def admin_user(world):
    user = _official(world, "admin@city.ru", "administration", "administrator", [])
    user.is_staff = True
    user.is_superuser = True
    user.save()
    return user
