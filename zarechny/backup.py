"""Backups that restore: `manage.py backup` and `manage.py restore` (docs/operations.md, "Backups").

One archive (an uncompressed tar: the database dump is compressed already, photos are JPEG) holds

    database.dump        pg_dump --format=custom (PostgreSQL), or
    database.sqlite3     a consistent copy made with SQLite's online backup API
    private/…            the private photo and document store (PRIVATE_MEDIA_ROOT)
    media/…              public media (MEDIA_ROOT)
    manifest.json        last: format, time, app version, the applied migrations, and the size and
                         sha256 of every other member

The database is dumped first, the files copied after it: photos and documents are written under new
random names before the rows that name them are committed, and never rewritten, so every file a row of
the dump names is in the archive (unless it was deleted meanwhile, e.g. by an account deletion).

`restore` verifies the whole archive (every member listed, every checksum right, nothing extra) before it
changes anything, refuses a database or store that is not empty unless --force, and refuses an archive
made by a newer release (migrations this code does not know).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "zarechny-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP_MEMBERS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
# Rate-limit counters: worthless after a restore, and their table is recreated by migrate anyway.
EXCLUDED_TABLE_DATA = ("zarechny_cache",)
READ_SIZE = 1024 * 1024


class BackupError(Exception):
    """Backup or restore cannot go on; the message says why, for the operator."""


@dataclass(frozen=True)
class Store:
    prefix: str  # folder inside the archive
    root: Path


def stores() -> list[Store]:
    return [
        Store("private", Path(settings.PRIVATE_MEDIA_ROOT)),
        Store("media", Path(settings.MEDIA_ROOT)),
    ]


def app_version() -> dict[str, str | None]:
    base = Path(settings.BASE_DIR)
    version = None
    try:
        with open(base / "pyproject.toml", "rb") as f:
            version = tomllib.load(f)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        pass
    commit = None
    try:
        result = subprocess.run(
            ["git", "-C", str(base), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if result.returncode == 0:
            commit = result.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    return {"version": version, "commit": commit}


def applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _pg_environment() -> dict[str, str]:
    """libpq's variables for the configured database (the password never appears on a command line)."""
    params = connection.settings_dict
    env = dict(os.environ)
    for key, variable in (
        ("NAME", "PGDATABASE"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
    ):
        if params.get(key):
            env[variable] = str(params[key])
    options = params.get("OPTIONS") or {}
    for option, variable in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
    ):
        if options.get(option):
            env[variable] = str(options[option])
    return env


def _run(command: list[str], what: str) -> None:
    try:
        result = subprocess.run(command, env=_pg_environment(), capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed: install the PostgreSQL client tools (postgresql-client) "
            "of the server's major version or newer."
        ) from None
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}):\n{result.stderr.strip()}")


def dump_database(target: Path) -> dict[str, Any]:
    """Write a consistent copy of the database to `target`; returns the manifest's `database` entry."""
    vendor = connection.vendor
    if vendor == "postgresql":
        command = ["pg_dump", "--format=custom", "--no-owner", "--no-acl", f"--file={target}"]
        command += [f"--exclude-table-data={table}" for table in EXCLUDED_TABLE_DATA]
        _run(command, "pg_dump")
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = cursor.fetchone()[0]
        return {"vendor": vendor, "member": DUMP_MEMBERS[vendor], "server_version": server}
    if vendor == "sqlite":
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)  # the online backup API: a consistent snapshot
            destination.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside
        finally:
            destination.close()
        return {"vendor": vendor, "member": DUMP_MEMBERS[vendor], "server_version": sqlite3.sqlite_version}
    raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")


