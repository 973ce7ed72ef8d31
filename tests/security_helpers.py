"""Test helpers for the served app (Flask test client, requests to the app in-process only):
a client that behaves like a same-site browser page (Origin header on every request) and a
sign-in through the real form (its CSRF token read from the page)."""
from __future__ import annotations

import re

ORIGIN = "http://localhost"


def browser(app):
    """A Flask test client whose requests carry ``Origin: http://localhost`` (the test
    server's own origin), as a page of the dashboard itself would send them."""
    client = app.server.test_client()
    client.environ_base["HTTP_ORIGIN"] = ORIGIN
    return client


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the form at ``path``."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token in {path}"
    return match.group(1)


def post_login(client, username: str, password: str, **extra):
    """POST the sign-in form as a browser does (token from the form)."""
    return client.post("/login", data={"csrf_token": csrf_token(client), "username": username,
                                       "password": password, **extra})


def signed_in(app, username: str, password: str):
    """A browser-like client signed in as ``username`` (asserts the sign-in worked)."""
    client = browser(app)
    answer = post_login(client, username, password)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return client


def logout(client):
    """Sign out with the page's own button (POST with the token from a page's user bar)."""
    html = client.get("/logout").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post("/logout", data={"csrf_token": token})
