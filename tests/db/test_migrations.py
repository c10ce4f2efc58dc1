import threading

import psycopg2

from smn.db.migrations import available_migrations, migrate


def test_migrations_are_numbered_and_recorded(database_url):
    versions = [version for version, _ in available_migrations()]
    assert versions == sorted(versions) and versions[0] == "0001"
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT version FROM schema_migrations ORDER BY version")
        assert [row[0] for row in cur.fetchall()] == versions
    conn.close()


def test_running_again_applies_nothing(database_url):
    assert migrate(database_url) == []


def test_concurrent_starts_apply_each_migration_once(database_url, tmp_path):
    """Several processes starting at once: the advisory lock serialises them."""
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE concurrency_probe (n int); INSERT INTO concurrency_probe VALUES (1);")
    (tmp_path / "0002_b.sql").write_text("SELECT pg_sleep(0.2); INSERT INTO concurrency_probe VALUES (2);")
    admin = psycopg2.connect(database_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("CREATE DATABASE concurrency_probe_db")
    probe_url = psycopg2.extensions.make_dsn(database_url, dbname="concurrency_probe_db")
    results, errors = [], []

    def run():
        try:
            results.append(migrate(probe_url, tmp_path))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(5)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert sorted(results, key=len) == [[], [], [], [], ["0001", "0002"]]
        conn = psycopg2.connect(probe_url)
        with conn.cursor() as cur:
            cur.execute("SELECT n FROM concurrency_probe ORDER BY n")
            assert [row[0] for row in cur.fetchall()] == [1, 2]
        conn.close()
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS concurrency_probe_db WITH (FORCE)")
        admin.close()