def _store_files(store: Store) -> Iterator[tuple[str, Path]]:
    if not store.root.is_dir():
        return
    for path in sorted(store.root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield f"{store.prefix}/{path.relative_to(store.root).as_posix()}", path


class _HashingReader(io.RawIOBase):
    def __init__(self, raw: BinaryIO, advance: Callable[[int], None]):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.advance = advance

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha256.update(data)
        self.size += len(data)
        self.advance(len(data))
        return data


def _add_file(tar: tarfile.TarFile, name: str, path: Path, advance: Callable[[int], None]) -> dict[str, Any]:
    with open(path, "rb") as raw:
        info = tar.gettarinfo(fileobj=raw, arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o640
        reader = _HashingReader(raw, advance)
        tar.addfile(info, reader)
    if reader.size != info.size:
        raise BackupError(f"{path} changed size while it was being copied; run the backup again.")
    return {"sha256": reader.sha256.hexdigest(), "size": reader.size}


def default_archive_name(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"zarechny-{now:%Y%m%d-%H%M%S}.tar"


def make_backup(archive: Path, *, stream: Any, log: Callable[[str], None]) -> dict[str, Any]:
    """Write the archive (first as `<name>.partial`, renamed when complete) and return its manifest."""
    from .progress import progress

    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(archive.name + ".partial")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="zarechny-backup-") as scratch:
        dump = Path(scratch) / "database"
        migrations = applied_migrations()
        database = dump_database(dump)
        log(
            f"database ({database['vendor']}) dumped: {dump.stat().st_size / 2**20:.1f} MB "
            f"in {time.monotonic() - started:.1f} s"
        )
        files = [(database["member"], dump)]
        for store in stores():
            files.extend(_store_files(store))
        total = 0
        for _, path in files:
            with contextlib.suppress(FileNotFoundError):
                total += path.stat().st_size
        members: dict[str, dict[str, Any]] = {}
        counts = {store.prefix: 0 for store in stores()}
        try:
            with (
                tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar,
                progress(total, "backup", stream=stream, unit="B") as bar,
            ):
                for name, path in files:
                    try:
                        members[name] = _add_file(tar, name, path, bar.update)
                    except FileNotFoundError:
                        log(f"skipped {name}: deleted while the backup ran")
                        continue
                    prefix = name.split("/", 1)[0]
                    if prefix in counts:
                        counts[prefix] += 1
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "app": app_version(),
                    "database": database,
                    "migrations": migrations,
                    "files": counts,
                    "members": members,
                }
                data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(data), 0o640, int(time.time())
                tar.addfile(info, io.BytesIO(data))
            with open(partial, "rb") as f:
                os.fsync(f.fileno())
            partial.replace(archive)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return manifest


# --- restore -----------------------------------------------------------------------------------------


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and "\\" not in name
        and (name in (MANIFEST, *DUMP_MEMBERS.values()) or path.parts[0] in {s.prefix for s in stores()})
    )


def read_verified(archive: Path, *, stream: Any) -> tuple[tarfile.TarFile, dict[str, Any]]:
    """Open the archive and check it completely: raises BackupError on any damage, changes nothing."""
    from .progress import progress

    try:
        tar = tarfile.open(archive, "r:")  # noqa: SIM115 (returned open to the caller, closed on errors)
        members = tar.getmembers()
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise BackupError(f"{archive} is not a readable backup archive ({exc}).") from None
    try:
        by_name = {m.name: m for m in members}
        if len(by_name) != len(members):
            raise BackupError("The archive holds a member twice: it is not one made by `backup`.")
        if MANIFEST not in by_name:
            raise BackupError("The archive has no manifest.json: it is damaged or not made by `backup`.")
        try:
            manifest = json.loads(_read_member(tar, by_name[MANIFEST]))
        except (ValueError, UnicodeDecodeError):
            raise BackupError("manifest.json is damaged (not valid JSON).") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupError("manifest.json does not describe a backup of this platform.")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"Backup format {manifest.get('format_version')!r}; this release reads {FORMAT_VERSION}."
            )
        listed: dict[str, dict[str, Any]] = manifest.get("members") or {}
        present = set(by_name) - {MANIFEST}
        if missing := sorted(set(listed) - present):
            raise BackupError(f"Members missing from the archive: {', '.join(missing[:5])}")
        if extra := sorted(present - set(listed)):
            raise BackupError(f"Members not in the manifest: {', '.join(extra[:5])}")
        database = manifest.get("database") or {}
        if database.get("member") not in listed:
            raise BackupError("The archive holds no database dump.")
        with progress(sum(int(e["size"]) for e in listed.values()), "verify", stream=stream, unit="B") as bar:
            for name, expected in sorted(listed.items()):
                member = by_name[name]
                if not member.isfile() or not _safe_member_name(name):
                    raise BackupError(f"Unexpected member {name!r} in the archive.")
                digest, size = _digest(tar, member, bar.update)
                if size != expected["size"] or digest != expected["sha256"]:
                    raise BackupError(f"Checksum mismatch for {name}: the archive is damaged.")
    except BackupError:
        tar.close()
        raise
    except (OSError, tarfile.TarError, EOFError, KeyError, TypeError, ValueError) as exc:
        tar.close()
        raise BackupError(f"The archive is damaged ({exc.__class__.__name__}: {exc}).") from None
    return tar, manifest


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    f = tar.extractfile(member)
    if f is None:
        raise BackupError(f"{member.name} is not a file.")
    data = f.read()
    if len(data) != member.size:
        raise BackupError(f"{member.name} is truncated.")
    return data


