"""A real database outage for a test: the connection points at a port / file where nothing answers.

Used as a fixture (`@pytest.mark.usefixtures("database_down")` after importing it into the test
module). No test transaction is open around it (no `db` fixture). The live connection is set aside,
not closed: SQLite's in-memory test database disappears with its last connection.
"""

import pytest
from django.db import connection


@pytest.fixture
def database_down(django_db_blocker):
    with django_db_blocker.unblock():
        saved_settings = dict(connection.settings_dict)
        saved_connection, connection.connection = connection.connection, None
        if connection.vendor == "sqlite":
            connection.settings_dict["NAME"] = "/nonexistent-directory/db.sqlite3"
        else:
            connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
        try:
            yield
        finally:
            if connection.connection is not None:
                connection.connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved_settings)
            connection.connection = saved_connection
