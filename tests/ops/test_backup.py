"""`manage.py backup` / `manage.py restore` (issue 17.5): a message with photos, its answers and the
statistics survive a backup restored into a fresh database and fresh stores; damage is refused."""

import io
import json
import re
import subprocess
import tarfile

import pytest
from django.conf import settings
from django.core.management import call_command

from messages import services
from stats.services import refresh_rollups
from tests.factories import processed_documents, processed_photos, submit
from tests.ops.helpers import BASE_DIR, PYTHON, fresh_database, manage, server_env, table_count
from tests.ops.snapshot import snapshot

# pg_dump and the restore subprocess must see the data: it is committed (the tables are flushed after).
pytestmark = pytest.mark.django_db(transaction=True)

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # anything but \t and \n: \r, escape sequences …


def make_data(world, citizen, other_citizen, moderator, executor):
    message = submit(citizen, world["potholes"], text="Яма у школы № 2", photos=processed_photos(2))
    services.message_register(message=message, actor=moderator)
    services.message_answer(
        message=message,
        actor=executor,
        kind="solved",
        text="Яма заделана.",
        attachments=processed_photos(1, fmt="PNG"),
        documents=processed_documents(1),
    )
    services.message_rate(message=message, actor=citizen, positive=False, remarks="Заделали плохо.")
    services.message_support(message=message, user=other_citizen)
    submit(other_citizen, world["potholes"], text="Второе сообщение, без фото")
    assert refresh_rollups() > 0
    public = settings.MEDIA_ROOT / "open-data" / "messages.csv"
    public.parent.mkdir(parents=True)
    public.write_bytes("номер;состояние\n".encode())
    return message


def backup(archive):
    out = io.StringIO()
    call_command("backup", "--output", str(archive), stdout=out)
    return out.getvalue()


def test_backup_restores_message_photos_answers_and_statistics(
    tmp_path, world, citizen, other_citizen, moderator, executor
):
    make_data(world, citizen, other_citizen, moderator, executor)
    source = snapshot()
    assert len(source["messages"][0]["photos"]) == 2 and source["daily_counts"]

    archive = tmp_path / "zarechny.tar"
    output = backup(archive)
    # stdout is not a terminal here: plain progress lines, no bar
    assert "backup: done" in output and not CONTROL.search(output)
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["format"] == "zarechny-backup"
    assert manifest["files"] == {"private": 7, "media": 1}  # 2 photos × 2, attachment × 2, PDF; the CSV
    assert "0001_initial" in manifest["migrations"]["citizen_messages"]
    assert manifest["app"]["version"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", m["sha256"]) for m in manifest["members"].values())

    restored = tmp_path / "restored"
    with fresh_database(tmp_path, "restore") as url:
        env = server_env(url, restored)
        result = manage("restore", str(archive), env=env)
        assert result.returncode == 0, result.stderr
        assert "checksums match" in result.stdout and "restored." in result.stdout
        assert not CONTROL.search(result.stdout)
        copy = subprocess.run(
            [PYTHON, "-m", "tests.ops.snapshot"], cwd=BASE_DIR, env=env, capture_output=True, text=True
        )
        assert copy.returncode == 0, copy.stderr
        assert json.loads(copy.stdout) == json.loads(json.dumps(source, ensure_ascii=False))
        assert (restored / "media" / "open-data" / "messages.csv").read_text() == "номер;состояние\n"

        again = manage("restore", str(archive), env=env)  # now neither the database nor the store is empty
        assert again.returncode != 0 and "Refusing to restore over existing data" in again.stderr
        forced = manage("restore", "--force", str(archive), env=env)
        assert forced.returncode == 0, forced.stderr
        assert table_count(url) > 0


def _flip_byte_in(archive, member_name, target):
    data = bytearray(archive.read_bytes())
    with tarfile.open(archive) as tar:
        member = tar.getmember(member_name)
    data[member.offset_data + member.size // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    return target


def test_damaged_archives_are_refused_before_anything_is_written(tmp_path, world, citizen):
    submit(citizen, world["potholes"], photos=processed_photos(1))
    archive = tmp_path / "good.tar"
    backup(archive)
    with tarfile.open(archive) as tar:
        photo = next(name for name in tar.getnames() if name.startswith("private/"))
        dump = next(name for name in tar.getnames() if name.startswith("database."))

    damaged = {
        "photo": _flip_byte_in(archive, photo, tmp_path / "photo.tar"),
        "dump": _flip_byte_in(archive, dump, tmp_path / "dump.tar"),
        "truncated": tmp_path / "truncated.tar",
    }
    damaged["truncated"].write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])

    with fresh_database(tmp_path, "damaged") as url:
        env = server_env(url, tmp_path / "target")
        assert manage("restore", "--verify-only", str(archive), env=env).returncode == 0
        for label, path in damaged.items():
            result = manage("restore", str(path), env=env)
            assert result.returncode != 0, label
            assert re.search(r"Checksum mismatch|damaged|not a readable|missing", result.stderr), (
                label,
                result.stderr,
            )
            assert table_count(url) == 0, label
            assert not any((tmp_path / "target" / "private").rglob("*.*")), label


def _rewrite_manifest(archive, target, change):
    """A copy of `archive` whose manifest was edited (the members, and so the checksums, stay right)."""
    with tarfile.open(archive) as source, tarfile.open(target, "w") as copy:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return target


def test_an_archive_of_a_newer_release_or_another_database_is_refused(tmp_path, db):
    from zarechny.backup import BackupError, read_verified, restore_backup

    archive = tmp_path / "good.tar"
    backup(archive)

    def newer(manifest):
        manifest["migrations"]["citizen_messages"].append("9999_from_the_future")

    def other_vendor(manifest):
        manifest["database"]["vendor"] = "oracle"

    for change, refusal in ((newer, "made by a newer release"), (other_vendor, "database; DATABASE_URL")):
        path = _rewrite_manifest(archive, tmp_path / f"{change.__name__}.tar", change)
        tar, manifest = read_verified(path, stream=io.StringIO())  # the checksums are still right
        with tar, pytest.raises(BackupError, match=refusal):
            # refused for this reason, before the (non-empty) test database is even looked at
            restore_backup(tar, manifest, force=False, stream=io.StringIO(), log=print)
