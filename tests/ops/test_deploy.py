"""The deployment recipe in deploy/ (issue 17.4), checked by its own tools where they exist:
the settings template against zarechny/settings.py, `systemd-analyze verify` on the units, `nginx -t` on
the site (CI installs Debian's nginx: .ci/run), the upload limit and proxy headers against the settings."""

import ast
import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from messages.photos import MAX_FILES

BASE_DIR = Path(settings.BASE_DIR)
DEPLOY = BASE_DIR / "deploy"
TEMPLATE = DEPLOY / "zarechny.env.example"
UNITS = sorted((DEPLOY / "systemd").glob("*.service")) + sorted((DEPLOY / "systemd").glob("*.timer"))
SITE = DEPLOY / "nginx" / "zarechny.conf"
UNITS_MARKER = "# --- read by the systemd units"
KEY_LINE = re.compile(r"^#?([A-Z][A-Z0-9_]*)=(.*)$")
# Where the recipe puts things, and what the tests put there instead.
APP, VAR, ENV_FILE, BACKUPS = (
    "/srv/zarechny/current",
    "/srv/zarechny/var",
    "/etc/zarechny/zarechny.env",
    ("/var/backups/zarechny"),
)


def settings_keys():
    """Every variable zarechny/settings.py reads: env.str("X"), env.int(...), environ.Env().str("X") …"""
    tree = ast.parse((BASE_DIR / "zarechny" / "settings.py").read_text())
    keys = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
            continue
        first, owner = node.args[0], node.func.value
        is_env = (isinstance(owner, ast.Name) and owner.id == "env") or (
            isinstance(owner, ast.Call) and isinstance(owner.func, ast.Attribute) and owner.func.attr == "Env"
        )
        if is_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
            keys.add(first.value)
    return keys


def template_keys():
    """(settings part, units part): key → value, commented-out defaults included."""
    text = TEMPLATE.read_text()
    head, _, tail = text.partition(UNITS_MARKER)

    def keys(part):
        return {m[1]: m[2] for line in part.splitlines() if (m := KEY_LINE.match(line))}

    return keys(head), keys(tail)


def test_settings_reads_many_variables():
    keys = settings_keys()  # the parser itself works: the names every deployment sets are found
    assert {
        "DATABASE_URL",
        "SECRET_KEY",
        "VAR_DIR",
        "TRUSTED_PROXY_COUNT",
        "SUPPORT_GUEST_RATE_PER_HOUR",
    } <= keys


def test_env_template_lists_exactly_the_settings_the_code_reads():
    in_settings, _ = template_keys()
    missing = settings_keys() - set(in_settings)
    stale = set(in_settings) - settings_keys()
    assert not missing, f"add to deploy/zarechny.env.example: {sorted(missing)}"
    assert not stale, f"no longer read by zarechny/settings.py: {sorted(stale)}"


def test_units_use_exactly_the_unit_variables_of_the_template():
    _, for_units = template_keys()
    used = {name for unit in UNITS for name in re.findall(r"\$\{([A-Z_]+)\}", unit.read_text())}
    assert used == set(for_units)
    assert all(value for value in for_units.values())


