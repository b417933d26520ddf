"""Weft's Django settings. Everything comes from environment variables, with embedded defaults.

Embedded defaults (no services needed): SQLite under var/, in-memory channel layer, the database
task backend, the in-process embedded model. At scale: DATABASE_URL (PostgreSQL), REDIS_URL
(channels-redis and the cache), VLLM_BASE_URL (a vLLM server), several ASGI replicas.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("WEFT_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = _env_bool("WEFT_DEBUG", False)


def _secret_key() -> str:
    """WEFT_SECRET_KEY, else a random key kept in var/secret_key so sessions survive restarts."""
    key = os.environ.get("WEFT_SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Encrypts provider API keys and secrets at rest; defaults to a key derived from SECRET_KEY.
WEFT_ENCRYPTION_KEY = os.environ.get("WEFT_ENCRYPTION_KEY", "")

ALLOWED_HOSTS = _env_list("WEFT_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = _env_list("WEFT_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Only for its templates and static files: with "ninja" here, /api/docs serves Swagger UI
    # from our own static files, not a CDN an offline install cannot reach.
    "ninja",
    "servestatic",
    "channels",
    # Before django_tasks_db: kernel's db_worker (with a heartbeat) overrides its command.
    "kernel",
    "django_tasks",
    "django_tasks_db",
    "builder",
    "rag",
    "training",
    "tools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.CurrentWorkspaceMiddleware",
    # Django reads multipart bodies of POST only: the knowledge test set is a PUT of files.
    "ninja.compatibility.files.fix_request_files_middleware",
]

ROOT_URLCONF = "portal.urls"
ASGI_APPLICATION = "portal.asgi.application"
# The editor API's NinjaAPI (mounted at /api/ by ROOT_URLCONF), for `manage.py export_openapi`.
WEFT_EDITOR_API = "portal.api.api"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context.workspace",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'weft.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; a busy timeout instead of "locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file too, not Django's shared-cache in-memory database: there a write from the
    # run-log thread while a request writes fails at once ("database table is locked") instead
    # of waiting its turn as it does on the real file.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_weft.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("WEFT_DB_CONN_MAX_AGE", "60"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("WEFT_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "training", "rag", "tools"],
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedStaticFilesStorage"},
}
SERVESTATIC_USE_FINDERS = DEBUG

# Models. The embedded engine runs in-process unless WEFT_EMBEDDED_URL points at a shared
# `manage.py serve_model` server. VLLM_BASE_URL adds a "vllm" provider to every workspace.
WEFT_MODELS_DIR = Path(os.environ.get("WEFT_MODELS_DIR", DATA_DIR / "models"))
WEFT_EMBEDDED_MODEL = os.environ.get("WEFT_EMBEDDED_MODEL", "")  # a local HF model directory
WEFT_EMBEDDED_URL = os.environ.get("WEFT_EMBEDDED_URL", "")
VLLM_BASE_URL = os.environ.get("VLLM_BASE_URL", "")
VLLM_API_KEY = os.environ.get("VLLM_API_KEY", "")
# Knowledge bases: each backend kind's class, built per knowledge base with its OPTIONS as
# cls.for_knowledge_base(name, folder, embedder, **OPTIONS), or cls(folder, embedder) without
# that (rag/stores.py); a kind whose module is not installed is refused naming it.
# A kind is offered only when what it REQUIRES is set (option → the environment variable that
# sets it): Milvus needs a server (milvus-lite opens a file from one process, and the web and the
# worker are two); RAGFlow is a server with its own parsing, chunking and embedding, which the
# worker drives by uploading each file and following RAGFlow's progress (rag/ingestion_remote.py).
RAG_BACKENDS: dict[str, dict[str, Any]] = {
    "embedded": {"BACKEND": "rag.backends.embedded.EmbeddedBackend"},
    "milvus": {
        "BACKEND": "rag.backends.milvus.MilvusBackend",
        "OPTIONS": {
            "uri": os.environ.get("MILVUS_URI", ""),
            "token": os.environ.get("MILVUS_TOKEN", ""),
        },
        "REQUIRES": {"uri": "MILVUS_URI"},
    },
    "ragflow": {
        "BACKEND": "rag.backends.ragflow.RagflowBackend",
        "OPTIONS": {
            "base_url": os.environ.get("RAGFLOW_BASE_URL", ""),
            "api_key": os.environ.get("RAGFLOW_API_KEY", ""),
        },
        "REQUIRES": {"base_url": "RAGFLOW_BASE_URL", "api_key": "RAGFLOW_API_KEY"},
    },
}
# What `manage.py seed_demo` runs: the project seeds the demo across the feature apps.
WEFT_DEMO_SEEDER = "portal.demo.do_seed_demo"
# Server-side requests to URLs users chose (model providers, …) never reach loopback, private,
# link-local or metadata addresses, except these hosts or CIDRs (comma-separated). The two URLs
# above are an admin's own choice and are allowed without being listed (kernel/outbound.py).
WEFT_OUTBOUND_ALLOW = _env_list("WEFT_OUTBOUND_ALLOW", "")
# Workspace MCP servers (tools/): a pooled session no call used for this long is closed (its
# stdio server stopped); the editor's cached tool lists are checked again when this old.
WEFT_MCP_IDLE_S = float(os.environ.get("WEFT_MCP_IDLE_S", "300"))
WEFT_TOOL_LIST_TTL_S = float(os.environ.get("WEFT_TOOL_LIST_TTL_S", "300"))
# Local Hugging Face model folders offered as base models for training (besides "embedded"):
# named one by one, or every folder with a config.json under a root. Users pick among them only.
WEFT_TRAINING_BASE_MODELS = _env_list("WEFT_TRAINING_BASE_MODELS", "")
WEFT_MODEL_ROOTS = _env_list("WEFT_MODEL_ROOTS", "")

# Data limits (kernel/limits.py reads them; the README's configuration table lists them).
WEFT_MAX_BODY_BYTES = int(os.environ.get("WEFT_MAX_BODY_BYTES", str(2 * 1024 * 1024)))
WEFT_MAX_UPLOAD_BYTES = int(os.environ.get("WEFT_MAX_UPLOAD_BYTES", str(100 * 1024 * 1024)))
# One document of a knowledge base (Dify's default); an upload may carry several.
WEFT_MAX_DOCUMENT_BYTES = int(os.environ.get("WEFT_MAX_DOCUMENT_BYTES", str(15 * 1024 * 1024)))
WEFT_BODY_IDLE_TIMEOUT_S = float(os.environ.get("WEFT_BODY_IDLE_TIMEOUT_S", "10"))
WEFT_MAX_GRAPH_NODES = int(os.environ.get("WEFT_MAX_GRAPH_NODES", "1000"))
WEFT_MAX_GRAPH_EDGES = int(os.environ.get("WEFT_MAX_GRAPH_EDGES", "4000"))
WEFT_MAX_OUTPUT_BYTES = int(os.environ.get("WEFT_MAX_OUTPUT_BYTES", str(1024 * 1024)))
WEFT_MAX_RENDER_S = float(os.environ.get("WEFT_MAX_RENDER_S", "10"))
WEFT_MAX_JSON_DEPTH = int(os.environ.get("WEFT_MAX_JSON_DEPTH", "64"))
# One response body an HTTP request node reads (past it the node fails: no memory growth).
WEFT_MAX_RESPONSE_BYTES = int(os.environ.get("WEFT_MAX_RESPONSE_BYTES", str(10 * 1024 * 1024)))
# A code node's Python: wall (and CPU) seconds, and its address space in MiB.
WEFT_MAX_CODE_S = float(os.environ.get("WEFT_MAX_CODE_S", "10"))
WEFT_MAX_CODE_MEMORY_MB = int(os.environ.get("WEFT_MAX_CODE_MEMORY_MB", "256"))
# Django's own check of non-file request data agrees with the body limit (kernel/bodies.py
# refuses larger bodies before Django reads them).
DATA_UPLOAD_MAX_MEMORY_SIZE = WEFT_MAX_BODY_BYTES

# Throttles (kernel/throttle.py; counted in the cache, so across processes with REDIS_URL).
# Failed sign-ins per account and per address ("count/period", "0" = none).
WEFT_LOGIN_RATE = os.environ.get("WEFT_LOGIN_RATE", "10/5m")
# Per published-API key: requests a minute and runs at once (0 = no limit).
WEFT_API_KEY_RPM = int(os.environ.get("WEFT_API_KEY_RPM", "1200"))
WEFT_API_KEY_CONCURRENCY = int(os.environ.get("WEFT_API_KEY_CONCURRENCY", "32"))

# Mail (invitation links). Without WEFT_EMAIL_HOST nothing is mailed: the inviter copies the link.
EMAIL_HOST = os.environ.get("WEFT_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("WEFT_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("WEFT_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("WEFT_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("WEFT_EMAIL_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("WEFT_EMAIL_FROM", "weft@localhost")

# Dify sends an SSE ping every 10 s while a stream is idle.
WEFT_SSE_PING_S = float(os.environ.get("WEFT_SSE_PING_S", "10"))

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if _env_bool("WEFT_HTTPS", not DEBUG):
    SECURE_SSL_REDIRECT = _env_bool("WEFT_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("WEFT_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WEFT_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50
