"""Settings for Qingcheng, read from the environment.

`DATABASE_URL` picks the database: unset means a SQLite file under `var/`; `postgres://...` means
PostgreSQL. Secrets come only from the environment; the development defaults refuse to run with
`DEBUG=0` (see `qingcheng.checks`).
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("QINGCHENG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEV_SECRET_KEY = "dev-only-insecure-key-change-me-qingcheng-0000000000000000000000000"
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # django-ninja as an app serves the API docs' Swagger UI from its own static files with no inline
    # script; without it the docs page loads the UI from a CDN with an inline script (neither passes the
    # CSP, and the CDN is unreachable on the bureau's network).
    "ninja",
    "qingcheng.core",
    "qingcheng.accounts",
    "qingcheng.geo",
    "qingcheng.components",
    "qingcheng.cases",
    "qingcheng.intake",
    "qingcheng.open311",
    "qingcheng.evaluation",
    "qingcheng.enforcement",
    "qingcheng.sensing",
    "qingcheng.emergency",
    "qingcheng.web",
    "qingcheng.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "qingcheng.web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF: its check would otherwise be the first to read (and choke on) a hostile body.
    "qingcheng.core.middleware.RequestBodyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "qingcheng.urls"
WSGI_APPLICATION = "qingcheng.wsgi.application"
ASGI_APPLICATION = "qingcheng.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "qingcheng" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qingcheng.web.context_processors.navigation",
            ],
        },
    },
]

DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'qingcheng.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or DEFAULT_SQLITE_URL,
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the jobs loop and the web server write without "database is locked" errors.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The test database is a file (in RAM where /dev/shm exists), one per test process, not SQLite's
    # in-memory default: with an in-memory database the live server's request threads share the test
    # thread's one connection, and two threads on one connection deadlock when a query calls back into
    # Python (TruncDate with a time zone) while the other binds parameters holding the GIL.
    _test_db_dir = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    DATABASES["default"]["TEST"] = {"NAME": str(_test_db_dir / f"qingcheng-test-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = ["qingcheng.accounts.backends.ThrottledModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (accounts.services, "login throttling"): LOGIN_MAX_FAILURES failed logins of one
# username within the window lock that username for the rest of the window; after
# LOGIN_ADDRESS_MAX_FAILURES failures from one client address, a username that has already failed in the
# window may not be tried again from that address. Users without failures are never locked out.
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
LOGIN_ADDRESS_MAX_FAILURES = int(
    os.environ.get("LOGIN_ADDRESS_MAX_FAILURES", str(4 * int(os.environ.get("LOGIN_MAX_FAILURES", "5"))))
)
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", "900"))

# The client's address (core.http.client_address): the forwarding header is read only from these proxies
# (addresses or CIDR networks), right to left, skipping every hop that is one of them.
QINGCHENG_TRUSTED_PROXIES = env_list("QINGCHENG_TRUSTED_PROXIES", [])
QINGCHENG_CLIENT_ADDRESS_HEADER = os.environ.get("QINGCHENG_CLIENT_ADDRESS_HEADER", "X-Forwarded-For")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "qingcheng" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
STATICFILES_DIRS = [BASE_DIR / "qingcheng" / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Uploaded files are served by views that check permissions, never straight from MEDIA_URL.
MEDIA_URL = "/media-not-served/"
# Request bodies (core.middleware, core.uploads): a body other than a file upload is at most this large
# (JSON, forms); an uploaded file larger than FILE_UPLOAD_MAX_MEMORY_SIZE streams to a temporary file.
# Views that take files set their own per-file and per-request limits (`accepts_uploads`).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(5 * 2**19)))
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", str(2**20)))

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp): scripts and styles only from our own static
# files, so text from users or admins that reaches a page as markup still cannot run or restyle anything.
# No inline <script>, no event-handler attributes, no style attributes: JSON goes through json_script,
# styles through CSS classes. Views that serve files set their own, stricter policy (enforcement files).
# img-src allows data: (Bootstrap's inline SVG icons in its CSS) and blob: (photo previews in the field app).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "qingcheng.core.masking.PersonalDataLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Working time (core.worktime): the default office hours where no WorkSchedule row matches.
WORKTIME_DEFAULT_PERIODS = (("08:30", "12:00"), ("14:30", "18:00"))

# Jobs loop (`manage.py run_jobs`): seconds between sweeps.
JOBS_INTERVAL_SECONDS = int(os.environ.get("JOBS_INTERVAL_SECONDS", "60"))

# Geography: points this close (metres) outside every grid snap to the nearest grid; seconds between
# checks for a new grid revision; raster cell size of the spatial index.
GEO_SNAP_METRES = float(os.environ.get("GEO_SNAP_METRES", "50"))
GEO_INDEX_CHECK_SECONDS = float(os.environ.get("GEO_INDEX_CHECK_SECONDS", "5"))
GEO_INDEX_CELL_M = 25.0

# Case loop: photo limits, duplicate proposals, escalation of overdue cases to supervision (督办).
CASE_PHOTO_MAX_BYTES = int(os.environ.get("CASE_PHOTO_MAX_BYTES", str(10 * 2**20)))
CASE_PHOTO_MAX_PIXELS = int(os.environ.get("CASE_PHOTO_MAX_PIXELS", str(40_000_000)))
CASE_DUPLICATE_RADIUS_M = float(os.environ.get("CASE_DUPLICATE_RADIUS_M", "50"))
CASE_DUPLICATE_WINDOW_HOURS = float(os.environ.get("CASE_DUPLICATE_WINDOW_HOURS", "72"))
CASE_ESCALATE_AFTER_HOURS = float(os.environ.get("CASE_ESCALATE_AFTER_HOURS", "4"))

# Intake channels: machine events of one subclass this close in time (and within CASE_DUPLICATE_RADIUS_M)
# join one open case; per-client-address limits of the public endpoints; photos per report.
MACHINE_DEDUPE_WINDOW_MINUTES = float(os.environ.get("MACHINE_DEDUPE_WINDOW_MINUTES", "60"))
PUBLIC_REPORTS_PER_HOUR = int(os.environ.get("PUBLIC_REPORTS_PER_HOUR", "20"))
PUBLIC_READS_PER_HOUR = int(os.environ.get("PUBLIC_READS_PER_HOUR", "600"))
INTAKE_MAX_PHOTOS = int(os.environ.get("INTAKE_MAX_PHOTOS", "9"))

# Collecting banks' callback keys (罚缴分离), only from the environment:
# QINGCHENG_BANK_KEYS="CODE=secret,CODE2=secret2" (a secret may contain "=" but not ",").
ENFORCEMENT_BANK_KEYS = {
    code.strip(): secret.strip()
    for code, _sep, secret in (item.partition("=") for item in env_list("QINGCHENG_BANK_KEYS", []))
    if code.strip() and secret.strip()
}
# 较大数额罚款 (行政处罚法 第六十三条) is set by provincial rules; until the Inner Mongolia figures are entered
# these conservative defaults offer the hearing right early (offering one is lawful, skipping one is not).
ENFORCEMENT_HEARING_FINE_INDIVIDUAL_FEN = int(
    os.environ.get("QINGCHENG_HEARING_FINE_INDIVIDUAL_FEN", 5_000_00)
)
ENFORCEMENT_HEARING_FINE_ORGANISATION_FEN = int(
    os.environ.get("QINGCHENG_HEARING_FINE_ORGANISATION_FEN", 50_000_00)
)
ENFORCEMENT_EVIDENCE_MAX_BYTES = int(os.environ.get("QINGCHENG_EVIDENCE_MAX_BYTES", 200 * 2**20))
