"""`manage.py run_worker_task outbox|deadlines|autoclose|digest`: one run of a worker task, in this process.

For operators: deliver the outbox now after fixing the SMTP settings, or see what a sweep would do,
without waiting for the schedule. The tasks are the same functions the django-q2 schedules run.
"""

from django.core.management.base import BaseCommand

from messages import tasks

TASKS = {
    "outbox": tasks.deliver_outbox,
    "deadlines": tasks.sweep_deadlines,
    "autoclose": tasks.close_unrated_messages,
    "digest": tasks.send_staff_digest,
}


class Command(BaseCommand):
    help = "Run one worker task now: outbox, deadlines, autoclose or digest."

    def add_arguments(self, parser):
        parser.add_argument("task", choices=sorted(TASKS))

    def handle(self, *args, task, **options):
        result = TASKS[task]()
        self.stdout.write(f"{task}: " + ", ".join(f"{key} {value}" for key, value in result.items()))
