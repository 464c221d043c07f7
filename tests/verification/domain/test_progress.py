"""Reading progress: reported as bytes are read, throttled, never past 100 %."""

import io
import threading
import zipfile

from verification.domain.progress import ProgressReader


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 10.0  # every read is "much later": the interval never holds a report back
        return self.now


def test_reports_each_step_as_the_stream_is_read() -> None:
    reports: list[int] = []
    reader = ProgressReader(
        io.BytesIO(b"x" * 1000), total_bytes=1000, report=reports.append, step_pct=25, clock=Clock()
    )
    while reader.read(100):
        reader.poll()
    reader.poll()
    assert reports == [30, 60, 90, 100]  # the end is always reported


def test_the_interval_holds_back_reports_that_come_too_fast() -> None:
    reports: list[int] = []
    reader = ProgressReader(
        io.BytesIO(b"x" * 1000),
        total_bytes=1000,
        report=reports.append,
        step_pct=1,
        interval_s=3600,
        clock=lambda: 5.0,
    )
    reader.read(500)
    reader.poll()
    reader.read()
    reader.poll()
    assert reports == [50, 100]  # inside the hour, only the end is still reported


def test_seeking_back_never_lowers_progress_and_zip_readers_work_through_it() -> None:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as archive:
        archive.writestr("data.txt", "cycle data " * 2000)
    reports: list[int] = []
    size = len(raw.getvalue())
    raw.seek(0)
    reader = ProgressReader(raw, total_bytes=size, report=reports.append, clock=Clock())
    with zipfile.ZipFile(reader) as archive:
        assert archive.read("data.txt").startswith(b"cycle data")
        reader.poll()
    reader.seek(0)
    reader.read(10)
    reader.poll()
    assert reports == sorted(reports) and reports[-1] <= 100
    assert reports, "reading the archive reported progress"


def test_line_iteration_and_readinto_count_too() -> None:
    reports: list[int] = []
    reader = ProgressReader(
        io.BytesIO(b"a\nb\nc\nd\n"), total_bytes=8, report=reports.append, clock=Clock()
    )
    assert list(reader) == [b"a\n", b"b\n", b"c\n", b"d\n"]
    reader.poll()
    assert reports[-1] == 100
    buffer = bytearray(4)
    again = ProgressReader(io.BytesIO(b"wxyz"), total_bytes=4, report=reports.append, clock=Clock())
    assert again.readinto(buffer) == 4 and bytes(buffer) == b"wxyz"
    again.poll()
    assert reports[-1] == 100


def test_reading_on_another_thread_reports_only_when_the_owner_polls() -> None:
    reports: list[tuple[int, str]] = []
    reader = ProgressReader(
        io.BytesIO(b"x" * 100),
        total_bytes=100,
        report=lambda p: reports.append((p, threading.current_thread().name)),
        clock=Clock(),
    )
    worker = threading.Thread(target=reader.read, name="read-ahead")
    worker.start()
    worker.join()
    assert reports == [] and reader.percent == 100
    reader.poll()
    assert reports == [(100, threading.current_thread().name)]
