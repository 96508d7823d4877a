"""The table of the shared database cache (settings.CACHES without REDIS_URL).

Created by a migration, not by a separate `createcachetable` step, so that every way the schema is
made — `make run`, a deployment's `migrate`, the test database of pytest-django — has it. The name is
spelled here and in settings (CACHE_TABLE); the table is created even when REDIS_URL is set, so that
switching back to the embedded default needs no extra step.
"""

from django.core.management import call_command
from django.db import migrations

CACHE_TABLE = "zarechny_cache"


def create_cache_table(apps, schema_editor):
    # createcachetable skips a table that exists (a database where it was run by hand).
    call_command("createcachetable", CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(create_cache_table, drop_cache_table, elidable=False)]
