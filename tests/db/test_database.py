import os
import threading
import time

import psycopg2
import pytest

from smn.db import Database, close_quietly


def test_pool_serves_many_threads(database_url):
    database = Database(database_url, max_connections=4)
    seen = []

    def work():
        for _ in range(10):
            seen.append(database.fetch_one("SELECT 1")[0])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    database.close()
    assert seen == [1] * 40


def test_error_rolls_back_and_connection_is_reusable(database_url):
    database = Database(database_url, max_connections=1)
    with pytest.raises(psycopg2.errors.UndefinedTable):
        database.execute("SELECT * FROM no_such_table")
    assert database.fetch_one("SELECT 2")[0] == 2
    database.close()


def test_a_killed_connection_is_replaced(database_url):
    database = Database(database_url, max_connections=1)
    pid = database.fetch_one("SELECT pg_backend_pid()")[0]
    other = Database(database_url)
    other.execute("SELECT pg_terminate_backend(%s)", (pid,))
    while other.fetch_one("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))[0]:
        time.sleep(0.01)
    other.close()
    with pytest.raises(psycopg2.OperationalError):
        database.fetch_one("SELECT 1")
    assert database.fetch_one("SELECT 3")[0] == 3
    database.close()


def test_pool_is_rebuilt_after_fork(database_url):
    database = Database(database_url)
    parent_backend = database.fetch_one("SELECT pg_backend_pid()")[0]
    first_pool = database._pool
    child = os.fork()
    if child == 0:
        try:
            child_backend = database.fetch_one("SELECT pg_backend_pid()")[0]
            os._exit(0 if database._pool is not first_pool and child_backend != parent_backend else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert database.fetch_one("SELECT pg_backend_pid()")[0] == parent_backend
    assert database._pool is first_pool
    database.close()


def test_close_quietly_closes_an_open_connection_and_leaves_a_closed_one_be(database_url):
    conn = psycopg2.connect(database_url)
    close_quietly(conn)
    assert conn.closed
    close_quietly(conn)
    assert conn.closed


def test_close_quietly_swallows_a_database_error_on_the_way_out():
    class Broken:
        closed = 0

        def close(self) -> None:
            raise psycopg2.InterfaceError("connection already gone")

    close_quietly(Broken())
