"""Settings read from environment variables; README.md lists each with its default."""

import os
from pathlib import Path

DEV_SECRET_KEY = "development-only-secret-key"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the app configuration from the environment and explicit overrides."""
    env = os.environ
    instance = Path(instance_path)
    settings = {
        "ENV_NAME": env.get("PORTAL_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": env.get(
            "DATABASE_URL", f"sqlite:///{instance / 'portal.sqlite3'}"
        ),
        "ENABLED_MODULES": env.get("ENABLED_MODULES", "all"),
        "TIMEZONE": env.get("TIMEZONE", "Asia/Shanghai"),
        "BABEL_DEFAULT_LOCALE": env.get("DEFAULT_LANGUAGE", "zh_CN"),
        "BABEL_DEFAULT_TIMEZONE": env.get("TIMEZONE", "Asia/Shanghai"),
        "SMTP_HOST": env.get("SMTP_HOST", ""),
        "SMTP_PORT": int(env.get("SMTP_PORT", "25")),
        "SMTP_USERNAME": env.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _bool(env.get("SMTP_STARTTLS", "false")),
        "MAIL_SENDER": env.get("MAIL_SENDER", "portal@zhuzhou.gov.cn"),
        "MAIL_FILE_DIR": env.get("MAIL_FILE_DIR", str(instance / "outbox")),
        "SMTP_TIMEOUT": float(env.get("SMTP_TIMEOUT", "30")),
        "MAIL_MAX_ATTEMPTS": int(env.get("MAIL_MAX_ATTEMPTS", "10")),
        "MAIL_RETRY_SECONDS": int(env.get("MAIL_RETRY_SECONDS", "60")),
        "MAIL_RETRY_MAX_SECONDS": int(env.get("MAIL_RETRY_MAX_SECONDS", "21600")),
        "MAIL_SENDING_STALE_SECONDS": int(env.get("MAIL_SENDING_STALE_SECONDS", "900")),
        "MAIL_DRAIN_BATCH": int(env.get("MAIL_DRAIN_BATCH", "1000")),
        "MAIL_SEND_CHUNK": int(env.get("MAIL_SEND_CHUNK", "20")),
        "SCHEDULER_WORKERS": int(env.get("SCHEDULER_WORKERS", "4")),
        "SCHEDULER_POLL_SECONDS": float(env.get("SCHEDULER_POLL_SECONDS", "5")),
        "UPLOAD_FOLDER": env.get("UPLOAD_FOLDER", str(instance / "uploads")),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
        "SCHEDULER_IN_WEB": _bool(env.get("SCHEDULER_IN_WEB", "true")),
        "LOGIN_MAX_FAILURES": int(env.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCK_MINUTES": int(env.get("LOGIN_LOCK_MINUTES", "15")),
        "API_RATE_LIMIT_PER_MINUTE": int(env.get("API_RATE_LIMIT_PER_MINUTE", "600")),
        "RATELIMIT_STORAGE_URI": env.get("RATE_LIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "API_TOKEN_CACHE_SECONDS": float(env.get("API_TOKEN_CACHE_SECONDS", "5")),
        "CALENDAR_REFRESH_SECONDS": float(env.get("CALENDAR_REFRESH_SECONDS", "2")),
        "FIREFIGHTER_GATE_REFRESH_SECONDS": float(
            env.get("FIREFIGHTER_GATE_REFRESH_SECONDS", "2")
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "FLASK_ADMIN_SWATCH": "default",
        "TESTING": False,
    }
    settings.update(overrides or {})

    production = settings["ENV_NAME"] == "production"
    settings["SESSION_COOKIE_SECURE"] = production
    settings["REMEMBER_COOKIE_SECURE"] = production
    if production and settings["SECRET_KEY"] == DEV_SECRET_KEY:
        raise RuntimeError(
            "SECRET_KEY is the development key; set a long random SECRET_KEY "
            "before running with PORTAL_ENV=production."
        )
    return settings


def enabled_module_names(value: str) -> list[str] | None:
    """Parse ENABLED_MODULES: None means every module; "none" means the core only."""
    value = (value or "").strip()
    if value in {"", "all", "*"}:
        return None
    if value == "none":
        return []
    return [name.strip() for name in value.split(",") if name.strip()]
