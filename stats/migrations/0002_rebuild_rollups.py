"""Rebuild the statistics counters written before this release (issue 10 point 2).

Counters written by the old WorkdayIndex counted some late registrations, refusals and answers as on
time, and the new figures (answers after a rework, decisions by the moderators' organisation) exist
only after a rebuild. A data migration must not import app code (STYLE.md), and the rebuild *is* app
code (stats.facts, stats.services), so this migration only forgets when the counters were last
refreshed: `stats.services.refresh_recent`, the worker's 10-minute schedule, then rebuilds every day
at its next run. The old counters stay visible until that rebuild replaces them in one transaction.
On a large database run `manage.py stats_refresh --full` right after deploying (README), which does
the same rebuild at once, outside the worker's task timeout.
"""

from django.db import migrations


def forget_last_refresh(apps, schema_editor):
    RollupState = apps.get_model("stats", "RollupState")
    RollupState.objects.filter(pk=1).update(started_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0001_rollups"),
    ]

    operations = [
        migrations.RunPython(forget_last_refresh, migrations.RunPython.noop),
    ]
