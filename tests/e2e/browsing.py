"""Helpers for the Chromium tests: how the browser is launched, signing in, and what the
Content-Security-Policy blocked (the `browser` fixture is in tests/conftest.py)."""

from tests.factories import PASSWORD

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def watch_policy(page, violations: list[str]) -> None:
    """Collects what the Content-Security-Policy blocked on this page, as Chromium reports it."""
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )


def sign_in(page, base_url: str, username: str, password: str = PASSWORD):
    """Sign in on the login form; returns the login page's response."""
    response = page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    return response


def signed_in(browser, base_url: str, username: str, violations: list[str], **password):
    """A page of its own (its own cookies) signed in as `username`, its policy watched."""
    page = browser.new_context().new_page()
    watch_policy(page, violations)
    sign_in(page, base_url, username, **password)
    return page
