"""Configuration is parsed strictly from the environment and fails fast naming the variable."""

from __future__ import annotations

import pytest

from stadtbote.config import ConfigError, parse


def env(tmp_path, **values):
    return {"STADTBOTE_VAR_DIR": str(tmp_path), **values}


def test_defaults_need_no_configuration(tmp_path):
    config = parse(env(tmp_path))
    assert config.database["ENGINE"] == "django.db.backends.sqlite3"
    assert config.database["NAME"] == str(tmp_path / "stadtbote.sqlite3")
    assert config.email.backend.endswith("filebased.EmailBackend")
    assert config.email.file_path == str(tmp_path / "mail")
    assert config.public_url == "http://127.0.0.1:8000"
    assert config.webpush_allowed_hosts == ()
    assert config.cap_allowed_hosts == ()
    assert config.assistant_llm is None  # the assistant's generative mode is off


def test_the_secret_key_is_generated_once_and_kept(tmp_path):
    first = parse(env(tmp_path)).secret_key
    assert len(first) >= 50
    assert parse(env(tmp_path)).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_and_smtp_urls_are_understood(tmp_path):
    config = parse(
        env(
            tmp_path,
            STADTBOTE_DATABASE_URL="postgres://app:s3cret@db.internal:5433/stadtbote",
            STADTBOTE_EMAIL_URL="smtp://mailer:p%40ss@smtp.example.org:587?tls=starttls",
            STADTBOTE_WEBPUSH_ALLOWED_HOSTS="push.example.org, 127.0.0.1:8765",
            STADTBOTE_CAP_ALLOWED_HOSTS="Warnungen.Land.example, 127.0.0.1:8766",
            STADTBOTE_PUBLIC_URL="https://bote.musterstadt.de/",
        )
    )
    assert config.database["NAME"] == "stadtbote"
    assert config.database["PORT"] == 5433
    assert (config.email.host, config.email.port, config.email.user, config.email.password) == (
        "smtp.example.org",
        587,
        "mailer",
        "p@ss",
    )
    assert config.email.use_tls
    assert not config.email.use_ssl
    assert config.webpush_allowed_hosts == ("push.example.org", "127.0.0.1:8765")
    assert config.cap_allowed_hosts == ("warnungen.land.example", "127.0.0.1:8766")
    assert config.public_url == "https://bote.musterstadt.de"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STADTBOTE_DATABASE_URL", "mysql://root@localhost/x"),
        ("STADTBOTE_EMAIL_URL", "http://smtp.example.org"),
        ("STADTBOTE_EMAIL_URL", "smtp://smtp.example.org:25?tls=maybe"),
        ("STADTBOTE_EMAIL_URL", "smtp://smtp.example.org:notaport"),
        ("STADTBOTE_SECRET_KEY", "short"),
        ("STADTBOTE_TASKS_BACKEND", "celery"),
        ("STADTBOTE_PUBLIC_URL", "ftp://x"),
        ("STADTBOTE_WEBPUSH_ALLOWED_HOSTS", "https://push.example.org/path"),
        ("STADTBOTE_CAP_ALLOWED_HOSTS", "https://opendata.dwd.de/weather"),
        ("STADTBOTE_CAP_ALLOWED_HOSTS", "user@warnung.bund.de"),
        ("STADTBOTE_ASSISTANT_LLM_URL", "ftp://llm.internal/v1"),
        ("STADTBOTE_ASSISTANT_LLM_URL", "127.0.0.1:8080/v1"),
        ("STADTBOTE_ASSISTANT_LLM_URL", "https://user:secret@llm.example.org/v1"),
        ("STADTBOTE_ASSISTANT_LLM_URL", "https://llm.example.org/v1?key=secret"),
        ("STADTBOTE_ASSISTANT_LLM_URL", "http://127.0.0.1:notaport/v1"),
        ("STADTBOTE_ASSISTANT_LLM_MODEL", "llama-3.1-8b"),  # without a URL
        ("STADTBOTE_ASSISTANT_LLM_API_KEY", "sk-123"),  # without a URL
    ],
)
def test_a_malformed_variable_fails_fast_naming_it(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        parse(env(tmp_path, **{name: value}))


def test_the_cap_hosts_are_the_official_feeds_plus_the_operators(settings):
    from stadtbote import config

    assert config.CAP_DEFAULT_HOSTS == ("opendata.dwd.de", "www.dwd.de", "warnung.bund.de")
    assert settings.CAP_ALLOWED_HOSTS[:3] == config.CAP_DEFAULT_HOSTS


def test_the_assistants_language_model_endpoint_is_read_with_its_key_and_timeout(tmp_path):
    llm = parse(
        env(
            tmp_path,
            STADTBOTE_ASSISTANT_LLM_URL="http://127.0.0.1:8080/v1/",
            STADTBOTE_ASSISTANT_LLM_MODEL="qwen2.5-7b-instruct",
            STADTBOTE_ASSISTANT_LLM_API_KEY="sk-local-123",
            STADTBOTE_ASSISTANT_LLM_TIMEOUT="4.5",
        )
    ).assistant_llm
    assert llm is not None
    assert (llm.url, llm.model, llm.api_key, llm.timeout) == (
        "http://127.0.0.1:8080/v1",
        "qwen2.5-7b-instruct",
        "sk-local-123",
        4.5,
    )
    assert "sk-local-123" not in repr(llm)  # the key never shows in logs or tracebacks


def test_the_endpoint_needs_no_key_and_waits_8_seconds_by_default(tmp_path):
    llm = parse(
        env(
            tmp_path,
            STADTBOTE_ASSISTANT_LLM_URL="https://llm.example.org/v1",
            STADTBOTE_ASSISTANT_LLM_MODEL="gpt-4o-mini",
        )
    ).assistant_llm
    assert llm is not None
    assert (llm.api_key, llm.timeout) == ("", 8.0)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STADTBOTE_ASSISTANT_LLM_MODEL", ""),  # required with a URL
        ("STADTBOTE_ASSISTANT_LLM_TIMEOUT", "soon"),
        ("STADTBOTE_ASSISTANT_LLM_TIMEOUT", "0"),
        ("STADTBOTE_ASSISTANT_LLM_TIMEOUT", "-1"),
        ("STADTBOTE_ASSISTANT_LLM_TIMEOUT", "600"),
        ("STADTBOTE_ASSISTANT_LLM_TIMEOUT", "nan"),
        ("STADTBOTE_ASSISTANT_LLM_API_KEY", "sk 123"),
        ("STADTBOTE_ASSISTANT_LLM_API_KEY", "sk-123\r\nX-Injected: 1"),
    ],
)
def test_a_malformed_endpoint_setting_fails_fast_naming_it(tmp_path, name, value):
    values = {
        "STADTBOTE_ASSISTANT_LLM_URL": "http://127.0.0.1:8080/v1",
        "STADTBOTE_ASSISTANT_LLM_MODEL": "m",
        name: value,
    }
    with pytest.raises(ConfigError, match=name):
        parse(env(tmp_path, **values))
