"""Production refuses to start without its own SECRET_KEY; the embedded default makes a random
one per installation instead of sharing a key printed in the code."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

CHECK = (
    "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
)


def start(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL",
             "CELERY_BROKER_URL", "REQUIRE_SECRET_KEY", "DEBUG", "SECRET_KEY_FILE")}  # fmt: skip
    clean.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY_FILE=str(tmp_path / "secret_key"),
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", CHECK], cwd=settings.BASE_DIR, env=clean,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "env",
    [
        {"DATABASE_URL": "postgres://app@db:5432/app"},
        {"CELERY_BROKER_URL": "redis://redis:6379/0"},
        {"REQUIRE_SECRET_KEY": "true"},
        {"DATABASE_URL": "postgres://app@db:5432/app", "SECRET_KEY": "change-me"},
    ],
)
def test_production_without_its_own_key_refuses_to_start(tmp_path, env):
    done = start(tmp_path, **env)
    assert done.returncode != 0
    assert "SECRET_KEY must be set to a long random value in production" in done.stderr
    assert not (tmp_path / "secret_key").exists()


def test_production_with_a_key_starts(tmp_path):
    done = start(tmp_path, DATABASE_URL="postgres://app@db:5432/app", SECRET_KEY="s" * 50)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "s" * 50


def test_the_embedded_default_makes_one_random_key_per_installation(tmp_path):
    first, again = start(tmp_path), start(tmp_path)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50 and "insecure" not in key
    assert again.stdout.strip() == key  # kept: sessions survive a restart
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert start(other).stdout.strip() != key
