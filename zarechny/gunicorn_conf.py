"""Gunicorn settings of the web nodes: `gunicorn -c zarechny/gunicorn_conf.py zarechny.wsgi`.

Metrics (zarechny/metrics.py): gunicorn runs several worker processes, and a scrape lands on one of them;
prometheus-client's multiprocess mode lets each process write its samples into PROMETHEUS_MULTIPROC_DIR
and the scrape add them up. Unless the environment names the directory, each master makes a fresh one
of its own (so two nodes on one machine never mix) and removes it when it stops; the files of a worker
that exits are merged into the totals (`mark_process_dead`).
"""

import os
import shutil
import tempfile

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="zarechny-metrics-")
    _own_directory = True
else:
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    _own_directory = False

# The request line of zarechny.logs replaces the access log (which would print query strings).
accesslog = None


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_directory:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
