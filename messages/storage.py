import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Photos and attachments: a folder no URL maps to; views stream the files after a permission check.

    The location is read from settings on every use (not frozen when the models load), so tests and
    deployments that change PRIVATE_MEDIA_ROOT are honoured.
    """

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no public URL: serve them through a permission-checked view.")
