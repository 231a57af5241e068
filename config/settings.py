"""Settings for the property-management supervision portal.

One file, read from the environment (12-factor). The defaults are the
embedded setup used by `make run`: SQLite in var/ and kombu's filesystem
broker, so a newcomer needs no server. Production sets DATABASE_URL,
CELERY_BROKER_URL, SECRET_KEY, ALLOWED_HOSTS and DEBUG=0.
"""
from pathlib import Path

import environ
from celery.schedules import crontab
from csp import constants as csp_constants
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# HTTPS-only cookies, HSTS and the SSL redirect; on by default in production.
HTTPS = env.bool("HTTPS", default=not DEBUG)

_DEV_SECRET = "insecure-dev-key-only-for-make-run-and-tests-change-me-in-production-0123456789"
SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET)
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise environ.ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG=0 (for local work, `make run` writes DEBUG=1 into .env)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.admin_apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    # Swagger UI and Redoc served from static files (no CDN): /api/v1/docs/ and /api/v1/redoc/.
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "simple_history",
    # Its system checks guard the cache that holds the rate-limit counters (CACHES below).
    "django_ratelimit",
    "accounts",
    "communities",
    "enterprises",
    "inspections",
    "ratings",
    "subsidies",
    "workdays",
    "complaints",
    "ops",
    "maintenance",
    "evaluations",
    "reports",
    # The demo data (`manage.py seed_demo`): imports the apps above, imported by none; always last.
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Text responses gzipped (static files are compressed by WhiteNoise); BREACH: see the class.
    "accounts.middleware.TextGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The 30-minute idle logout, writing the session at most once a minute (not on every request).
    "accounts.middleware.IdleTimeoutMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A user whose password an admin chose is sent to the change page until they choose their own.
    "accounts.middleware.ForcePasswordChangeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # AxesMiddleware must be last (django-axes docs).
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
                "django.template.context_processors.i18n",
                "accounts.context_processors.notifications",
                "accounts.context_processors.menu",
                "workdays.context_processors.calendar_warning",
                "accounts.context_processors.portal_footer",
            ],
        },
    },
]

# The footer of every page, login and public pages included, so that each city shows its own issuing
# authority: its name (empty: the portal's name, 物业管理监管平台), a contact line and the ICP filing number.
PORTAL_AUTHORITY = env("PORTAL_AUTHORITY", default="")
PORTAL_AUTHORITY_CONTACT = env("PORTAL_AUTHORITY_CONTACT", default="")
PORTAL_ICP = env("PORTAL_ICP", default="")

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: IMMEDIATE transactions and WAL
    # avoid most "database is locked" errors (Django >= 5.1).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
if "postgresql" in DATABASES["default"]["ENGINE"] or "postgis" in DATABASES["default"]["ENGINE"]:
    # No JIT for the portal's own connections: its queries are short, and compiling them costs more
    # than it saves (issue 10 measured the city home page's aggregate at 77 ms with JIT, 29 ms without).
    # random_page_cost 1.1 (PostgreSQL's default 4 models spinning disks): the database sits on SSD and a
    # city's working set fits in memory; with 4 the planner hashes whole tables (12,000 estates) to join
    # the few hundred rows of a page instead of looking them up by primary key.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(filter(None, [
        _options.get("options", ""), "-c jit=off",
        f"-c random_page_cost={env.float('PG_RANDOM_PAGE_COST', default=1.1)}"]))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and rate limits -------------------------------------------------
# The default cache holds django-ratelimit's counters (the public complaint form and tracking page), so
# every web process must share it. Production: Redis (CACHE_URL, e.g. redis://127.0.0.1:6379/6; REDIS_URL
# is read when CACHE_URL is not set), Django's own backend, whose incr is Redis's atomic INCR. Without
# Redis (`make run`, SQLite): the database, table portal_cache, created by `manage.py createcachetable`
# (`make migrate` and the README's release steps run it; tests create it with the test database), through
# config.cache.AtomicDatabaseCache, whose incr is one locking transaction (Django's is a get and a set).
CACHE_URL = env("CACHE_URL", default=env("REDIS_URL", default=""))
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "KEY_PREFIX": "portal"}}
else:
    # MAX_ENTRIES: culling drops counters, so it must stay far above the counters of a busy day.
    CACHES = {"default": {"BACKEND": "config.cache.AtomicDatabaseCache", "LOCATION": "portal_cache",
                          "OPTIONS": {"MAX_ENTRIES": 50_000}}}
