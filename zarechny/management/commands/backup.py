"""`manage.py backup [--output FILE|DIR]`: database dump + private photo store + public media, with a
manifest of checksums (zarechny/backup.py; docs/operations.md, "Backups")."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zarechny.backup import BackupError, default_archive_name, make_backup


class Command(BaseCommand):
    help = "Write a backup archive: the database, the private photo store and public media, with checksums."

    def add_arguments(self, parser):
        parser.add_argument(
            "-o",
            "--output",
            help="archive file, or an existing directory to put zarechny-YYYYMMDD-HHMMSS.tar in "
            "(default: VAR_DIR/backups/)",
        )

    def handle(self, *args, output=None, **options):
        target = Path(output) if output else Path(settings.VAR_DIR) / "backups"
        if output is None or target.is_dir():
            target = target / default_archive_name()
        if target.exists():
            raise CommandError(f"{target} exists already; choose another name.")
        try:
            manifest = make_backup(target, stream=self.stdout, log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        files = ", ".join(f"{n} {prefix}" for prefix, n in manifest["files"].items())
        self.stdout.write(
            f"backup written: {target} ({target.stat().st_size / 2**20:.1f} MB; database, {files})"
        )
