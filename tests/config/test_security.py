"""Production security settings: what config/settings.py makes of the environment (read in a
process of its own, as a deployment would), and the headers the app then sends."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
SHOWN = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SILENCED_SYSTEM_CHECKS",
    "MIDDLEWARE",
    "CONTENT_SECURITY_POLICY",
    "CONTENT_SECURITY_POLICY_REPORT_ONLY",
]
SHOW = (
    "import json, django; django.setup(); from django.conf import settings; "
    f"print(json.dumps({{n: getattr(settings, n, None) for n in {SHOWN!r}}}))"
)


def production(**extra: str) -> dict[str, str]:
    """A deployment's environment; the database is never reached (closed port)."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://secondlife@127.0.0.1:1/secondlife",
        "ALLOWED_HOSTS": "market.example.org",
        **extra,
    }


def run(
    args: list[str], environment: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # The embedded default makes a key file: not in the checkout.
        "SECRET_KEY_FILE": str(tmp_path / "secret_key"),
        **environment,
    }
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def settings_for(environment: dict[str, str], tmp_path: Path) -> dict:
    done = run(["-c", SHOW], environment, tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_in_production(tmp_path):
    done = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production(), tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues (0 silenced)" in done.stdout


def test_production_defaults(tmp_path):
    settings = settings_for(production(), tmp_path)
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] == 31_536_000
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_HSTS_PRELOAD"] is True
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_PROXY_SSL_HEADER"] is None
    assert "csp.middleware.CSPMiddleware" in settings["MIDDLEWARE"]
    directives = settings["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert settings["CONTENT_SECURITY_POLICY_REPORT_ONLY"] is None


def test_the_embedded_default_keeps_plain_http_logins(tmp_path):
    """`make run`: runserver on http://127.0.0.1 with DEBUG off, no server database or broker.
    A redirect to https or secure-only cookies would leave nobody able to sign in."""
    settings = settings_for({}, tmp_path)
    assert settings["DEBUG"] is False
    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["CSRF_COOKIE_SECURE"] is False
    assert "csp.middleware.CSPMiddleware" in settings["MIDDLEWARE"]


def test_environment_overrides(tmp_path):
    settings = settings_for(
        production(
            SECURE_SSL_REDIRECT="false",
            SESSION_COOKIE_SECURE="false",
            CSRF_COOKIE_SECURE="false",
            SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
            SECURE_HSTS_SECONDS="600",
            SECURE_HSTS_PRELOAD="false",
            CSP_REPORT_ONLY="true",
            CSP_REPORT_URI="https://reports.example.org/csp",
        ),
        tmp_path,
    )
    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["CSRF_COOKIE_SECURE"] is False
    assert settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert settings["SECURE_HSTS_SECONDS"] == 600
    assert settings["SECURE_HSTS_PRELOAD"] is False
    assert settings["SILENCED_SYSTEM_CHECKS"] == ["security.W021"]
    assert settings["CONTENT_SECURITY_POLICY"] is None
    report_only = settings["CONTENT_SECURITY_POLICY_REPORT_ONLY"]["DIRECTIVES"]
    assert report_only["report-uri"] == "https://reports.example.org/csp"


def test_debug_sends_no_policy(tmp_path):
    settings = settings_for(production(DEBUG="true"), tmp_path)
    assert "csp.middleware.CSPMiddleware" not in settings["MIDDLEWARE"]
    assert settings["SECURE_SSL_REDIRECT"] is False  # Django's default


# The headers, in this process (settings_test: the production settings over plain http)


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["object-src"] == "'none'"


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_https_redirect_spares_the_health_checks(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 301
    assert page["Location"] == "https://testserver/accounts/login/"
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_HSTS_SECONDS=31_536_000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=True,
)
def test_behind_a_tls_proxy_https_requests_get_hsts(client):
    page = client.get("/accounts/login/", headers={"x-forwarded-proto": "https"})
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.django_db
def test_api_docs_run_no_inline_script(client):
    """Swagger UI's start-up script comes from its own URL, which script-src 'self' allows."""
    page = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts and all("src=" in attributes for attributes in scripts)
    start = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', page)
    assert start, page
    script = client.get(start.group(1).replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content
