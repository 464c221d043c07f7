"""Static files on the default settings: served before collectstatic, hashed and compressed after.

The Django tests apply what config/settings.py gives for a temporary STATIC_ROOT, as a new
process started on the default settings would see it, and build a new test client (a new
WSGI handler, whose WhiteNoise middleware indexes the files when it is created).
"""

import gzip
import importlib.util
import logging
import os
import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client

BASE_DIR = Path(__file__).resolve().parents[2]
APP_CSS = BASE_DIR / "static" / "css" / "app.css"
LOGIN = "/accounts/login/"
DEFAULT_STORAGE = "config.storage.FallbackManifestStaticFilesStorage"
# Variables that change what the static-files settings say.
STATIC_ENV = ("STATICFILES_STORAGE", "STATIC_ROOT", "DEBUG")
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')
HASHED_CSS = re.compile(r"/static/(css/app\.[0-9a-f]{12}\.css)")
NOT_COLLECTED = "Run `python manage.py collectstatic`"


def default_settings(monkeypatch, **env) -> dict:
    """config/settings.py evaluated afresh, with only these of the static-files variables set."""
    for name in STATIC_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    return runpy.run_path(str(BASE_DIR / "config" / "settings.py"))


def assets(page) -> list[str]:
    """The static URLs a page references (its CSS and JS)."""
    return ASSET.findall(page.content.decode())


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def static_root(tmp_path) -> Path:
    root = tmp_path / "staticfiles"
    root.mkdir()
    return root


@pytest.fixture
def start_process(settings, monkeypatch, static_root):
    """Apply the default settings' static-files block for static_root; return a new client.

    Each call is a process started afresh: the storage reads the manifest again (Django drops
    its storages when STATIC_ROOT or STORAGES change) and the new client's WhiteNoise indexes
    STATIC_ROOT, and the finders if the settings say so, without re-checking the disk later.
    """

    def start() -> Client:
        default = default_settings(monkeypatch, STATIC_ROOT=static_root)
        settings.STATIC_ROOT = default["STATIC_ROOT"]
        settings.STORAGES = {**settings.STORAGES, "staticfiles": default["STORAGES"]["staticfiles"]}
        settings.WHITENOISE_USE_FINDERS = default["WHITENOISE_USE_FINDERS"]
        if "WHITENOISE_AUTOREFRESH" in default:
            settings.WHITENOISE_AUTOREFRESH = default["WHITENOISE_AUTOREFRESH"]
        elif hasattr(settings, "WHITENOISE_AUTOREFRESH"):
            del settings.WHITENOISE_AUTOREFRESH  # WhiteNoise's default: DEBUG, off in tests
        return Client()

    return start


def test_default_settings_use_the_fallback_manifest_storage(monkeypatch):
    default = default_settings(monkeypatch)
    assert default["STORAGES"]["staticfiles"]["BACKEND"] == DEFAULT_STORAGE


def test_staticfiles_storage_variable_still_chooses_the_storage(monkeypatch):
    plain = "django.contrib.staticfiles.storage.StaticFilesStorage"
    default = default_settings(monkeypatch, STATICFILES_STORAGE=plain)
    assert default["STORAGES"]["staticfiles"]["BACKEND"] == plain


def test_whitenoise_serves_from_the_finders_only_until_a_manifest_is_collected(
    monkeypatch, static_root
):
    assert default_settings(monkeypatch, STATIC_ROOT=static_root)["WHITENOISE_USE_FINDERS"]
    (static_root / "staticfiles.json").write_text('{"paths": {}, "version": "1.1", "hash": ""}')
    assert not default_settings(monkeypatch, STATIC_ROOT=static_root)["WHITENOISE_USE_FINDERS"]


