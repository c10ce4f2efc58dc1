"""gunicorn settings for SMN, read from the same SMN_* variables as the app.

Worker class: gthread. Most of a request's time is spent waiting on Odoo
(I/O bound), so threads per worker give concurrency toward Odoo without the
memory of more processes; workers give CPU parallelism for JSON and JWT work.
"""
import logging

from smn.logs import logging_dict_config
from smn.settings import Settings

_settings = Settings.from_env()

bind = _settings.bind
workers = _settings.workers
threads = _settings.threads
worker_class = "gthread"
# Each worker imports smn.wsgi itself, so pools and sockets are made after fork.
preload_app = False
keepalive = 5
graceful_timeout = 20
timeout = 60
# Our own access line (smn.access) carries request id, route and Odoo timings.
accesslog = None
errorlog = "-"
loglevel = _settings.log_level.lower()
logconfig_dict = logging_dict_config(_settings.log_level)
logging.captureWarnings(True)
proc_name = "smn"
forwarded_allow_ips = "127.0.0.1,::1"


def post_fork(server, worker):
    server.log.info("worker started", extra={"worker_pid": worker.pid})


def worker_exit(server, worker):
    from smn.wsgi import app

    services = getattr(app, "smn_services", None)
    if services is not None:
        services.database.close()
        services.odoo.close()
