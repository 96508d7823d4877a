"""`manage.py restore ARCHIVE [--force]`: restore a `backup` archive into an empty database and empty
file stores, after checking every checksum (zarechny/backup.py; docs/operations.md, "Restore")."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zarechny.backup import BackupError, pending_migrations, read_verified, restore_backup


class Command(BaseCommand):
    help = "Restore a backup archive into an EMPTY database and file stores (checksums verified first)."
    # An empty database is the normal target: nothing may need tables before the restore.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("archive", help="a file written by `manage.py backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database and file stores that are not empty (everything in them is lost)",
        )
        parser.add_argument("--verify-only", action="store_true", help="check the archive, restore nothing")

    def handle(self, *args, archive, force=False, verify_only=False, **options):
        path = Path(archive)
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        try:
            tar, manifest = read_verified(path, stream=self.stdout)
            with tar:
                app = manifest.get("app") or {}
                self.stdout.write(
                    f"archive verified: made {manifest.get('created_at')} by release "
                    f"{app.get('version')} ({(app.get('commit') or 'no commit')[:12]}), "
                    f"{len(manifest['members'])} members, checksums match"
                )
                if verify_only:
                    return
                restore_backup(tar, manifest, force=force, stream=self.stdout, log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        pending = pending_migrations(manifest)
        if pending:
            self.stdout.write(
                f"restored. This release has {len(pending)} migrations the backup has not "
                f"(e.g. {pending[0]}): run `manage.py migrate` before starting the services."
            )
        else:
            self.stdout.write("restored. The migrations match this release.")