def _digest(tar: tarfile.TarFile, member: tarfile.TarInfo, advance: Callable[[int], None]) -> tuple[str, int]:
    f = tar.extractfile(member)
    if f is None:
        raise BackupError(f"{member.name} is not a file.")
    sha, size = hashlib.sha256(), 0
    while chunk := f.read(READ_SIZE):
        sha.update(chunk)
        size += len(chunk)
        advance(len(chunk))
    return sha.hexdigest(), size


def unknown_migrations(manifest: dict[str, Any]) -> list[str]:
    """Migrations the backup's database has and this code does not: it was made by a newer release."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return sorted(
        f"{app}.{name}"
        for app, names in (manifest.get("migrations") or {}).items()
        for name in names
        if (app, name) not in known
    )


def database_tables() -> list[str]:
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


def store_files() -> list[str]:
    return [name for store in stores() for name, _ in _store_files(store)]


def _empty_postgresql() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")


def _empty_store(store: Store) -> None:
    if not store.root.is_dir():
        return
    for child in store.root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def restore_backup(
    tar: tarfile.TarFile, manifest: dict[str, Any], *, force: bool, stream: Any, log: Callable[[str], None]
) -> None:
    """Restore a verified archive (read_verified) into the configured database and stores."""
    from .progress import progress

    database = manifest["database"]
    vendor = connection.vendor
    if database.get("vendor") != vendor:
        raise BackupError(
            f"The backup is of a {database.get('vendor')} database; DATABASE_URL points to {vendor}."
        )
    if unknown := unknown_migrations(manifest):
        raise BackupError(
            "The backup was made by a newer release (migrations this code does not have: "
            f"{', '.join(unknown[:5])}). Restore with that release or a later one."
        )
    tables, files = database_tables(), store_files()
    if (tables or files) and not force:
        what = []
        if tables:
            what.append(f"the database has {len(tables)} tables")
        if files:
            what.append(f"the file stores hold {len(files)} files")
        raise BackupError(
            f"Refusing to restore over existing data: {' and '.join(what)}. Restore into an empty "
            "database and empty PRIVATE_MEDIA_ROOT / MEDIA_ROOT, or pass --force to replace them."
        )

    with tempfile.TemporaryDirectory(prefix="zarechny-restore-") as scratch:
        dump = Path(scratch) / "database"
        with open(dump, "wb") as out:
            source = tar.extractfile(database["member"])
            assert source is not None
            shutil.copyfileobj(source, out, READ_SIZE)
        if force:
            for store in stores():
                _empty_store(store)
        started = time.monotonic()
        if vendor == "postgresql":
            if force and tables:
                _empty_postgresql()
            connection.close()
            _run(
                ["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
                 f"--dbname={connection.settings_dict['NAME']}", str(dump)],
                "pg_restore",
            )  # fmt: skip
        else:
            connection.close()
            target = sqlite3.connect(connection.settings_dict["NAME"])
            source_db = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
            try:
                source_db.backup(target)
            finally:
                source_db.close()
                target.close()
        log(f"database restored in {time.monotonic() - started:.1f} s")

    by_prefix = {store.prefix: store.root for store in stores()}
    names = [n for n in manifest["members"] if n.split("/", 1)[0] in by_prefix]
    total = sum(int(manifest["members"][n]["size"]) for n in names)
    with progress(total, "files", stream=stream, unit="B") as bar:
        for name in sorted(names):
            prefix, relative = name.split("/", 1)
            root = by_prefix[prefix].resolve()
            target_path = (root / relative).resolve()
            if root not in target_path.parents:
                raise BackupError(f"Unsafe path in the archive: {name}")
            target_path.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(name)
            assert source is not None
            with open(target_path, "xb") as out:
                while chunk := source.read(READ_SIZE):
                    out.write(chunk)
                    bar.update(len(chunk))
    log(f"files restored: {len(names)}")


def pending_migrations(manifest: dict[str, Any]) -> list[str]:
    """Migrations of this code the backup's database does not have yet (run `migrate`)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    applied = {(app, name) for app, names in (manifest.get("migrations") or {}).items() for name in names}
    return sorted(f"{app}.{name}" for app, name in loader.disk_migrations if (app, name) not in applied)