RATELIMIT_USE_CACHE = "default"
# django-ratelimit 4.1 warns (W001) for every backend outside its list, which names django-redis's but not
# Django's own Redis backend (Django >= 4.0) nor ours; both count atomically (see above and config/cache.py).
# Its E003 (a backend known not to count atomically: locmem, file, Django's database cache) stays active.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
# The client's address for the rate limits (accounts.ratelimit.client_ip): REMOTE_ADDR, or behind the
# reverse proxy (BEHIND_PROXY=1) the last X-Forwarded-For entry, the one nginx appends
# (`proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`); earlier entries are the client's claims.
RATELIMIT_CLIENT_IP_FROM_PROXY = env.bool("BEHIND_PROXY", default=False)
# The public complaint form: complaints saved per IP and per phone number, and (a flood guard, checked
# before the body is read) every post per IP, so a resident correcting a typo is not the one locked out;
# over a limit the visitor gets HTTP 429 (a Chinese page). Rates in django-ratelimit's syntax (count/period).
COMPLAINT_PUBLIC_RATE_IP = env("COMPLAINT_PUBLIC_RATE_IP", default="5/10m")
COMPLAINT_PUBLIC_RATE_IP_POSTS = env("COMPLAINT_PUBLIC_RATE_IP_POSTS", default="20/10m")
COMPLAINT_PUBLIC_RATE_PHONE = env("COMPLAINT_PUBLIC_RATE_PHONE", default="3/d")
COMPLAINT_TRACK_RATE_IP = env("COMPLAINT_TRACK_RATE_IP", default="20/m")
# Wrong tracking-code/phone-digit pairs per tracking code: a leaked code's 4 digits cannot be tried out.
COMPLAINT_TRACK_RATE_CODE = env("COMPLAINT_TRACK_RATE_CODE", default="10/d")

# --- Auth and login security ---------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Password reset by e-mail (accounts.views.PasswordResetView): the link works for this many seconds and
# once; requests per client address (over it: HTTP 429) and per e-mail address (over it: no mail, the same
# answer as always, so nobody learns which addresses have an account).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=24 * 3600)
PASSWORD_RESET_RATE_IP = env("PASSWORD_RESET_RATE_IP", default="10/h")
PASSWORD_RESET_RATE_EMAIL = env("PASSWORD_RESET_RATE_EMAIL", default="3/h")

# Lock an account+IP pair out after 5 failed logins for one hour.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True

# Sessions expire after 30 minutes without a request. The expiry moves forward when the session is
# saved; accounts.middleware.IdleTimeoutMiddleware saves it at most once every SESSION_TOUCH_SECONDS
# instead of on every request (SESSION_SAVE_EVERY_REQUEST would write the row on each page view).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_TOUCH_SECONDS = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# --- HTTPS (production) ---------------------------------------------------
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- I18N -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files after `collectstatic` in production; plain in
        # development and tests (STATIC_MANIFEST=0), which never run collectstatic.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=5000)
# The public complaint form: each photo at most 10 MB (complaints.services.attachment_check), at most three,
# so a whole post above 32 MB is refused by its Content-Length before Django reads it (a Chinese message,
# HTTP 413). nginx's client_max_body_size must be at least this (else nginx answers its own 413 page).
COMPLAINT_PUBLIC_MAX_BYTES = env.int("COMPLAINT_PUBLIC_MAX_BYTES", default=32 * 1024 * 1024)

# --- E-mail ---------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
NOTIFY_BY_EMAIL = env.bool("NOTIFY_BY_EMAIL", default=False)  # also: one e-mail per notice at once (channel "email")
# How notifications reach people (accounts/channels.py; docs/notifications.md): the in-portal notice is always
# on; add a city's own channel (SMS, 企业微信) by its dotted path. Without EmailDigestChannel no digest is sent.
NOTIFICATION_CHANNELS = env.list("NOTIFICATION_CHANNELS", default=[
    "accounts.channels.InPortalChannel", "accounts.channels.EmailDigestChannel"])
# The portal's address as e-mails link to it (the daily digest): scheme and host, no trailing slash.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
# E-mail is sent by a Celery task from the outbox (ops.services.email_enqueue), never by a page;
# a mail server that does not answer fails the attempt (retried) instead of blocking the worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))  # filebased backend only
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=5 * 1024 * 1024)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="portal@localhost")

