from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import User

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_login(client: Client) -> None:
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"


def test_every_response_carries_a_request_id_and_security_headers(client: Client) -> None:
    response = client.get(reverse("accounts:login"))
    assert len(response["X-Request-ID"]) == 32
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_well_formed_incoming_request_id_is_kept(client: Client) -> None:
    response = client.get(reverse("healthz"), headers={"X-Request-ID": "lb-1234abcd"})
    assert response["X-Request-ID"] == "lb-1234abcd"
    response = client.get(reverse("healthz"), headers={"X-Request-ID": "<script>"})
    assert response["X-Request-ID"] != "<script>"


def test_not_found_page_never_echoes_the_requested_path(client: Client) -> None:
    user = User.objects.create_user("staff@staff.example.org", "x" * 20, full_name="S")
    client.force_login(user)
    response = client.get("/no-such-page-Jane-Doe-1980/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Jane-Doe" not in body
    assert "There is nothing here" in body
    assert response["X-Request-ID"] in body
