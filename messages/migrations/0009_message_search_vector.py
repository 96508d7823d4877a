# Issue 14: full-text search of the public list on PostgreSQL. A stored generated column (the text
# weighted above the address, Russian stemming: «яма» finds «ямы») with a GIN index. PostgreSQL fills it
# for the existing rows when the column is added (a table rewrite: about a minute for 1,000,000 messages)
# and keeps it up to date on every INSERT/UPDATE and COPY, so no service has to remember it. It is not a
# model field: the SQLite default has no tsvector, and keeps the icontains search
# (messages.selectors.search_messages decides by the connection's vendor). The integrator renumbers.

from django.db import migrations

TABLE = "citizen_messages_message"
COLUMN = "search_vector"
INDEX = "message_search_vector"
# Two-argument to_tsvector with a constant configuration is IMMUTABLE, as a generated column requires.
EXPRESSION = (
    "setweight(to_tsvector('russian'::regconfig, coalesce(text, '')), 'A') || "
    "setweight(to_tsvector('russian'::regconfig, coalesce(address, '')), 'B')"
)


def add_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {COLUMN} tsvector "
        f"GENERATED ALWAYS AS ({EXPRESSION}) STORED"
    )
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} USING gin ({COLUMN})")


def drop_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {COLUMN}")


class Migration(migrations.Migration):
    dependencies = [
        ("citizen_messages", "0008_message_follow"),
    ]

    operations = [migrations.RunPython(add_search_vector, drop_search_vector, elidable=False)]
