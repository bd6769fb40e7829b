"""Run store: atomic creation, chunk commits, orphan clean-up on reopen, readers."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aimarket.errors import UserError
from aimarket.store import (
    RunStore,
    read_events,
    read_manifest,
    read_outcomes,
    read_timeseries,
    rows_to_table,
)

SCHEMA = pa.schema([("run_id", pa.int64()), ("tick", pa.int64()), ("status", pa.string())])


def outcomes(*ids: int, tick: int | None = None) -> pa.Table:
    return rows_to_table([{"run_id": i, "tick": tick, "status": "ok"} for i in ids], SCHEMA)


def events(*ids: int) -> pa.Table:
    return rows_to_table([{"run_id": i, "kind": "k"} for i in ids])


def test_create_writes_the_manifest_and_leaves_no_temporary_folder(tmp_path):
    store = RunStore.create(tmp_path / "b", {"name": "b", "n": 1})
    assert read_manifest(store.path) == {"name": "b", "n": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["b"]
    store.update_manifest(n=2)
    assert read_manifest(store.path)["n"] == 2


def test_create_refuses_any_existing_path_and_unwritable_places(tmp_path):
    RunStore.create(tmp_path / "b", {}).close()
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "empty")
    (tmp_path / "file").write_text("x")
    for taken in ("b", "empty", "link", "file"):
        with pytest.raises(UserError, match="already exists"):
            RunStore.create(tmp_path / taken, {})
    with pytest.raises(UserError, match="is not a folder"):
        RunStore.create(tmp_path / "file" / "x", {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "empty", "file", "link"]
    assert not any((tmp_path / "empty").iterdir())


def test_one_writer_at_a_time_and_a_released_lock_is_taken_over(tmp_path):
    store = RunStore.create(tmp_path / "b", {"name": "b"})
    with pytest.raises(UserError, match=rf"in use by pid {os.getpid()} on "):
        RunStore.reopen(store.path)
    store.close()
    with RunStore.reopen(store.path) as again:
        assert again.manifest == {"name": "b"}
    RunStore.reopen(store.path).close()


def test_chunks_read_back_in_run_order_with_one_schema(tmp_path):
    store = RunStore.create(tmp_path / "b", {})
    store.write_chunk(3, outcomes(3, 4, tick=7), events(3, 3), rows_to_table([{"run_id": 3}]))
    store.write_chunk(0, outcomes(0, 1, 2), events(1))
    table = read_outcomes(store.path)
    assert list(table["run_id"]) == [0, 1, 2, 3, 4]
    assert list(table["tick"].fillna(-1)) == [-1, -1, -1, 7, 7]
    assert pq.read_schema(store.path / "outcomes/part-000000000.parquet") == SCHEMA
    assert list(read_events(store.path)["run_id"]) == [1, 3, 3]
    assert list(read_timeseries(store.path)["run_id"]) == [3]
    assert list(store.completed_run_ids()) == [0, 1, 2, 3, 4]


def test_reopen_deletes_orphans_of_an_uncommitted_chunk(tmp_path):
    store = RunStore.create(tmp_path / "b", {"name": "b"})
    store.write_chunk(0, outcomes(0, 1), events(0))
    store.write_chunk(2, outcomes(2, 3), events(2))
    (store.path / "outcomes/part-000000002.parquet").unlink()  # killed before the commit
    (store.path / "outcomes/.part-000000004.parquet.tmp").write_bytes(b"half")
    store.close()
    RunStore.reopen(store.path).close()
    assert sorted(p.name for p in (store.path / "events").iterdir()) == ["part-000000000.parquet"]
    assert not list((store.path / "outcomes").glob(".part-*"))
    assert list(read_events(store.path)["run_id"]) == [0]


def test_readers_of_an_empty_store_and_missing_folders(tmp_path):
    store = RunStore.create(tmp_path / "b", {})
    assert read_outcomes(store.path).empty and read_timeseries(store.path).empty
    with pytest.raises(UserError, match="no batch to resume"):
        RunStore.reopen(tmp_path / "nothing")
    with pytest.raises(UserError, match="not a run store"):
        read_manifest(tmp_path)


def test_simultaneous_starts_and_resumes_leave_one_writer(tmp_path):
    def attempt(open_store) -> str:
        try:
            open_store()  # the winner keeps its lock until the test ends
        except UserError as err:
            return str(err)
        return "ok"

    with ThreadPoolExecutor(11) as pool:
        starts = list(
            pool.map(lambda _: attempt(lambda: RunStore.create(tmp_path / "b", {})), range(11))
        )
    assert starts.count("ok") == 1
    assert all("already exists" in r or "in use by pid" in r for r in starts if r != "ok")
    assert read_manifest(tmp_path / "b") == {}


def test_a_lock_held_by_a_killed_process_is_taken_over(tmp_path):
    code = (
        "import sys, time; from aimarket.store import RunStore;"
        f"s = RunStore.create({str(tmp_path / 'b')!r}, {{'n': 1}}); print('held', flush=True);"
        "time.sleep(60)"
    )
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout.readline().strip() == "held"
            with pytest.raises(UserError, match=f"in use by pid {proc.pid} on "):
                RunStore.reopen(tmp_path / "b")
        finally:
            proc.kill()  # kill -9: no clean-up runs
    with RunStore.reopen(tmp_path / "b") as store:
        assert store.manifest == {"n": 1}
        assert f"pid {os.getpid()} " in (tmp_path / "b" / ".lock").read_text()
