#!/bin/sh
# Run manage.py of this release with the services' settings, as the services' user:
#   sudo -u zarechny /srv/zarechny/current/deploy/manage.sh migrate
# ZARECHNY_ENV_FILE overrides the settings file (default /etc/zarechny/zarechny.env).
set -eu
env_file="${ZARECHNY_ENV_FILE:-/etc/zarechny/zarechny.env}"
app_dir="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -r "$env_file" ]; then
    echo "manage.sh: cannot read $env_file (run as the zarechny user, or set ZARECHNY_ENV_FILE)" >&2
    exit 1
fi
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a
cd "$app_dir"
exec .venv/bin/python manage.py "$@"