def test_env_template_passes_the_deploy_checks(tmp_path):
    """The template as it stands (secret filled in) starts Django with no deployment warning, read the way
    deploy/manage.sh reads it (sh), which is also how systemd reads the quoting used."""
    text = TEMPLATE.read_text().replace("SECRET_KEY=CHANGE_ME", f"SECRET_KEY={secrets.token_urlsafe(50)}")
    text = text.replace(f"VAR_DIR={VAR}", f"VAR_DIR={tmp_path / 'var'}")
    env_file = tmp_path / "zarechny.env"
    env_file.write_text(text)
    result = subprocess.run(
        [str(DEPLOY / "manage.sh"), "check", "--deploy", "--fail-level", "WARNING"],
        env={"PATH": os.environ["PATH"], "ZARECHNY_ENV_FILE": str(env_file)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_units_are_hardened_and_write_only_var():
    in_settings, _ = template_keys()
    assert in_settings["VAR_DIR"] == VAR
    for unit in UNITS:
        if unit.suffix != ".service":
            continue
        text = unit.read_text()
        for line in (
            "User=zarechny",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "PrivateTmp=yes",
            f"EnvironmentFile={ENV_FILE}",
            "CapabilityBoundingSet=",
        ):
            assert re.search(rf"^{re.escape(line)}$", text, re.M), (unit.name, line)
        writable = re.search(r"^ReadWritePaths=(.*)$", text, re.M)[1].split()
        assert VAR in writable, unit.name


def _rewritten(text, tmp_path):
    """The recipe's paths → this checkout and scratch folders, so every path the units name resolves."""
    return (
        text.replace(APP, str(BASE_DIR))
        .replace(VAR, str(tmp_path / "var"))
        .replace(ENV_FILE, str(tmp_path / "zarechny.env"))
        .replace(BACKUPS, str(tmp_path / "backups"))
    )


def test_systemd_units_pass_systemd_analyze_verify(tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (Debian: the systemd package)")
    units = tmp_path / "units"
    units.mkdir()
    (tmp_path / "var").mkdir()
    (tmp_path / "backups").mkdir()
    (tmp_path / "zarechny.env").write_text(TEMPLATE.read_text())
    for unit in UNITS:
        (units / unit.name).write_text(_rewritten(unit.read_text(), tmp_path))
    result = subprocess.run(
        [tool, "verify", "--man=no", *sorted(str(p) for p in units.iterdir())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Unknown keys and bad lines are only warnings (exit 0): any line about our units fails the test.
    ours = [line for line in (result.stdout + result.stderr).splitlines() if "zarechny" in line]
    assert result.returncode == 0 and not ours, result.stdout + result.stderr


def _nginx():
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing in CI: .ci/run installs Debian's nginx")
        pytest.skip("nginx is not installed here (CI installs Debian's nginx: .ci/run)")
    return found


def test_nginx_site_passes_nginx_t(tmp_path):
    nginx = _nginx()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = SITE.read_text()
    site = re.sub(r"ssl_certificate \S+;", f"ssl_certificate {tmp_path / 'cert.pem'};", site)
    site = re.sub(r"ssl_certificate_key \S+;", f"ssl_certificate_key {tmp_path / 'key.pem'};", site)
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    temp_paths = "\n".join(
        f"    {kind}_temp_path {tmp_path / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{\n{temp_paths}\n    access_log {tmp_path / 'access.log'};\n    include {tmp_path / 'site.conf'};\n}}\n"
    )
    result = subprocess.run(
        [
            nginx,
            "-t",
            "-p",
            str(tmp_path),
            "-c",
            str(tmp_path / "nginx.conf"),
            "-e",
            str(tmp_path / "error.log"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # Tolerated: `user` is ignored when nginx -t runs unprivileged; nginx >= 1.25 prefers `http2 on;` to
    # `listen … http2` (Debian 12 has 1.22, which knows only the latter).
    tolerated = ('"user" directive makes sense only', '"listen ... http2" directive is deprecated')
    warnings = [
        line
        for line in result.stderr.splitlines()
        if "[warn]" in line and not any(t in line for t in tolerated)
    ]
    assert not warnings and "[emerg]" not in result.stderr, result.stderr


def _size(value):
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()
    return int(number) * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[unit.lower()]


def test_nginx_upload_limit_matches_the_settings():
    limits = re.findall(r"client_max_body_size (\S+);", SITE.read_text())
    assert len(limits) == 1
    largest = MAX_FILES * max(settings.PHOTO_MAX_BYTES, settings.ANSWER_PDF_MAX_BYTES)
    largest += settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # the form's other fields
    assert largest <= _size(limits[0]) <= largest + 2**20


def test_nginx_proxy_headers_match_the_proxy_settings():
    in_settings, _ = template_keys()
    assert in_settings["TRUSTED_PROXY_COUNT"] == "1" and in_settings["BEHIND_TLS_PROXY"] == "1"
    site = SITE.read_text()
    # one proxy: X-Forwarded-For holds exactly the peer nginx saw, whatever the client sent
    assert re.search(r"proxy_set_header X-Forwarded-For \$remote_addr;", site)
    assert "$proxy_add_x_forwarded_for" not in site
    assert re.search(r"proxy_set_header X-Forwarded-Proto \$scheme;", site)
    assert re.search(r"proxy_set_header X-Request-ID \$request_id;", site)
    assert re.search(r"listen 443 ssl", site) and "return 301 https://" in site
    assert re.search(r"location = /metrics \{\s*return 404;", site)  # scraped on the nodes, never public
    # the upstream port is the template's GUNICORN_BIND
    _, for_units = template_keys()
    assert f"server {for_units['GUNICORN_BIND']};" in site
