"""The upgrade path of docs/operations.md as a test (issue 17.4): the previous release's database with data
(tests/ops/old_release.py) → `migrate` → `collectstatic` → gunicorn as deploy/systemd/zarechny-web.service
runs it (DEBUG off, behind a TLS proxy) → the smoke requests of the runbook answer 200. With nginx installed
(CI installs it) the same requests also go through deploy/nginx/zarechny.conf over https."""

import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.ops.helpers import BASE_DIR, PYTHON, fresh_database, manage, server_env

SMOKE = ("/", "/m/{number}/", "/m/{number}/photo/{photo}/thumb/", "/healthz", "/readyz")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is the answer under test, not something to follow


def get(url, headers=None, context=None):
    request = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirects, urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def wait_for(url, process, headers=None, context=None, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url}: the server exited with {process.returncode}")
        try:
            return get(url, headers, context)
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def nginx_in_front(tmp_path, web_port):
    """deploy/nginx/zarechny.conf on a free port in front of gunicorn, or None when nginx is missing."""
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if nginx is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing in CI: .ci/run installs Debian's nginx")
        return None, None
    front = tmp_path / "nginx"
    front.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(front / "key.pem"), "-out", str(front / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    port, plain = free_port(), free_port()
    site = (BASE_DIR / "deploy" / "nginx" / "zarechny.conf").read_text()
    site = re.sub(r"ssl_certificate \S+;", f"ssl_certificate {front / 'cert.pem'};", site)
    site = re.sub(r"ssl_certificate_key \S+;", f"ssl_certificate_key {front / 'key.pem'};", site)
    site = site.replace("/var/log/nginx/", f"{front}/").replace("server_name smart.zarechny.example;", "")
    site = re.sub(r"listen \[::\]:\d+[^;]*;", "", site)
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{plain};")
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{web_port};")
    (front / "site.conf").write_text(site)
    temp = "\n".join(
        f"  {k}_temp_path {front / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (front / "nginx.conf").write_text(
        f"daemon off;\npid {front / 'nginx.pid'};\nerror_log {front / 'error.log'};\nevents {{}}\n"
        f"http {{\n{temp}\n  include {front / 'site.conf'};\n}}\n"
    )
    process = subprocess.Popen(
        [nginx, "-p", str(front), "-c", str(front / "nginx.conf"), "-e", str(front / "error.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    return process, (port, plain)


def test_upgrade_from_the_previous_release_then_smoke_requests(tmp_path):
    var = tmp_path / "var"
    with fresh_database(tmp_path, "upgrade") as url:
        # the settings of deploy/zarechny.env.example that matter here: DEBUG off, behind a TLS proxy
        env = server_env(
            url,
            var,
            DEBUG="0",
            SECRET_KEY="upgrade-test-" + "x" * 50,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            BEHIND_TLS_PROXY="1",
            TRUSTED_PROXY_COUNT="1",
        )
        old = subprocess.run(
            [PYTHON, "-m", "tests.ops.old_release"], cwd=BASE_DIR, env=env, capture_output=True, text=True
        )
        assert old.returncode == 0, old.stderr
        old = json.loads(old.stdout.strip().splitlines()[-1])
        behind = [(app, name) for app, name in old["targets"] if name != old["newest"][app]]
        assert behind, "the previous state equals the newest: nothing to upgrade"

        # the runbook's upgrade steps (docs/operations.md, "Upgrade")
        for step in (["migrate", "--noinput"], ["collectstatic", "--noinput", "-v0"]):
            result = manage(*step, env=env)
            assert result.returncode == 0, (step, result.stdout, result.stderr)
        assert "No migrations to apply" in manage("migrate", "--noinput", env=env).stdout

        log = tmp_path / "web.log"
        web, port = start_gunicorn(env, log)
        try:
            run_smoke(old, port, web, tmp_path)
        except AssertionError as failure:
            stop(web)
            raise AssertionError(f"{failure}\n--- gunicorn's log:\n{log.read_text()[-5000:]}") from None
        finally:
            stop(web)
        assert "Traceback" not in log.read_text(), log.read_text()


def start_gunicorn(env, log, attempts=3):
    """gunicorn on a free port. The port is free when asked for but may be taken by another process before
    gunicorn binds it: then gunicorn exits at once saying so, and another port is tried."""
    for _ in range(attempts):
        port = free_port()
        with log.open("wb") as log_file:
            web = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "zarechny.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=log_file, start_new_session=True,
            )  # fmt: skip
        try:
            wait_for(f"http://127.0.0.1:{port}/healthz", web)
        except AssertionError:
            stop(web)
            if "Address already in use" in log.read_text():
                continue
            raise AssertionError(f"gunicorn did not start:\n{log.read_text()[-5000:]}") from None
        return web, port
    raise AssertionError(f"no free port for gunicorn in {attempts} attempts")


def run_smoke(old, port, web, tmp_path):
    front = None
    try:
        # as nginx forwards it: https at the proxy
        proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
        wait_for(f"http://127.0.0.1:{port}/healthz", web)
        for path in SMOKE:
            status, _, body = get(f"http://127.0.0.1:{port}{path.format(**old)}", proxied)
            assert status == 200, (path, status, body[:500])
        status, _, body = get(
            f"http://127.0.0.1:{port}/m/{old['number']}/photo/{old['photo']}/thumb/", proxied
        )
        assert len(body) == old["thumbnail_size"]
        status, _, body = get(f"http://127.0.0.1:{port}/m/{old['number']}/", proxied)
        assert "Яма у подъезда (данные до обновления)" in body.decode()
        # plain http without the proxy's header is sent to https (BEHIND_TLS_PROXY), probes are not
        assert get(f"http://127.0.0.1:{port}/", {})[0] == 301
        assert get(f"http://127.0.0.1:{port}/readyz", {})[0] == 200

        front, ports = nginx_in_front(tmp_path, port)
        if front is not None:
            tls, plain = ports
            insecure = ssl.create_default_context()
            insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE
            wait_for(f"https://127.0.0.1:{tls}/healthz", front, context=insecure)
            for path in SMOKE:
                status, headers, body = get(f"https://127.0.0.1:{tls}{path.format(**old)}", context=insecure)
                assert status == 200, (path, status, body[:500])
                assert len(headers.get_all("X-Request-ID")) == 1, path
            assert "Strict-Transport-Security" in headers  # the app saw https (X-Forwarded-Proto)
            assert get(f"https://127.0.0.1:{tls}/metrics", context=insecure)[0] == 404  # never public
            status, headers, _ = get(f"http://127.0.0.1:{plain}/", {})
            assert status == 301 and headers["Location"].startswith("https://")
            assert get(f"http://127.0.0.1:{plain}/healthz", {})[0] == 200
    finally:
        if front is not None:
            stop(front)
