"""Configuration from the environment, and the production profile's deploy check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_origin, env_secret, env_time_zone

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "pr0duction-" + "k3y-" * 12,
    "ALLOWED_HOSTS": "kap.example.org",
    "DATABASE_URL": "postgres://kap@db.example.org:5432/kapclinic",
    "TIME_ZONE": "America/Chicago",
    "KAPCLINIC_BASE_URL": "https://kap.example.org",
    "AUDIT_KEY": "pr0duction-audit-" + "k3y-" * 10,
    "AUDIT_CHECKPOINT_FILE": "/var/log/kapclinic/audit-checkpoints.jsonl",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "DJANGO_SETTINGS_MODULE",
            "SECURE_SSL_REDIRECT",
            "TASKS_BACKEND",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "KAPCLINIC_VAR_DIR",
            "KAPCLINIC_DEMO",
            "KAPCLINIC_BASE_URL",
            "AUDIT_KEY",
            "AUDIT_KEY_FILE",
            "AUDIT_RETIRED_KEYS",
            "AUDIT_RETIRED_KEYS_FILE",
            "AUDIT_CHECKPOINT_FILE",
            "AUDIT_CHECKPOINT_SINK",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_profile_passes_the_deploy_check_without_warnings() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_debug_off_without_a_secret_key_refuses_to_start() -> None:
    env = {**PRODUCTION_ENV}
    del env["SECRET_KEY"]
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off." in result.stderr


def test_debug_off_without_allowed_hosts_refuses_to_start() -> None:
    env = {**PRODUCTION_ENV}
    del env["ALLOWED_HOSTS"]
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must list" in result.stderr


def test_a_bad_time_zone_is_named_in_the_error() -> None:
    result = _manage("check", env={**PRODUCTION_ENV, "TIME_ZONE": "Mars/Olympus"})
    assert result.returncode != 0
    assert "TIME_ZONE must be an IANA time zone" in result.stderr


def test_the_database_comes_from_database_url() -> None:
    code = (
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['ENGINE'], d['NAME'], d['HOST'])"
    )
    result = _manage("shell", "-v", "0", "-c", code, env=PRODUCTION_ENV)
    assert result.stdout.split() == ["django.db.backends.postgresql", "kapclinic", "db.example.org"]


def test_without_database_url_the_default_is_sqlite_under_var(tmp_path: Path) -> None:
    env = {**PRODUCTION_ENV, "KAPCLINIC_VAR_DIR": str(tmp_path)}
    del env["DATABASE_URL"]
    code = "from django.conf import settings; print(settings.DATABASES['default']['NAME'])"
    result = _manage("shell", "-v", "0", "-c", code, env=env)
    assert result.stdout.strip() == str(tmp_path / "kapclinic.sqlite3")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False), ("", False)],
)
def test_env_bool_reads_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("KAP_FLAG", raw)
    assert env_bool("KAP_FLAG", not expected) is expected


def test_env_bool_rejects_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAP_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="KAP_FLAG must be a boolean"):
        env_bool("KAP_FLAG", False)


def test_env_int_checks_type_and_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAP_N", "ten")
    with pytest.raises(ImproperlyConfigured, match="KAP_N must be a whole number"):
        env_int("KAP_N", 1)
    monkeypatch.setenv("KAP_N", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("KAP_N", 1, minimum=0)
    monkeypatch.setenv("KAP_N", "42")
    assert env_int("KAP_N", 1, minimum=0) == 42


def test_env_list_splits_and_trims(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAP_HOSTS", " a.example.org, b.example.org ,,")
    assert env_list("KAP_HOSTS", []) == ["a.example.org", "b.example.org"]
    monkeypatch.delenv("KAP_HOSTS")
    assert env_list("KAP_HOSTS", ["x"]) == ["x"]


def test_env_secret_prefers_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv("KAP_SECRET", "from-env")
    monkeypatch.setenv("KAP_SECRET_FILE", str(secret_file))
    assert env_secret("KAP_SECRET") == "from-file"
    monkeypatch.setenv("KAP_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env_secret("KAP_SECRET")
    monkeypatch.delenv("KAP_SECRET_FILE")
    assert env_secret("KAP_SECRET") == "from-env"


def test_env_time_zone_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAP_TZ", "Europe/Paris")
    assert env_time_zone("KAP_TZ", "UTC") == "Europe/Paris"
    monkeypatch.setenv("KAP_TZ", "Nowhere/Land")
    with pytest.raises(ImproperlyConfigured):
        env_time_zone("KAP_TZ", "UTC")


def test_the_deploy_check_refuses_the_demo_profile() -> None:
    result = _manage("check", "--deploy", env={**PRODUCTION_ENV, "KAPCLINIC_DEMO": "1"})
    assert result.returncode != 0
    assert "kapclinic.E001" in result.stderr


def test_env_origin_keeps_scheme_and_host_and_refuses_a_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAP_ORIGIN", " https://kap.example.org:8443/ ")
    assert env_origin("KAP_ORIGIN", "") == "https://kap.example.org:8443"
    for bad in (
        "kap.example.org",
        "ftp://kap.example.org",
        "https://kap.example.org/kap",
        "https://kap.example.org/?next=1",
        "https://admin:secret@kap.example.org",
        "https://kap.example.org:99999",
    ):
        monkeypatch.setenv("KAP_ORIGIN", bad)
        with pytest.raises(ImproperlyConfigured, match="KAP_ORIGIN must be an origin"):
            env_origin("KAP_ORIGIN", "")
    monkeypatch.delenv("KAP_ORIGIN")
    assert env_origin("KAP_ORIGIN", "") == ""


def test_the_deploy_check_warns_when_links_cannot_be_sent_automatically() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "KAPCLINIC_BASE_URL"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "kapclinic.W001" in result.stdout + result.stderr
    assert "KAPCLINIC_BASE_URL is not set" in result.stdout + result.stderr


def test_debug_off_without_an_audit_key_refuses_to_start() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "AUDIT_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "AUDIT_KEY (or AUDIT_KEY_FILE) must be set when DEBUG is off." in result.stderr


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("too-short", "AUDIT_KEY must be at least 32 characters"),
        (PRODUCTION_ENV["SECRET_KEY"], "AUDIT_KEY must differ from SECRET_KEY"),
    ],
)
def test_a_weak_audit_key_refuses_to_start(key: str, message: str) -> None:
    result = _manage("check", env={**PRODUCTION_ENV, "AUDIT_KEY": key})
    assert result.returncode != 0
    assert message in result.stderr


def test_the_audit_keys_come_from_files(tmp_path: Path) -> None:
    key_file = tmp_path / "audit_key"
    key_file.write_text("k" * 40 + "\n", encoding="utf-8")
    retired_file = tmp_path / "retired"
    retired_file.write_text("r" * 40 + "\n" + "s" * 40 + "\n", encoding="utf-8")
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "AUDIT_KEY"}
    env |= {"AUDIT_KEY_FILE": str(key_file), "AUDIT_RETIRED_KEYS_FILE": str(retired_file)}
    code = (
        "from django.conf import settings; "
        "print(settings.AUDIT_KEY == 'k' * 40, [len(k) for k in settings.AUDIT_RETIRED_KEYS])"
    )
    result = _manage("shell", "-v", "0", "-c", code, env=env)
    assert result.stdout.strip() == "True [40, 40]", result.stderr


def test_the_deploy_check_warns_when_no_audit_checkpoints_are_kept() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "AUDIT_CHECKPOINT_FILE"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "kapclinic.W002" in result.stdout + result.stderr
    assert "AUDIT_CHECKPOINT_FILE is not set" in result.stdout + result.stderr


def test_development_needs_no_audit_configuration(tmp_path: Path) -> None:
    env = {"DEBUG": "1", "KAPCLINIC_VAR_DIR": str(tmp_path)}
    code = (
        "from django.conf import settings; "
        "print(settings.AUDIT_KEY.startswith('insecure-development'), "
        "settings.AUDIT_CHECKPOINT_FILE)"
    )
    result = _manage("shell", "-v", "0", "-c", code, env=env)
    assert result.stdout.split() == ["True", str(tmp_path / "audit-checkpoints.jsonl")]
