from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

from kapclinic.audit.checkpoints import FileSink


@pytest.fixture
def actor(db: None) -> AbstractBaseUser:
    return get_user_model().objects.create_user(
        "auditor@staff.example.org", "x" * 20, full_name="Ann Auditor"
    )


@pytest.fixture
def sink(tmp_path: Path) -> FileSink:
    return FileSink(tmp_path / "audit-checkpoints.jsonl")
