"""`smn worker`: deliver queued writes to Odoo, then their callbacks.

Each thread loops: claim a job (smn.outbox.store), run it with the original
request id bound (so it reaches Odoo's X-Request-Id and every log line),
record the outcome; then a due callback; then sleep until a NOTIFY on
channel smn_outbox, the next retry being due, or the poll interval.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from typing import Callable

import psycopg2

from smn.context import bind_request, unbind_request
from smn.db import Database
from smn.db.listen import NotifyListener
from smn.errors import Problem, problem_body
from smn.odoo.client import OdooClient
from smn.outbox import hooks
from smn.outbox.callbacks import CallbackError, CallbackSender
from smn.outbox.delivery import Delivery, Outcome
from smn.outbox.store import CHANNEL, Job, OutboxStore
from smn.outbox.views import job_document
from smn.settings import Settings

log = logging.getLogger("smn.outbox")


def backoff(attempts: int, base: float, cap: float, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: between half and all of min(cap, base * 2^(attempts-1))."""
    ceiling = min(cap, base * (2 ** max(attempts - 1, 0)))
    return ceiling * (0.5 + 0.5 * rand())


class Worker:
    """Delivers outbox jobs with `settings.outbox_threads` threads until `stop()`."""

    def __init__(self, settings: Settings, database: Database, odoo: OdooClient,
                 worker_id: str | None = None) -> None:
        self.settings = settings
        self.store = OutboxStore(database)
        self.database = database
        self.delivery = Delivery(settings, database, odoo)
        self.sender = CallbackSender(settings.secret_key, settings.callback_timeout)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._generation = 0
        self._threads: list[threading.Thread] = []
        self._listener: _Listener | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self) -> "Worker":
        self._stop.clear()
        self._listener = _Listener(self)
        self._listener.start()
        self._threads = [threading.Thread(target=self._loop, name=f"outbox-{n}", daemon=True)
                         for n in range(self.settings.outbox_threads)]
        for thread in self._threads:
            thread.start()
        log.info("outbox worker started", extra={"worker_id": self.worker_id,
                                                 "threads": self.settings.outbox_threads})
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the jobs in hand, then return (a job cut short is taken back after its lease)."""
        self._stop.set()
        self.wake()
        if self._listener is not None:
            self._listener.stop()
        for thread in self._threads:
            thread.join(timeout)
        self.sender.close()
        log.info("outbox worker stopped", extra={"worker_id": self.worker_id})

    def request_stop(self) -> None:
        """Safe from a signal handler: the threads notice within their poll (wait() returns at once)."""
        self._stop.set()

    def wait(self) -> None:
        """Block until stop() (signal handlers call it)."""
        while not self._stop.wait(0.5):
            pass

    def wake(self) -> None:
        with self._wake:
            self._generation += 1
            self._wake.notify_all()

    # ------------------------------------------------------------ the loop

    def _loop(self) -> None:
        while not self._stop.is_set():
            seen = self._generation
            try:
                busy = self.step()
            except psycopg2.Error:
                log.exception("outbox database error; retrying shortly")
                busy = False
            if not busy:
                self._sleep(seen)

    def step(self) -> bool:
        """Deliver one job or one callback; False when nothing was due."""
        job = self.store.claim(self.worker_id, self.settings.outbox_lease)
        if job is not None:
            self._process(job)
            return True
        due = self.store.claim_callback(self.settings.callback_timeout * 2 + 5)
        if due is not None:
            self._callback(due)
            return True
        return False

    def _sleep(self, seen: int) -> None:
        timeout = self.settings.outbox_poll_interval
        try:
            due = self.store.seconds_to_next_due()
        except psycopg2.Error:
            due = None
        if due is not None:
            timeout = min(timeout, due + 0.01)
        with self._wake:
            self._wake.wait_for(lambda: self._generation != seen or self._stop.is_set(), timeout)

    # ------------------------------------------------------------ one job

    def _process(self, job: Job) -> None:
        tokens = bind_request(job.request_id or f"job-{job.id}")
        try:
            log.info("outbox job started", extra={"job_id": job.id, "job_kind": job.kind, "attempt": job.attempts})
            outcome = self.delivery.execute(job)
            if outcome.kind == "retry" and job.attempts < self.settings.outbox_max_attempts:
                self._retry(job, outcome)
            else:
                self._finish(job, outcome)
        finally:
            unbind_request(tokens)

    def _retry(self, job: Job, outcome: Outcome) -> None:
        delay = backoff(job.attempts, self.settings.outbox_backoff_base, self.settings.outbox_backoff_max)
        if self.store.retry_later(job, self.worker_id, delay, outcome.error or "retry"):
            log.warning("outbox job will be retried", extra={
                "job_id": job.id, "attempt": job.attempts, "retry_in_s": round(delay, 3), "error": outcome.error})
        else:
            log.warning("outbox job was taken over before its retry was recorded", extra={"job_id": job.id})

    def _finish(self, job: Job, outcome: Outcome) -> None:
        status = "done" if outcome.kind == "done" else "failed"
        body = outcome.body if outcome.body is not None else _outage_problem(outcome, job)
        finished = self.store.finish(job, self.worker_id, status, outcome.status, body)
        if finished is None:
            log.warning("outbox job was taken over before it finished here", extra={"job_id": job.id})
            return
        log.info(f"outbox job {status}", extra={"job_id": job.id, "job_kind": job.kind, "status": outcome.status,
                                                "attempts": job.attempts})
        if finished.callback_status == "pending":
            self.wake()
        if status == "failed":
            hooks.job_failed(finished)

    # ------------------------------------------------------------ callbacks

    def _callback(self, job: Job) -> None:
        tokens = bind_request(job.request_id or f"job-{job.id}")
        try:
            url = self.store.callback_url(job.client_id)
            if url is None:
                self.store.callback_failed(job, "the client has no callback URL any more", None)
                return
            document = job_document(job, self.settings.link)
            try:
                self.sender.send(url, job.client_id, document, job.request_id)
            except CallbackError as exc:
                more = job.callback_attempts < self.settings.callback_max_attempts
                delay = backoff(job.callback_attempts, self.settings.outbox_backoff_base,
                                self.settings.outbox_backoff_max) if more else None
                self.store.callback_failed(job, str(exc), delay)
                log.warning("job callback failed", extra={"job_id": job.id, "error": str(exc),
                                                          "attempt": job.callback_attempts, "gives_up": not more})
                return
            self.store.callback_sent(job)
            log.info("job callback delivered", extra={"job_id": job.id, "attempt": job.callback_attempts})
        finally:
            unbind_request(tokens)


def _outage_problem(outcome: Outcome, job: Job) -> dict:
    """The stored problem of a job that gave up retrying; title and type follow its status (503 or 500).

    `_process` binds the job's request id, so problem_body records it.
    """
    slug = "odoo-unavailable" if outcome.status == 503 else None
    return problem_body(Problem(outcome.status, f"Gave up after {job.attempts} attempts: {outcome.error}",
                                slug=slug))


def serve_worker(settings: Settings) -> int:
    """Run a worker until SIGINT or SIGTERM (what `smn worker` does once the database is resolved)."""
    import signal

    database = Database(settings.database_url, max_connections=settings.outbox_threads + 2)
    odoo = OdooClient.from_settings(settings)
    worker = Worker(settings, database, odoo).start()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: worker.request_stop())
    try:
        worker.wait()
    finally:
        worker.stop()
        odoo.close()
        database.close()
    return 0


class _Listener(NotifyListener):
    """LISTEN smn_outbox: every NOTIFY, and every (re)connect, wakes the worker's loops.

    While the connection is down the loops still poll for due jobs on their own.
    """

    channel = CHANNEL
    application_name = "smn-outbox-listen"
    log = log
    resync_interval = 3600.0

    def __init__(self, worker: Worker) -> None:
        super().__init__("smn-outbox-listener", worker.database.url)
        self.worker = worker

    def load(self, cur: object) -> None:
        self.worker.wake()  # jobs queued while we were not listening

    def notified(self, cur: object, notifications: list) -> None:
        self.worker.wake()