def test_before_collectstatic_pages_render_with_plain_names_and_their_files_are_served(
    start_process, static_root, caplog
):
    client = start_process()
    assert not any(static_root.iterdir())

    with caplog.at_level(logging.WARNING, logger="config.storage"):
        page = client.get(LOGIN)
        assert client.get(LOGIN).status_code == 200

    assert page.status_code == 200
    urls = assets(page)
    assert "/static/css/app.css" in urls
    assert "/static/django_htmx/htmx-2.min.js" in urls
    for url in urls:
        served = client.get(url)
        assert served.status_code == 200, url
        assert "Content-Encoding" not in served
    css = client.get("/static/css/app.css")
    assert css["Content-Type"].startswith("text/css")
    assert body(css) == APP_CSS.read_bytes()
    warnings = [r.getMessage() for r in caplog.records if r.name == "config.storage"]
    assert len(warnings) == 1
    assert NOT_COLLECTED in warnings[0]


def test_after_collectstatic_pages_reference_hashed_compressed_files(
    start_process, static_root, caplog
):
    start_process()
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (static_root / "staticfiles.json").is_file()
    client = start_process()

    with caplog.at_level(logging.WARNING, logger="config.storage"):
        page = client.get(LOGIN)

    assert page.status_code == 200
    urls = assets(page)
    css_urls = [url for url in urls if url.startswith("/static/css/app.")]
    assert len(css_urls) == 1
    name = HASHED_CSS.fullmatch(css_urls[0])
    assert name, css_urls
    hashed = static_root / name[1]
    assert hashed.read_bytes() == APP_CSS.read_bytes()
    assert gzip.decompress((static_root / f"{name[1]}.gz").read_bytes()) == hashed.read_bytes()
    if importlib.util.find_spec("brotli"):
        assert (static_root / f"{name[1]}.br").is_file()
    assert any(re.fullmatch(r"/static/django_htmx/htmx-2\.min\.[0-9a-f]{12}\.js", u) for u in urls)

    for url in urls:
        served = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert served.status_code == 200, url
        assert served["Content-Encoding"] == "gzip", url
        assert "immutable" in served["Cache-Control"], url
    css = client.get(css_urls[0], HTTP_ACCEPT_ENCODING="gzip")
    assert gzip.decompress(body(css)) == APP_CSS.read_bytes()
    assert not [r for r in caplog.records if r.name == "config.storage"]


def test_without_a_manifest_names_stay_plain_and_with_one_a_missing_entry_is_an_error(
    start_process,
):
    start_process()
    assert staticfiles_storage.url("css/not-collected.css") == "/static/css/not-collected.css"
    call_command("collectstatic", interactive=False, verbosity=0)
    # The storage that collected knows the new manifest; so does one started afresh.
    assert HASHED_CSS.fullmatch(staticfiles_storage.url("css/app.css"))
    start_process()
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        staticfiles_storage.url("css/not-collected.css")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def wait_for_page(server: subprocess.Popen, url: str, within: float) -> bytes | None:
    """The page once the server answers 200; None if it exits, errs or stays silent."""
    deadline = time.monotonic() + within
    while server.poll() is None and time.monotonic() < deadline:
        try:
            status, page = fetch(url)
        except urllib.error.HTTPError:
            return None
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
            continue
        return page if status == 200 else None
    return None


def test_runserver_after_migrate_serves_pages_and_their_static_files(tmp_path):
    """`manage.py migrate && manage.py runserver` with the default settings, nothing collected."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WHITENOISE_"))}
    # No server database or broker: the embedded default, not production (no https redirect).
    for name in (*STATIC_ENV, "DATABASE_URL", "CELERY_BROKER_URL", "MEDIA_ROOT", "TEST_MEDIA_ROOT"):
        env.pop(name, None)
    # Only the locations move to tmp_path, so the checkout's database and folders stay as they are.
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "staticfiles"),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run(
        [*manage, "migrate", "--noinput", "--verbosity", "0"],
        env=env,
        cwd=BASE_DIR,
        check=True,
        timeout=60,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = wait_for_page(server, base + LOGIN, within=15)
        if page is not None:
            urls = ASSET.findall(page.decode())
            assert "/static/css/app.css" in urls
            for url in urls:
                assert fetch(base + url)[0] == 200, url
            assert fetch(base + "/static/css/app.css")[1] == APP_CSS.read_bytes()
    finally:
        server.terminate()
        try:
            _, stderr = server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            _, stderr = server.communicate()
    assert page is not None, f"runserver did not answer {LOGIN} with 200:\n{stderr}"
    assert NOT_COLLECTED in stderr
