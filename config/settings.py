"""The one settings module. Everything that differs between machines comes from the environment.

DATABASE_URL  unset → an SQLite file in the project (var/db.sqlite3)
REDIS_URL     unset → Celery runs tasks eagerly in the web process and the cache is in memory
SECRET_KEY    required unless DEBUG is on
DEBUG         off unless set
ALLOWED_HOSTS comma-separated; defaults to localhost when DEBUG is on
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "未设置 SECRET_KEY：生产环境必须通过环境变量提供 SECRET_KEY（开发时可设置 DEBUG=1）。"
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105 - only ever used with DEBUG on

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.apps.JixiaoAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rules.apps.AutodiscoverRulesConfig",
    "django_tables2",
    "django_filters",
    "import_export",
    "axes",
    "simple_history",
    "audit",
    "accounts",
    "budgets",
    "indicators",
    "evaluations",
    "imports",
    "policy",
    "config.apps.SiteConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before anything reads the body (the CSRF check parses uploads): a body past the upload limit is refused.
    "config.limits.RequestBodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Gives the audit trail (django-simple-history) the signed-in user of each request.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "policy.context_processors.nav",
            ],
        },
    },
]

# Widgets rendered from Django's Jinja2 widget templates (the admin's own widgets from Django templates):
# config/renderers.py says why. Pages themselves stay Django templates.
FORM_RENDERER = "config.renderers.WidgetRenderer"

# --- Database -------------------------------------------------------------------------------------
_database_url = env_str("DATABASE_URL")
if _database_url:
    try:
        DATABASES = {
            "default": dj_database_url.parse(
                _database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", default=60), conn_health_checks=True
            )
        }
    except ValueError as exc:
        raise ImproperlyConfigured(f"环境变量 DATABASE_URL 无效：{exc}") from None
else:
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery ----------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"环境变量 REDIS_URL={REDIS_URL!r} 无效：应以 redis:// 或 rediss:// 开头。")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    # No broker configured: run every task in-process so the same code path works on a bare laptop.
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Shanghai"
# A whole WeasyPrint document lives in memory: recycle a worker child past ~600 MB.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_KB", default=600_000)
# When Redis is down, fail fast so the page can say so instead of hanging.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
# Outcomes live in the database (ReportExport), so no task result is stored: with Redis down, queueing would
# otherwise spend ~20 s retrying the result store before the page could say the service is unavailable.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # With acks_late a running task's message stays in Redis unacknowledged; one not acknowledged within the
    # visibility timeout is handed to another worker and runs a second time. So it must exceed the longest
    # export: the export task's hard limit is 20 min (evaluations/tasks.py), and with prefetch 1 a message is
    # not held waiting behind another. A killed pool process's task is requeued at once; the timeout only
    # decides how soon a task comes back when a whole worker machine dies. Users do not wait for it: such an
    # export stops reporting progress and is shown failed, with 重试, after EXPORT_STALE_AFTER (below).
    "visibility_timeout": 60 * 60,
    # A Redis host that does not answer (rather than refusing) would otherwise block a request for minutes.
    "socket_connect_timeout": 2,
}
# An export queued or running with no sign of life (queued, started, a progress report) for this many seconds is
# taken to be lost with its worker: the next look at it shows it failed, saying so, and offers 重试
# (evaluations/reports/exports.py). It must exceed the longest step between two progress reports (one table, or
# the summary sheet's PDF), or a slow but live export is stopped.
EXPORT_STALE_AFTER = 5 * 60
# Periodic tasks, sent by the one `celery beat` process (compose service beat) and run by a worker; crontab times
# are in CELERY_TIMEZONE. Without Redis nothing sends them: run the management commands instead.
CELERY_BEAT_SCHEDULE = {
    # Deletes the files of refused and abandoned uploads past their retention (below); idempotent.
    "purge-imports": {"task": "imports.tasks.purge_imports", "schedule": crontab(hour=3, minute=30)},
}

# --- Auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username/address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from one address,
# that pair is locked out for AXES_COOLOFF_MINUTES; a successful login resets the count.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_PROXY_COUNT = 1 if env_bool("BEHIND_PROXY", default=False) else 0

# Content-Security-Policy (django-csp): scripts, styles, images and fonts from this site only; no inline
# script or style, no plugins, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Language, time -------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "static")
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Retention of uploaded import files (imports/retention.py, daily through CELERY_BEAT_SCHEDULE) ---------------
# The file of a refused upload is deleted this many days after the upload; so is that of a preview never committed,
# which is then refused (it can no longer be committed). Committed imports keep their file as audit evidence. The
# import record itself always stays, with its preview and the reason.
IMPORT_REFUSED_RETENTION_DAYS = env_int("IMPORT_REFUSED_RETENTION_DAYS", default=30)
IMPORT_PREVIEW_RETENTION_DAYS = env_int("IMPORT_PREVIEW_RETENTION_DAYS", default=90)
# A workbook of more cells than this is checked and committed by a Celery task with progress, not in the request;
# a background import with no sign of life for IMPORT_STALE_AFTER seconds is ended, saying so (imports/jobs.py).
IMPORT_BACKGROUND_CELLS = 20_000
IMPORT_STALE_AFTER = 10 * 60
for _name, _days in [
    ("IMPORT_REFUSED_RETENTION_DAYS", IMPORT_REFUSED_RETENTION_DAYS),
    ("IMPORT_PREVIEW_RETENTION_DAYS", IMPORT_PREVIEW_RETENTION_DAYS),
]:
    if _days < 1:
        raise ImproperlyConfigured(f"环境变量 {_name}={_days} 无效：保留天数至少为 1。")

# --- Security (production values; DEBUG relaxes only what local HTTP needs) -----------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The container health probe talks plain HTTP to gunicorn from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Sends the "preload" flag only; submitting the domain to the browsers' list stays a deliberate step.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", default=False) else None
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Third-party ----------------------------------------------------------------------------------
DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every page it lays out at INFO: hundreds of lines per summary PDF.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
