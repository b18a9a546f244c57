"""Django settings. Every operator-facing knob comes from ``stadtbote.config`` (environment)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from stadtbote import config

try:
    CONFIG = config.parse(os.environ)
except config.ConfigError as exc:  # fail fast, name the variable
    raise SystemExit(f"stadtbote: configuration error: {exc}") from None

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = CONFIG.var_dir
SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
PUBLIC_URL = CONFIG.public_url
ALLOWED_HOSTS = ["*"] if DEBUG else ["127.0.0.1", "localhost", "[::1]", "testserver"]
_public_host = PUBLIC_URL.split("://", 1)[1].split("/", 1)[0].split(":")[0]
if _public_host not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_public_host)
CSRF_TRUSTED_ORIGINS = [PUBLIC_URL]

INSTALLED_APPS = [
    "stadtbote.ops.admin_config.OperatorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the API docs UI from our own static files, not a CDN
    "stadtbote.core",
    "stadtbote.tenants",
    "stadtbote.geo",
    "stadtbote.subscribers",
    "stadtbote.messages",
    "stadtbote.delivery",
    "stadtbote.broadcast",
    "stadtbote.pages",
    "stadtbote.reports",
    "stadtbote.audit",
    "stadtbote.cap",
    "stadtbote.assistant",
    "stadtbote.staff",
    "stadtbote.web",
    "stadtbote.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "stadtbote.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "stadtbote.staff.middleware.StaffSessionTimeout",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "stadtbote.urls"
WSGI_APPLICATION = "stadtbote.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Each delivery channel keeps its templates in its own folder (delivery/channels/<kind>/).
        "DIRS": [BASE_DIR / "delivery" / "channels" / "email" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {"default": CONFIG.database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    # Shared by all processes and machines (rate limits must hold across gunicorn workers).
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "stadtbote_cache",
    }
}

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "fanout", "send", "maintenance"],
    }
}

# Locked accounts (tenants/guard.py) cannot authenticate anywhere: console, admin, API.
AUTHENTICATION_BACKENDS = ["stadtbote.tenants.guard.LockingBackend"]

# Argon2id for staff passwords (memory-hard); older hashes are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# The name authenticator apps show next to the staff member's account.
OTP_TOTP_ISSUER = "Stadtbote"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

# Uploaded report photos. Never served as public files: views check tenant and moderation.
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media-not-served/"
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Leaflet comes from django-leaflet's bundled files; the app itself is not installed because its
# admin widgets import GeoDjango (GDAL), which Stadtbote does not need.
_leaflet = importlib.util.find_spec("leaflet")
STATICFILES_DIRS = (
    [("leaflet", Path(_leaflet.origin).parent / "static" / "leaflet")]
    if _leaflet and _leaflet.origin
    else []
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if os.environ.get("STADTBOTE_TESTING"):
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

_mail = CONFIG.email
EMAIL_BACKEND = _mail.backend
EMAIL_HOST = _mail.host
EMAIL_PORT = _mail.port
EMAIL_HOST_USER = _mail.user
EMAIL_HOST_PASSWORD = _mail.password
EMAIL_USE_TLS = _mail.use_tls
EMAIL_USE_SSL = _mail.use_ssl
EMAIL_FILE_PATH = _mail.file_path
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = "Stadtbote <noreply@stadtbote.invalid>"

STADTBOTE_WEBPUSH_ALLOWED_HOSTS = CONFIG.webpush_allowed_hosts
# Hosts official warnings may be polled from (cap/fetch.py): "host" (https) or "host:port";
# a loopback IP with a port also allows plain http, for tests.
CAP_ALLOWED_HOSTS = config.CAP_DEFAULT_HOSTS + CONFIG.cap_allowed_hosts
# Hosts the town's broadcast accounts may post to (broadcast/), in the same form.
STADTBOTE_BROADCAST_ALLOWED_HOSTS = config.BROADCAST_DEFAULT_HOSTS + CONFIG.broadcast_allowed_hosts
# The assistant's optional generative mode (assistant/generate.py): an OpenAI-compatible
# endpoint, or None (off). Only the operator's environment sets it; the API key is in it.
STADTBOTE_ASSISTANT_LLM = CONFIG.assistant_llm
# Seconds a worker process reuses a public message page or JSON without asking the database
# (core/microcache.py); the tests set 0 so every change shows at once.
STADTBOTE_MICROCACHE_S = 0.0 if os.environ.get("STADTBOTE_TESTING") else 2.0

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PUBLIC_URL.startswith("https://"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "stadtbote": {"handlers": ["console"], "level": "INFO"},
        "django_tasks_db": {"handlers": ["console"], "level": "WARNING"},
    },
}
