"""comptoir's one settings module.

Only this module reads ``COMPTOIR_*`` environment variables. Everything else asks Django's
settings, so no application code knows which mode (embedded or distributed) it runs in.

Embedded default: SQLite in ``var/``, Celery on a SQLite broker, in-memory channel layer
bridged between processes by a SQLite file, in-memory cache.
Distributed: set ``COMPTOIR_DATABASE_URL`` (PostgreSQL), ``COMPTOIR_BROKER_URL`` and
``COMPTOIR_REDIS_URL`` (Redis: channel layer and cache).
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"COMPTOIR_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env("VAR_DIR", str(Path.cwd() / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG")
# In embedded mode a random key is made once and kept in var/; production sets its own.
_secret_file = VAR_DIR / "secret_key"
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not _secret_file.exists():
        from django.core.management.utils import get_random_secret_key

        _secret_file.write_text(get_random_secret_key())
        _secret_file.chmod(0o600)
    SECRET_KEY = _secret_file.read_text().strip()

ALLOWED_HOSTS = [h for h in env("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")]
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o]
BASE_URL = env("BASE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "comptoir",
    "comptoir.accounts",
    "comptoir.people",
    "comptoir.conversations",
    "comptoir.email",
    "comptoir.routing",
    "comptoir.sla",
    "comptoir.api",
    "comptoir.reports",
    "comptoir.bugs",
    "comptoir.surveys",
    "comptoir.quality",
    "comptoir.teamwork",
    "comptoir.pairing",
    "ninja",  # serves the API docs page's assets locally (no CDN)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "channels",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "comptoir.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "comptoir.urls"
WSGI_APPLICATION = "comptoir.wsgi.application"
ASGI_APPLICATION = "comptoir.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "comptoir.accounts.context_processors.permissions",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'comptoir.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE avoids upgrade deadlocks.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000;"
        ),
    }
else:
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env("TEST_DATABASE_NAME", "test_comptoir")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # parameters travel apart from the SQL (psycopg's server-side binding) instead of being
        # quoted into it in Python: a raw email's bytes or a batch's arrays cost no escaping
        DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "inbox"
LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
# Staff accounts are created by admins; nobody signs themselves up as an agent.
ACCOUNT_ADAPTER = "comptoir.accounts.adapter.StaffAccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("de", _("German")),
    ("es", _("Spanish")),
    ("ja", _("Japanese")),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from the package meanwhile
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: attachments go through a permission check
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from the package in `comptoir run`
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
COMPTOIR_MAX_ATTACHMENT_BYTES = int(env("MAX_ATTACHMENT_BYTES", str(25 * 1024 * 1024)))

# --- jobs -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env("BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("TASKS_EAGER")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# One queue name per deployment sharing a broker (tests give each run its own).
CELERY_TASK_DEFAULT_QUEUE = env("TASK_QUEUE", "celery")
# Redis only (RabbitMQ gives a dead consumer's unacknowledged messages back at once): a task
# taken by a worker that died before acknowledging it (acks_late) goes back to its queue this
# many seconds after it was taken; workers look for such tasks every tenth of that (1-10 s).
# A task still running after this long may start a second time: tasks are idempotent.
BROKER_VISIBILITY_TIMEOUT = float(env("BROKER_VISIBILITY_TIMEOUT", "3600"))
if CELERY_BROKER_URL.partition(":")[0] in {"redis", "rediss"}:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
        "unacked_restore_interval": min(10.0, max(1.0, BROKER_VISIBILITY_TIMEOUT / 10)),
        "unacked_restore_throttle": 1,
    }

# --- email ----------------------------------------------------------------------------------
# Inbound SMTP (`comptoir smtpd`, also started by `comptoir run`).
SMTPD_HOST = env("SMTPD_HOST", "127.0.0.1")
SMTPD_PORT = int(env("SMTPD_PORT", "2525"))
MAX_MESSAGE_BYTES = int(env("MAX_MESSAGE_BYTES", str(25 * 1024 * 1024)))
# Outbound relay, e.g. smtp://user:pass@smtp.example.com:587?starttls=1. Empty: replies are
# written as .eml files to VAR_DIR/outbox (the embedded demo has no mail server).
SMTP_URL = env("SMTP_URL")
SMTP_TIMEOUT = float(env("SMTP_TIMEOUT", "30"))
# Safety: more than this many messages from one sender in an hour is a mail loop.
LOOP_MAX_PER_HOUR = int(env("LOOP_MAX_PER_HOUR", "30"))
# A reply without references joins the sender's conversation with the same subject if that
# conversation was active within this many days.
THREAD_WINDOW_DAYS = int(env("THREAD_WINDOW_DAYS", "14"))
# Authentication-Results headers are read only from these authserv-ids (our own MTA); empty:
# the topmost header, which the receiving MTA added.
AUTHSERV_IDS = [a for a in env("AUTHSERV_IDS").split(",") if a]
IMAP_POLL_SECONDS = float(env("IMAP_POLL_SECONDS", "60"))
CELERY_BEAT_SCHEDULE = {
    # a poll that waited longer than the interval is dropped: the next one is due anyway
    "poll-imap": {"task": "email.poll_imap_mailboxes", "schedule": IMAP_POLL_SECONDS,
                  "options": {"expires": IMAP_POLL_SECONDS}},
    # payloads stored whose processing job was lost (crash between storing and queueing)
    "process-stranded": {"task": "conversations.process_stranded", "schedule": 120.0,
                         "options": {"expires": 120.0}},
    # temporary delivery failures, and replies whose job was lost before it was queued
    "retry-deliveries": {"task": "email.retry_due_deliveries", "schedule": 60.0,
                         "options": {"expires": 60.0}},
    # rollups for reports: events since the watermark, so figures run seconds behind
    "reports-refresh": {"task": "reports.refresh_rollups", "schedule": 10.0,
                        "options": {"expires": 10.0}},
    # weekly digest to leads, Monday morning in each lead's time zone (sent once a week)
    "reports-digest": {"task": "reports.send_due_digests", "schedule": 900.0,
                       "options": {"expires": 900.0}},
    # SLA warnings, breaches and escalations (comptoir.sla.services.sweep)
    "sla-sweep": {"task": "sla.sweep", "schedule": 60.0, "options": {"expires": 60.0}},
    # follow-ups of fixed bugs whose job was lost (comptoir.bugs)
    "bugs-missed-follow-ups": {"task": "bugs.send_missed_follow_ups", "schedule": 300.0,
                               "options": {"expires": 300.0}},
    # the week's peer-review assignments, Monday 00:30 UTC (idempotent: a rerun adds nothing)
    "quality-review-assignments": {"task": "quality.build_weekly_assignments",
                                   "schedule": crontab(minute=30, hour=0, day_of_week=1)},
    # satisfaction surveys: offer those due (solved long enough ago), retry failed sends
    "surveys-offer": {"task": "surveys.offer_due", "schedule": 300.0,
                      "options": {"expires": 300.0}},
    # conversations waiting in a queue go to whoever came on shift (follow-the-sun)
    "routing-waiting": {"task": "routing.route_waiting", "schedule": 300.0,
                        "options": {"expires": 300.0}},
    # daily shares: picked (and topped up) for people whose working day has started in their
    # time zone, with the morning digest (one a person a day, however often this runs)
    "teamwork-shares": {"task": "teamwork.pick_due_shares", "schedule": crontab(minute=0),
                        "options": {"expires": 3600.0}},
    # a person's first ever reply to a customer, celebrated once for the team to see
    "teamwork-first-replies": {"task": "teamwork.celebrate_first_replies", "schedule": 60.0,
                               "options": {"expires": 60.0}},
    # asks for an advocate made while nobody was on call go to whoever comes on call
    "teamwork-queued-asks": {"task": "teamwork.hand_over_asks", "schedule": 60.0,
                             "options": {"expires": 60.0}},
    # customer days held without their record: the pair is reminded once (comptoir.pairing)
    "pairing-record-reminders": {"task": "pairing.remind_missing_records",
                                 "schedule": crontab(minute=15), "options": {"expires": 3600.0}},
}

# --- bugs (comptoir.bugs) -------------------------------------------------------------------
# The secret entered in the GitHub repository's webhook settings: POST /hooks/github/ checks
# each delivery's X-Hub-Signature-256 with it. Empty: the endpoint answers 503.
GITHUB_WEBHOOK_SECRET = env("GITHUB_WEBHOOK_SECRET")
GITHUB_WEBHOOK_MAX_BYTES = int(env("GITHUB_WEBHOOK_MAX_BYTES", str(1024 * 1024)))
GITHUB_WEBHOOK_RATE_PER_MINUTE = int(env("GITHUB_WEBHOOK_RATE_PER_MINUTE", "120"))
# GitLab's project webhook "Secret token" (POST /hooks/gitlab/ compares X-Gitlab-Token with
# it) and a Jira Cloud admin webhook's secret (POST /hooks/jira/ checks X-Hub-Signature).
# Empty: that endpoint answers 503. The size and rate limits above apply to them too.
GITLAB_WEBHOOK_SECRET = env("GITLAB_WEBHOOK_SECRET")
JIRA_WEBHOOK_SECRET = env("JIRA_WEBHOOK_SECRET")

# --- whole-team support (comptoir.teamwork) -------------------------------------------------
# Each person's daily share by default (they change their own; 0 is off), the tag marking
# conversations that suit a newcomer, and how close to its SLA target a conversation is left
# to advocates.
TEAMWORK_DAILY_SHARE = int(env("TEAMWORK_DAILY_SHARE", "5"))
TEAMWORK_GOOD_FIRST_TAG = env("TEAMWORK_GOOD_FIRST_TAG", "good-first-reply")
TEAMWORK_SLA_MARGIN_HOURS = float(env("TEAMWORK_SLA_MARGIN_HOURS", "4"))

# --- realtime -------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 gives up a read after 5 s by default, as long as the blocking
                # read that waits for a websocket's next event: idle websockets would drop
                # every 5 s (django/channels_redis#422), so reads wait longer
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                # keeps deployments (and test runs) sharing one Redis apart
                "prefix": env("CHANNEL_PREFIX", "comptoir"),
            },
        }
    }
else:
    # in memory within the ASGI process, plus a small SQLite file through which the worker,
    # beat and commands reach its websockets (comptoir.realtime.layers)
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "comptoir.realtime.layers.SQLiteChannelLayer",
            "CONFIG": {"path": str(VAR_DIR / "realtime.sqlite3")},
        }
    }

# --- cache ----------------------------------------------------------------------------------
# Rate limits (survey page, GitHub webhooks, allauth's login throttles) count in the cache.
# Distributed: Redis, shared by every process on every host, so N web processes don't grant N
# times the limit. Embedded: Django's in-memory cache, enough for the one web process.
CACHE_URL = env("CACHE_URL", REDIS_URL)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # keeps deployments (and test runs) sharing one Redis apart
            "KEY_PREFIX": env("CACHE_PREFIX", "comptoir"),
            # a Redis that stopped answering fails a request in seconds, not minutes
            "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
        }
    }

# --- API ------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
