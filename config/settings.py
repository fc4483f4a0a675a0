"""The one settings module. Everything that differs between machines comes from the environment.

See README.md "Configuration" for the variables. With DEBUG off (the default) a real SECRET_KEY
and ALLOWED_HOSTS are required, and the security settings below are the production profile that
``manage.py check --deploy`` accepts without warnings.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_int,
    env_list,
    env_origin,
    env_secret,
    env_str,
    env_time_zone,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("KAPCLINIC_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The demo profile (make run) lets demo logins skip steps that real staff cannot skip.
DEMO_MODE = env_bool("KAPCLINIC_DEMO", False)

_secret = env_secret("SECRET_KEY")
if not _secret:
    if not DEBUG:
        msg = "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off."
        raise ImproperlyConfigured(msg)
    _secret = "insecure-development-key-only-for-DEBUG-never-in-production"  # noqa: S105
SECRET_KEY = _secret

# --- Audit trail keys and checkpoints (issue 10, point 4; docs/security.md) -----------------
# The key that seals audit entries (HMAC-SHA256) and signs checkpoints. It must live outside the
# database (a secret file or the environment), or an attacker who can write to the database
# could re-seal a tampered trail. Required when DEBUG is off, as SECRET_KEY is.
_audit_key = env_secret("AUDIT_KEY")
if not _audit_key:
    if not DEBUG:
        msg = "AUDIT_KEY (or AUDIT_KEY_FILE) must be set when DEBUG is off."
        raise ImproperlyConfigured(msg)
    _audit_key = "insecure-development-audit-key-only-for-DEBUG-never-in-production"
if len(_audit_key) < 32:
    msg = "AUDIT_KEY must be at least 32 characters (e.g. `openssl rand -base64 48`)."
    raise ImproperlyConfigured(msg)
if _audit_key == SECRET_KEY:
    msg = "AUDIT_KEY must differ from SECRET_KEY (one key, one purpose)."
    raise ImproperlyConfigured(msg)
AUDIT_KEY = _audit_key
# Keys that sealed older entries, still accepted by verify_audit after a rotation (comma- or
# whitespace-separated; use AUDIT_RETIRED_KEYS_FILE with one key per line).
AUDIT_RETIRED_KEYS = (env_secret("AUDIT_RETIRED_KEYS") or "").replace(",", " ").split()
# Where manage.py audit_checkpoint appends signed checkpoints of the chain head (JSON lines).
# Production should point it at storage the database's users cannot rewrite (docs/security.md);
# unset, the deploy check warns that truncation of the newest entries cannot be detected.
AUDIT_CHECKPOINT_FILE = env_str(
    "AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit-checkpoints.jsonl") if DEBUG else ""
)
AUDIT_CHECKPOINT_SINK = env_str("AUDIT_CHECKPOINT_SINK", "kapclinic.audit.checkpoints.FileSink")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    msg = "ALLOWED_HOSTS must list this site's host names when DEBUG is off."
    raise ImproperlyConfigured(msg)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "kapclinic.accounts.admin_config.KapAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves Swagger UI from its bundled static files, not a CDN
    "kapclinic.core",
    "kapclinic.audit",
    "kapclinic.accounts",
    "kapclinic.patients",
    "kapclinic.screening",
    "kapclinic.consent",
    "kapclinic.referrals",
    "kapclinic.measurement",
    "kapclinic.scheduling",
    "kapclinic.ledger",
    "kapclinic.dosing",
    "kapclinic.today",
    "kapclinic.oversight",
    "kapclinic.administration",
    "kapclinic.portal",
    "kapclinic.api",
    "kapclinic.demo",
]

MIDDLEWARE = [
    "kapclinic.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kapclinic.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Deny by default: every view needs a login unless marked @login_not_required.
    "kapclinic.core.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kapclinic.accounts.middleware.ClinicMiddleware",
    # After ClinicMiddleware (the idle limit is the current clinic's): sign idle staff out, then
    # hold a session that has not passed the second sign-in step to that step.
    "kapclinic.accounts.middleware.IdleTimeoutMiddleware",
    "kapclinic.accounts.middleware.TwoFactorMiddleware",
    # Last: a tablet handed to a patient shows only their questionnaire (after the idle
    # sign-out above, which ends the mode with the session).
    "kapclinic.measurement.responses.patient_mode.PatientModeMiddleware",
]
if env_bool("KAPCLINIC_QUERY_COUNT_HEADER", False):
    # Benchmarks read X-Query-Count from each response; never on in production.
    MIDDLEWARE.insert(0, "kapclinic.core.middleware.QueryCountHeaderMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kapclinic" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kapclinic.accounts.context_processors.clinic",
                # The base layout's notices, safety banner and to-do badge, read together.
                "kapclinic.today.context_processors.layout",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kapclinic.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two writers never deadlock on upgrade;
    # WAL lets readers go on while one writer commits.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Django's ModelBackend, loading a staff member's memberships with the user (one query).
AUTHENTICATION_BACKENDS = ["kapclinic.accounts.backends.Backend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "today:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Clinic words (ketamine, Spravato, the clinics' names...), first guesses, season + year.
    {"NAME": "kapclinic.accounts.passwords.ClinicContextPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The server's zone; each clinic has its own zone, activated per request (ClinicMiddleware).
TIME_ZONE = env_time_zone("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
    "jpg",
    "jpeg",
    "png",
    "gif",
    "webp",
    "zip",
    "gz",
    "br",
    "map",
]
WHITENOISE_AUTOREFRESH = DEBUG  # development: serve from the finders, no collectstatic

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Security (production profile; DEBUG relaxes only what plain-HTTP development needs) ---
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=60)
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# How many proxies (load balancers) stand in front of the app and append to X-Forwarded-For;
# the client address used for lockouts and audit is the one the outermost trusted proxy saw.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# Behind a TLS-terminating load balancer that sets X-Forwarded-Proto.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 63_072_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "kapclinic.core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # django.request logs the request path and, on errors, the request itself; paths carry
        # only opaque ids (never PHI), and error reports are handled by our own handler views.
        "django.request": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO", "propagate": False, "handlers": []},
    },
}

# --- E-mail ---------------------------------------------------------------------------------
# Development prints messages to the console; production sets an SMTP URL-style backend.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "kapclinic <no-reply@localhost>")
# The public origin of the site, for links made where no request is at hand: the worker e-mails
# questionnaire links when they fall due. Unset in production, those links are not sent (the
# deploy check warns) and staff send them from the worklist.
BASE_URL = env_origin("KAPCLINIC_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "")
