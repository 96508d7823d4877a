import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class OpenDataStorage(FileSystemStorage):
    """The open-data files (STORAGES["opendata"]; an S3 backend fits too). Served by api.views.opendata_file,
    so the location is read from settings on every use (tests and deployments may move OPENDATA_ROOT)."""

    @property
    def base_location(self):
        return str(settings.OPENDATA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)
