"""Security headers, the production configuration and DEBUG (issue 11, item 9)."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from messages import services
from tests.factories import registered, submit

ROOT = Path(__file__).resolve().parent.parent
# <script> without src= (JSON data blocks are not executed, so CSP lets them be), <style>, style="".
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>|<style[\s>]|\sstyle\s*=",
    re.IGNORECASE,
)


def _run(code, env_overrides):
    env = {
        k: v
        for k, v in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE: set for live_server by the browser tests' conftest, never in production
        if k
        not in {
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DEBUG",
            "TESTING",
            "BEHIND_TLS_PROXY",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "zarechny.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "smart.zarechny.example",
    "BEHIND_TLS_PROXY": "1",
}


def test_debug_is_off_unless_set():
    result = _run(
        "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)", PRODUCTION
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_without_debug_the_development_secret_key_is_refused():
    result = _run("import django; django.setup()", {"ALLOWED_HOSTS": "smart.zarechny.example"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_in_production():
    result = _run(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr


@pytest.mark.django_db
def test_csp_has_no_unsafe_inline_and_permissions_policy_is_sent(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "geolocation=(self)" in response.headers["Permissions-Policy"]
    assert "camera=()" in response.headers["Permissions-Policy"]


@pytest.mark.django_db
def test_hsts_on_https_behind_the_proxy(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def _assert_no_inline(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    found = INLINE.findall(html)
    assert not found, f"{url}: {found}"


@pytest.mark.django_db
def test_pages_have_no_inline_script_or_style(client, citizen, moderator, executor, admin_user, category):
    from directory.models import RejectionReason

    public = registered(citizen, category, moderator)
    rejected = submit(citizen, category)
    services.message_reject(
        message=rejected, actor=moderator, reasons=list(RejectionReason.objects.filter(code="obscene"))
    )
    fresh = submit(citizen, category)
    guest_pages = [
        "/",
        reverse("portal:message_list"),
        reverse("portal:message", kwargs={"number": public.number}),
        reverse("portal:lookup"),
        reverse("portal:consent"),
        reverse("stats:public"),
        reverse("organization_list"),
        reverse("faq"),
        reverse("rules"),
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
    ]
    for url in guest_pages:
        _assert_no_inline(client, url)

    client.force_login(citizen)
    for url in [
        reverse("portal:submit") + f"?category={category.key}",
        reverse("portal:cabinet"),
        reverse("portal:notifications"),
        reverse("portal:profile"),
        reverse("portal:account_delete"),
        reverse("portal:message", kwargs={"number": rejected.number}),
        reverse("portal:edit", kwargs={"number": rejected.number}),
        reverse("account_change_password"),
    ]:
        _assert_no_inline(client, url)

    client.force_login(moderator)
    for url in [
        reverse("office:home"),
        reverse("office:moderation_queue"),
        reverse("office:answer_queue"),
        reverse("office:reassign_requests"),
        reverse("office:review", kwargs={"number": fresh.number}),
        reverse("stats:staff"),
    ]:
        _assert_no_inline(client, url)

    client.force_login(executor)
    _assert_no_inline(client, reverse("office:answer", kwargs={"number": public.number}))

    client.force_login(admin_user)
    for url in [
        reverse("admin:directory_category_changelist"),
        reverse("admin:directory_official_add"),
        reverse("admin:directory_coverage"),
    ]:
        _assert_no_inline(client, url)
