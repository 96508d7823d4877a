from django.apps import AppConfig


class ZarechnyConfig(AppConfig):
    """The composition root: platform-wide commands (bootstrap) that touch every app."""

    name = "zarechny"
    verbose_name = "Платформа"

    def ready(self):
        from django_q.signals import post_execute_in_worker

        from .logs import task_finished

        # In the worker: the heartbeat per task function (metrics) and one DEBUG line per task (logs).
        post_execute_in_worker.connect(task_finished, dispatch_uid="zarechny-task-finished")
        # The admin's models are all registered by now (django.contrib.admin autodiscovers first).
        from . import admin_names

        admin_names.apply()