# --- REST API -------------------------------------------------------------
REST_FRAMEWORK = {
    # Machines send `Authorization: Token <prefix>.<secret>` (accounts.tokens); the browser keeps its
    # session. The token class is listed first so that a refused token answers 401 (its WWW-Authenticate);
    # a request without a token header still gets 403 as before.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Requests per API token (browser sessions are not throttled here); over it: 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["accounts.tokens.ApiTokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_token": env("API_TOKEN_RATE", default="600/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "物业管理监管平台 API", "VERSION": "1.0.0",
    # The schema describes internal endpoints: only for logged-in users until a public API is decided.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # The schema lists /api/v1/ only; /api/ is the same views under an alias (config/urls.py).
    "PREPROCESSING_HOOKS": ["config.api_urls.only_v1_endpoints"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files: nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No "validator" badge (it would call validator.swagger.io).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": False, "validatorUrl": None},
}
REST_FRAMEWORK["EXCEPTION_HANDLER"] = "accounts.api.exception_handler"

# --- Content-Security-Policy (django-csp 4) --------------------------------
# Scripts, fonts, images and connections from this site only: no inline script and no CDN (every
# library is vendored). Inline *styles* stay allowed: a few templates set widths with style="…" and
# htmx adds its indicator style; a style cannot run code. Frames: none (the clickjacking guard too).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF],
        "style-src": [csp_constants.SELF, csp_constants.UNSAFE_INLINE],
        "img-src": [csp_constants.SELF, "data:", "blob:"],
        "font-src": [csp_constants.SELF, "data:"],
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    },
}

# --- Celery ---------------------------------------------------------------
# Default: kombu's filesystem transport, which needs no server (see STACK.md).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    BROKER_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "processed_folder": str(BROKER_DIR),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A message taken by a worker that dies (kill -9, power) is delivered again after this many
    # seconds. It must stay longer than the longest task (the jobs take seconds to minutes).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat writes due jobs to the outbox table (ops/beat.py), so a job due while the broker is down
# is sent when it is back instead of being lost.
CELERY_BEAT_SCHEDULER = "ops.beat:OutboxScheduler"
# The beat schedule lives here; each app adds its entries with its issue.
CELERY_BEAT_SCHEDULE: dict = {
    # Publishes what pages and beat recorded in the outbox and could not send at once (ops/services.py).
    "relay-outbox": {
        "task": "ops.relay_outbox",
        "schedule": 60.0,
    },
    "mark-overdue-rectification-orders": {
        "task": "inspections.mark_overdue_orders",
        "schedule": crontab(hour=1, minute=10),
    },
    # Runs daily; each district's policy says how many days after a quarter's end
    # it rates (the job is idempotent and never touches a published period).
    "run-quarterly-star-ratings": {
        "task": "ratings.run_quarterly",
        "schedule": crontab(hour=2, minute=0),
    },
    "generate-monthly-payouts": {
        "task": "subsidies.generate_monthly",
        "schedule": crontab(hour=3, minute=0, day_of_month="3"),
    },
    # Complaint clocks run in minutes for urgent orders: hourly marks each late clock and escalates.
    "complaints-mark-overdue": {
        "task": "complaints.mark_overdue",
        "schedule": crontab(minute=5),
    },
    # The daily e-mail digest of unread notifications, for the users who opted in (accounts/channels.py);
    # each user's digest once (their notices are stamped emailed_at with the e-mail recorded in the outbox).
    "send-notification-digests": {
        "task": "accounts.send_digests",
        "schedule": crontab(hour=7, minute=30),
    },
    # The yearly firm credit score: on 5 January the year just ended is computed (idempotent; a reviewed or
    # published year is never touched); the city reviews and publishes it in the browser.
    "run-credit-year": {
        "task": "enterprises.run_credit_year",
        "schedule": crontab(hour=4, minute=30, day_of_month="5", month_of_year="1"),
    },
    # Files kept from a refused star-rating application form (ratings.PendingUpload) expire after 24 hours;
    # the nightly sweep deletes the expired rows and their files (idempotent: an expired row is gone once).
    "expire-pending-uploads": {
        "task": "ratings.expire_pending_uploads",
        "schedule": crontab(hour=4, minute=0),
    },
}

# --- Logging --------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
