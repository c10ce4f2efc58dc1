"""gunicorn settings for SMN, read from the same SMN_* variables as the app.

Worker class: gthread. Most of a request's time is spent waiting on Odoo
(I/O bound), so threads per worker give concurrency toward Odoo without the
memory of more processes; workers give CPU parallelism for JSON and JWT work.

Measured with `make bench` (docs/performance.md), 2 cores, product list with
30 ms per Odoo call: 2 workers x 8 threads 62-92 req/s, 2 x 32 threads
(SMN_ODOO_POOL_SIZE=32) 114 req/s with SMN's own time per request up to
240 ms (threads of one process queue on its GIL), 4 x 8 threads 194 req/s with
SMN's own time under 1 ms. So for Odoo-bound traffic raise SMN_WORKERS (about
2 per core) before SMN_THREADS, and keep SMN_ODOO_POOL_SIZE >= SMN_THREADS.

For cached reads (issue #7, December 2026) 2x8, 2x4, 4x4 and 4x8 were each
measured with the bare floor beside them; on this shared 2-core machine the
spread between runs of one setting was larger than between settings, so the
defaults stay 2x8 for both apps. What did help: log lines written every
SMN_LOG_FLUSH_INTERVAL (50 ms) by a writer thread instead of one write per
line (each write released and re-took the GIL in a request thread), and no
gunicorn access atoms (NoAccessLogger below). docs/performance.md has the runs.
"""
import logging
import os
import shutil
import sys
from pathlib import Path

from gunicorn.glogging import Logger

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


class NoAccessLogger(Logger):
    """gunicorn's Logger minus its access line, which SMN's own (smn.access) replaces.

    With logconfig_dict set, gunicorn builds its access-log atoms for every
    request (a dict of every header and environ variable) even though
    gunicorn.access is at WARNING and drops them: 4% of a worker's time under wrk.
    """

    def access(self, resp, req, environ, request_time):
        return


logger_class = NoAccessLogger
errorlog = "-"
loglevel = _settings.log_level.lower()
logconfig_dict = logging_dict_config(_settings.log_level, _settings.log_flush_interval)
logging.captureWarnings(True)
proc_name = "smn"
# `smn serve` sets SMN_PID_FILE; `smn reload` / `make reload` send SIGHUP to the pid in it.
pidfile = str(_settings.pid_file) if _settings.pid_file else None
forwarded_allow_ips = "127.0.0.1,::1"
# gunicorn >= 25 opens a control socket (for `gunicornc`) at ONE path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl): a second master on the machine silently takes it over, and the first to stop
# deletes the other's. One socket per listening port keeps several instances apart (tests/test_scale_out.py).
control_socket = str(Path.home() / ".gunicorn" / f"smn-{_settings.bind.rpartition(':')[2]}.ctl")


def on_starting(server):
    """A fresh prometheus-client multiprocess folder, inherited by every worker (smn.metrics)."""
    folder = (_settings.data_dir / "metrics" / str(os.getpid())).resolve()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    folder = os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def pre_request(worker, req):
    """Close a keep-alive connection after about SMN_KEEPALIVE_REQUESTS requests (Apache's MaxKeepAliveRequests).

    Every worker accepts from one listening socket, and a burst of new
    connections can all land on one worker while the other is not scheduled
    (docs/performance.md, "One worker taking every connection"); keep-alive
    then keeps them there. A connection closed after its limit reconnects to
    whichever worker accepts first. The limit varies per connection (0.5-1.5x,
    by client port) so connections opened together do not all reconnect
    together. Replaces gunicorn's default pre_request, a debug log call.
    """
    limit = _settings.keepalive_requests
    if limit and req.req_number >= limit // 2:  # below half the limit no connection closes: one comparison
        peer = req.peer_addr
        port = peer[1] if isinstance(peer, tuple) and len(peer) > 1 else 0
        if req.req_number >= limit // 2 + port % limit:
            req.must_close = True


def post_fork(server, worker):
    server.log.info("worker started", extra={"worker_pid": worker.pid})


def post_worker_init(worker):
    """Each worker watches PostgreSQL, Odoo and the outbox backlog for alerts (folded across workers)."""
    services = getattr(getattr(sys.modules.get("smn.wsgi"), "app", None), "smn_services", None)
    if services is not None and services.alerts is not None:
        services.alerts.start_monitor()


def worker_exit(server, worker):
    # Only what this worker loaded: another app served with this file (bench/bare_app.py) must not build SMN.
    wsgi = sys.modules.get("smn.wsgi")
    services = getattr(getattr(wsgi, "app", None), "smn_services", None)
    if services is not None:
        services.close()
