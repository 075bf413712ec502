"""Django settings for ganetimgr.

Read from environment variables with defaults that make the demo run (SQLite, Redis and beanstalkd
on loopback). An operator overrides them in the environment or in ganetimgr/local_settings.py,
imported last; settings.py.dist documents every operator setting. README.md lists the variables.
"""

from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from ganetimgr import __version__
from ganetimgr.config import (
    ConfigError,
    beanstalk_address,
    beanstalk_tube,
    database_from_url,
    env_addresses,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    env_time_zone,
    redis_url,
    require_filled_in,
    secret_key_from_file,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("GANETIMGR_VAR_DIR", str(BASE_DIR / "var")))
SW_VERSION = __version__

# --------------------------------------------------------------------------------------------------
# Core
# --------------------------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)


# Unset here means: from SECRET_KEY_FILE (made once), after local_settings had its say (end of file).
SECRET_KEY = env_str("SECRET_KEY")
SECRET_KEY_FILE = Path(env_str("SECRET_KEY_FILE", str(VAR_DIR / "secret_key")))
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # -- site content: flatpages (Info, Terms of Service, FAQ) need sites
    "django.contrib.sites",
    "django.contrib.flatpages",
    # -- end site content
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ganetimgr",
    "accounts",
    "ganeti",
    "apply",
    "notifications",
    "stats",
    "auditlog",
    # After accounts, whose templates override theirs.
    "registration",
    "axes",
    "django_recaptcha",
    # -- OAuth2 API
    "oauth2_provider",
    "corsheaders",
    "api",
    # -- end OAuth2 API
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # OAuth2 API: before anything that can answer (WhiteNoise, CommonMiddleware), as
    # django-cors-headers asks; it acts only on CORS_URLS_REGEX.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # -- site content: a 404 whose path is a flatpage's shows the flatpage. Unresolved paths never
    # reach LoginRequiredMiddleware's view check, so flatpages are public (unless one says otherwise).
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
    # -- end site content
    # Last, as django-axes asks: answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ganetimgr.urls"
WSGI_APPLICATION = "ganetimgr.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ganetimgr.context_processors.site",
                "accounts.context_processors.session",
            ],
        },
    },
]

# --------------------------------------------------------------------------------------------------
# Services: database, Redis (cache + sessions), beanstalkd (queue)
# --------------------------------------------------------------------------------------------------

DATABASES = {"default": database_from_url(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ganetimgr.sqlite3'}"),
                                         pool_size=env_int("DATABASE_POOL_SIZE", 0, minimum=0))}
SILENCED_SYSTEM_CHECKS = []
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    # MySQL/MariaDB cannot hold conditional unique constraints (one default network per cluster);
    # Django still enforces them when a form validates the model.
    SILENCED_SYSTEM_CHECKS.append("models.W036")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = redis_url("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "ganetimgr.cache.DegradingRedisCache",  # Redis away: pages slower, not failing
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "ganetimgr"),
        "TIMEOUT": env_int("CACHE_TIMEOUT", 300, minimum=1),
        # Fail fast when Redis is away instead of hanging a worker.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
    }
}
# Sessions are read from Redis and written through to the database, so a Redis restart logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

BEANSTALK_ADDRESS = beanstalk_address("BEANSTALK_URL", "127.0.0.1:11300")
BEANSTALK_TUBE = beanstalk_tube("BEANSTALK_TUBE", "ganetimgr")

# --------------------------------------------------------------------------------------------------
# Authentication and sessions
# --------------------------------------------------------------------------------------------------

# django-axes first (it refuses locked-out logins); an inactive user with the right password is told
# the account awaits activation; an inactive user's existing sessions end (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.ActivationAwareBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "accounts:login"
# A login lasts SESSION_COOKIE_AGE seconds from the moment it was made, whatever the activity
# (accounts/middleware.py); the page logs itself out then.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 10800, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
# Password reset and e-mail change links expire after this many seconds (and work once).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 259200, minimum=600)

# Registration (django-registration-redux, admin-approval flow): the visitor validates the e-mail
# address within ACCOUNT_ACTIVATION_DAYS, then ADMINS get the approval link.
REGISTRATION_OPEN = env_bool("REGISTRATION_OPEN", True)
ACCOUNT_ACTIVATION_DAYS = env_int("ACCOUNT_ACTIVATION_DAYS", 10, minimum=1)
# The admins' approval link works until REGISTRATION_APPROVAL_DAYS after the validation window ends.
REGISTRATION_APPROVAL_DAYS = env_int("REGISTRATION_APPROVAL_DAYS", 14, minimum=1)
REGISTRATION_EMAIL_HTML = False
REGISTRATION_ADMINS = "accounts.selectors.registration_admins"
# reCAPTCHA v2 on the registration form, when both keys are set.
RECAPTCHA_PUBLIC_KEY = env_str("RECAPTCHA_PUBLIC_KEY")
RECAPTCHA_PRIVATE_KEY = env_str("RECAPTCHA_PRIVATE_KEY")

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username from one
# address, that pair is refused for LOGIN_LOCKOUT_MINUTES. The username counts case-insensitively, as
# LDAP matches it. (django-axes has one limit for every lockout parameter, so there is no separate,
# higher per-address limit.)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.throttling.lockout_username"
# Behind the local nginx every request comes from 127.0.0.1: take the address nginx forwards.
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_VERBOSE = False

# Helpdesk sees (and `manage.py idle_accounts` mails) users who have not logged in for this long.
IDLE_ACCOUNT_NOTIFICATION_DAYS = env_int("IDLE_ACCOUNT_NOTIFICATION_DAYS", 180, minimum=1)

# LDAP logins beside local accounts (django-auth-ldap), when AUTH_LDAP_SERVER_URI is set. Users are
# found under AUTH_LDAP_USER_SEARCH_BASE with AUTH_LDAP_USER_SEARCH_FILTER (binding as
# AUTH_LDAP_BIND_DN first), or bound to directly with AUTH_LDAP_USER_DN_TEMPLATE.
AUTH_LDAP_SERVER_URI = env_str("AUTH_LDAP_SERVER_URI")
if AUTH_LDAP_SERVER_URI:
    import ldap
    from django_auth_ldap.config import GroupOfNamesType, LDAPSearch

    AUTH_LDAP_BIND_DN = env_str("AUTH_LDAP_BIND_DN")
    AUTH_LDAP_BIND_PASSWORD = env_str("AUTH_LDAP_BIND_PASSWORD")
    AUTH_LDAP_START_TLS = env_bool("AUTH_LDAP_START_TLS", False)
    AUTH_LDAP_CONNECTION_OPTIONS = {ldap.OPT_NETWORK_TIMEOUT: env_int("AUTH_LDAP_TIMEOUT", 5, minimum=1)}
    AUTH_LDAP_USER_ATTR_MAP = {"first_name": "givenName", "last_name": "sn", "email": "mail"}
    if env_str("AUTH_LDAP_USER_DN_TEMPLATE"):
        AUTH_LDAP_USER_DN_TEMPLATE = env_str("AUTH_LDAP_USER_DN_TEMPLATE")
    elif env_str("AUTH_LDAP_USER_SEARCH_BASE"):
        AUTH_LDAP_USER_SEARCH = LDAPSearch(env_str("AUTH_LDAP_USER_SEARCH_BASE"), ldap.SCOPE_SUBTREE,
                                           env_str("AUTH_LDAP_USER_SEARCH_FILTER", "(uid=%(user)s)"))
    else:
        raise ConfigError("AUTH_LDAP_SERVER_URI is set: set AUTH_LDAP_USER_SEARCH_BASE or AUTH_LDAP_USER_DN_TEMPLATE too")
    if env_str("AUTH_LDAP_GROUP_SEARCH_BASE"):
        AUTH_LDAP_GROUP_SEARCH = LDAPSearch(env_str("AUTH_LDAP_GROUP_SEARCH_BASE"), ldap.SCOPE_SUBTREE,
                                            "(objectClass=groupOfNames)")
        AUTH_LDAP_GROUP_TYPE = GroupOfNamesType()
        AUTH_LDAP_MIRROR_GROUPS = env_bool("AUTH_LDAP_MIRROR_GROUPS", False)
        AUTH_LDAP_REQUIRE_GROUP = env_str("AUTH_LDAP_REQUIRE_GROUP") or None
        AUTH_LDAP_USER_FLAGS_BY_GROUP = {flag: dn for flag, dn in [
            ("is_staff", env_str("AUTH_LDAP_STAFF_GROUP")), ("is_superuser", env_str("AUTH_LDAP_SUPERUSER_GROUP"))] if dn}
    AUTHENTICATION_BACKENDS.append("accounts.backends.LDAPBackend")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --------------------------------------------------------------------------------------------------
# HTTPS: on by default when DEBUG is off; the demo on plain http://127.0.0.1:8000 turns it off.
# --------------------------------------------------------------------------------------------------

HTTPS = env_bool("HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
if HTTPS:
    # nginx terminates TLS and overwrites X-Forwarded-Proto; gunicorn listens on loopback only.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers probe /health/ over plain http on the backend.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # HSTS preloading is a commitment to browser vendors that an operator must choose, not a default.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --------------------------------------------------------------------------------------------------
# Languages, time
# --------------------------------------------------------------------------------------------------

LANGUAGES = [("en", "English"), ("el", "Ελληνικά")]
LANGUAGE_CODE = env_choice("LANGUAGE_CODE", "en", [code for code, _name in LANGUAGES])
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "ganetimgr_language"
USE_I18N = True
TIME_ZONE = env_time_zone("TIME_ZONE", "UTC")
USE_TZ = True

# --------------------------------------------------------------------------------------------------
# Static files: WhiteNoise serves them from gunicorn; nginx may serve STATIC_ROOT directly instead.
# --------------------------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "ganetimgr.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --------------------------------------------------------------------------------------------------
# Mail
# --------------------------------------------------------------------------------------------------

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@localhost")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = env_str("EMAIL_SUBJECT_PREFIX", "[ganetimgr] ")
REGISTRATION_EMAIL_SUBJECT_PREFIX = EMAIL_SUBJECT_PREFIX
ADMINS = env_addresses("ADMINS", [])
MANAGERS = env_addresses("MANAGERS", ADMINS)

# --------------------------------------------------------------------------------------------------
# Logging: everything to stderr (gunicorn and systemd collect it); LOG_LEVEL sets the threshold.
# --------------------------------------------------------------------------------------------------

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], upper=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"level": "INFO" if LOG_LEVEL == "DEBUG" else LOG_LEVEL, "propagate": True},
        # Requests for other host names are scanners' noise: they get a 400 page, not an error log.
        "django.security.DisallowedHost": {"level": "CRITICAL", "propagate": True},
    },
}

# --------------------------------------------------------------------------------------------------
# ganetimgr (names as in the original ganetimgr's settings.py.dist)
# --------------------------------------------------------------------------------------------------

GANETI_TAG_PREFIX = env_str("GANETI_TAG_PREFIX", "ganetimgr")
RAPI_CONNECT_TIMEOUT = env_int("RAPI_CONNECT_TIMEOUT", 8, minimum=1)
RAPI_RESPONSE_TIMEOUT = env_int("RAPI_RESPONSE_TIMEOUT", 15, minimum=1)
# The inventory's snapshots of each cluster (ganeti/rapi/inventory.py): served as they are while
# fresh, served while refreshed in the background until stale, fetched before serving after that;
# a cluster that failed is asked again only after the retry delay.
INVENTORY_FRESH_SECONDS = env_int("INVENTORY_FRESH_SECONDS", 60, minimum=0)
INVENTORY_STALE_SECONDS = env_int("INVENTORY_STALE_SECONDS", 900, minimum=0)
INVENTORY_RETRY_SECONDS = env_int("INVENTORY_RETRY_SECONDS", 30, minimum=0)
# Instance changes: e-mailed reinstall/destroy/rename links work this many days; an isolated
# instance's "allow from" network may be no wider than these prefixes; CD-ROM image URLs may name only
# these hosts (empty: any http(s) host; the server never fetches them, the hypervisor does).
INSTANCE_ACTION_ACTIVE_DAYS = env_int("INSTANCE_ACTION_ACTIVE_DAYS", 7, minimum=1)
WHITELIST_IP_MAX_SUBNET_V4 = env_int("WHITELIST_IP_MAX_SUBNET_V4", 26, minimum=0)
WHITELIST_IP_MAX_SUBNET_V6 = env_int("WHITELIST_IP_MAX_SUBNET_V6", 64, minimum=0)
CDROM_IMAGE_HOSTS = env_list("CDROM_IMAGE_HOSTS", [])
# Audit log: helpdesk and superusers see everyone's entries of this many days (0: all).
AUDIT_ENTRIES_LAST_X_DAYS = env_int("AUDIT_ENTRIES_LAST_X_DAYS", 30, minimum=0)
# Clusters, nodes, jobs: node names on the nodes page link to SERVER_MONITORING_URL/<node> when
# set (e.g. a servermon); the jobs page reloads its table every JOBS_PAGE_REFRESH_SECONDS.
SERVER_MONITORING_URL = env_str("SERVER_MONITORING_URL", "").rstrip("/")
JOBS_PAGE_REFRESH_SECONDS = env_int("JOBS_PAGE_REFRESH_SECONDS", 60, minimum=5)
# -- end clusters, nodes, jobs

# -- Instance applications (apply/) ----------------------------------------------------------------
# The site's address as clusters and mail readers reach it: links in mails, and the URL a new VM
# fetches its owner's SSH keys from (the watcher has no request to take it from).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# What the application form asks: the organization (select), the administrative contact, or both
# (then either one is enough).
SHOW_ORGANIZATION_FORM = env_bool("SHOW_ORGANIZATION_FORM", True)
SHOW_ADMINISTRATIVE_FORM = env_bool("SHOW_ADMINISTRATIVE_FORM", True)
# Bounds of the application form where no enabled cluster reports an instance policy (memory MiB,
# disk GiB); a cluster's ipolicy (/2/info) replaces them when it answers.
APPLICATION_DEFAULT_LIMITS = {"memory": (512, 4096), "vcpus": (1, 4), "disk_size": (2, 50)}
# The OS catalogue (apply/images.py): key -> description, Ganeti OS (provider), osparams, and
# optionally ssh_key_param (the osparam that gets the SSH keys URL) or ssh_key_users (snf-image
# personality: "user[:group[:path]] ..."). The defaults are OSes the simulator and the test Ganeti
# cluster offer (noop installs nothing); discovered images are added to these.
OPERATING_SYSTEMS = {
    "none": {"description": "No operating system (empty disk)", "provider": "noop", "osparams": {}},
    "debian": {"description": "Debian (debootstrap)", "provider": "debootstrap+default", "osparams": {}},
    "debian-minimal": {"description": "Debian, minimal (debootstrap)", "provider": "debootstrap+minimal",
                       "osparams": {}},
}
# Directory indexes holding image .meta files (JSON: description, provider, osparams, ...).
IMAGES_URL = env_list("IMAGES_URL", [])
IMG_META_SFX = ".meta"
# Older layouts: directory indexes of ganeti-instance-image files (*.tar.gz, *.img, *-root.dump, with
# <file>.dsc descriptions) and of snf-image disk images (*.img, with .dsc descriptions).
OPERATING_SYSTEMS_URLS = env_list("OPERATING_SYSTEMS_URLS", [])
OPERATING_SYSTEMS_PROVIDER = env_str("OPERATING_SYSTEMS_PROVIDER", "image+default")
OPERATING_SYSTEMS_SSH_KEY_PARAM = env_str("OPERATING_SYSTEMS_SSH_KEY_PARAM", "img_ssh_key_url")
SNF_OPERATING_SYSTEMS_URLS = env_list("SNF_OPERATING_SYSTEMS_URLS", [])
SNF_OPERATING_SYSTEMS_PROVIDER = env_str("SNF_OPERATING_SYSTEMS_PROVIDER", "snf-image+default")
SNF_IMG_PROPERTIES = {"SWAP": "2:512"}
SNF_IMG_PASSWD = env_str("SNF_IMG_PASSWD")
# Discovered catalogues are kept this long; after a failing index server, only OS_CATALOGUE_RETRY_SECONDS.
OS_CATALOGUE_CACHE_SECONDS = env_int("OS_CATALOGUE_CACHE_SECONDS", 86400, minimum=0)
OS_CATALOGUE_RETRY_SECONDS = env_int("OS_CATALOGUE_RETRY_SECONDS", 300, minimum=0)
OS_CATALOGUE_TIMEOUT = env_int("OS_CATALOGUE_TIMEOUT", 10, minimum=1)

BRANDING = {
    "TITLE": env_str("BRANDING_TITLE", "ganetimgr"),
    "MOTTO": env_str("BRANDING_MOTTO", _("Virtual machines on Ganeti clusters")),
    "LOGO": "ganetimgr/img/logo.svg",
    "FAVICON": "ganetimgr/img/favicon.svg",
    # -- site content: SOCIAL_NETWORKS is a list of {"NAME", "URL", "ICON"} (a Bootstrap Icons name,
    # e.g. "mastodon"), shown in the footer.
    "SERVICE_PROVIDED_BY": {"NAME": env_str("BRANDING_PROVIDER_NAME"), "URL": env_str("BRANDING_PROVIDER_URL"),
                            "SOCIAL_NETWORKS": []},
    "FOOTER_TEXT": env_str("BRANDING_FOOTER_TEXT"),
    # A template (path under a templates directory) included at the end of every page, e.g. analytics.
    "ANALYTICS_FILE_PATH": env_str("BRANDING_ANALYTICS_FILE_PATH"),
    # -- end site content
    # An RSS/Atom feed whose latest entries the login page shows (read server-side, cached).
    "FEED_URL": env_str("BRANDING_FEED_URL"),
}
# -- graphs, site content
# Instance graphs are PNGs of an external grapher (e.g. GRNET's vima-grapher) at
# COLLECTD_URL/<instance>/<cpu-ts|net-ts>.png/<start>,<end>[/eth<N>]; empty: no graphs. Any failure
# shows NODATA_IMAGE instead (a path under static/, or an absolute file path).
COLLECTD_URL = env_str("COLLECTD_URL").rstrip("/")
NODATA_IMAGE = env_str("NODATA_IMAGE", "ganetimgr/img/nodata.png")
GRAPH_TIMEOUT = env_int("GRAPH_TIMEOUT", 5, minimum=1)
# Flatpages linked from the top bar (FAQ) and the footer (Info, Terms of Service), at
# /about/<info|terms-of-service|faq>/<language>/ (`manage.py loaddata flatpages` installs them).
FLATPAGES = {"INFO": env_bool("FLATPAGES_INFO", True), "TOS": env_bool("FLATPAGES_TOS", True),
             "FAQ": env_bool("FLATPAGES_FAQ", True)}
SITE_ID = 1
# An issue collector script (e.g. Jira's) loaded on every page for logged-in users; it finds its
# parameters, the user and the instance of an instance page in the JSON block #helpdesk-integration.
HELPDESK_INTEGRATION_JAVASCRIPT_URL = env_str("HELPDESK_INTEGRATION_JAVASCRIPT_URL")
HELPDESK_INTEGRATION_JAVASCRIPT_PARAMS: dict = {}
# -- end graphs, site content

# -- OAuth2 API ------------------------------------------------------------------------------
# django-oauth-toolkit at /o/, the API under /instances/list/, /user/details/ and /api/v1/ (api/).
# Access tokens last OAUTH2_ACCESS_TOKEN_SECONDS (default one day; the original gave ten weeks, which
# is too long for a token that may sit in a URL); the authorization-code grant also gives a refresh
# token, valid OAUTH2_REFRESH_TOKEN_SECONDS. The implicit grant and tokens in the `access_token` query
# parameter are what the original's clients use: allowed unless turned off (README: "The API (OAuth2)").
OAUTH2_ALLOW_IMPLICIT_GRANT = env_bool("OAUTH2_ALLOW_IMPLICIT_GRANT", True)
OAUTH2_ALLOW_QUERY_TOKEN = env_bool("OAUTH2_ALLOW_QUERY_TOKEN", True)
OAUTH2_ACCESS_TOKEN_SECONDS = env_int("OAUTH2_ACCESS_TOKEN_SECONDS", 86400, minimum=60)
OAUTH2_REFRESH_TOKEN_SECONDS = env_int("OAUTH2_REFRESH_TOKEN_SECONDS", 30 * 86400, minimum=60)
# The four settings above (local settings may change them too) go into it at the end of this file.
OAUTH2_PROVIDER = {
    "SCOPES": {"read": _("Read your instances and account details"),
               "write": _("Start, stop and reboot your instances")},
    "DEFAULT_SCOPES": ["read"],
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    # PKCE for every authorization-code client, public or confidential, and S256 only.
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    # No password grant (a third party would hold the user's password); tokens stored hashed; the
    # authorization response names its issuer; a replayed refresh token revokes its whole family.
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    # Refuses the grant types the registration form does not offer (api/oauth.py).
    "OAUTH2_VALIDATOR_CLASS": "api.oauth.Validator",
}
# Browser clients on other sites (scheme://host[:port], comma-separated) may call the API and the
# token endpoint; nobody by default. Cookies are never sent along (the API takes tokens only).
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/(api/v1/|instances/list/|user/details/|o/token/|o/revoke_token/)"
CORS_ALLOW_CREDENTIALS = False
# -- end OAuth2 API

# -- Console --------------------------------------------------------------------------------
# The noVNC console: the page asks for a single-use token (written to Redis, living
# CONSOLE_TOKEN_SECONDS), and the browser's websocket goes to websockify, which reads the token with
# ganeti.console_tokens.SingleUseRedis from CONSOLE_TOKEN_REDIS_URL and connects to the node's VNC port.
# NOVNC_PROXY is websockify's host:port as browsers reach it; empty: the page's own host, at
# /NOVNC_PATH (nginx passes that path on to websockify). NOVNC_USE_TLS: wss:// to NOVNC_PROXY.
WEBSOCK_VNC_ENABLED = env_bool("WEBSOCK_VNC_ENABLED", True)
NOVNC_PROXY = env_str("NOVNC_PROXY")
NOVNC_USE_TLS = env_bool("NOVNC_USE_TLS", HTTPS)
NOVNC_PATH = env_str("NOVNC_PATH", "websockify").strip("/")
CONSOLE_TOKEN_SECONDS = env_int("CONSOLE_TOKEN_SECONDS", 30, minimum=5)
CONSOLE_TOKEN_REDIS_URL = redis_url("CONSOLE_TOKEN_REDIS_URL", REDIS_URL)
# -- end Console

# --------------------------------------------------------------------------------------------------
# Operator overrides, last.
# --------------------------------------------------------------------------------------------------

# GANETIMGR_LOCAL_SETTINGS names a file elsewhere (e.g. /etc/ganetimgr/local_settings.py) instead.
_local_settings = env_str("GANETIMGR_LOCAL_SETTINGS")
if _local_settings:
    try:
        exec(compile(Path(_local_settings).read_text(), _local_settings, "exec"))
    except OSError as exc:
        raise ConfigError(f"GANETIMGR_LOCAL_SETTINGS={_local_settings} cannot be read: {exc}") from None
else:
    try:
        from ganetimgr.local_settings import *  # noqa: F401,F403
    except ModuleNotFoundError as exc:
        if exc.name != "ganetimgr.local_settings":
            raise

# -- OAuth2 API: the token lifetimes and the original clients' ways, as local settings left them.
# Allowing those is the operator's documented choice (README), not a deploy warning.
OAUTH2_PROVIDER.update({
    "ACCESS_TOKEN_EXPIRE_SECONDS": OAUTH2_ACCESS_TOKEN_SECONDS,
    "REFRESH_TOKEN_EXPIRE_SECONDS": OAUTH2_REFRESH_TOKEN_SECONDS,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": not OAUTH2_ALLOW_IMPLICIT_GRANT,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": not OAUTH2_ALLOW_QUERY_TOKEN,
})
if OAUTH2_ALLOW_IMPLICIT_GRANT:
    SILENCED_SYSTEM_CHECKS.append("oauth2_provider.W001")
if OAUTH2_ALLOW_QUERY_TOKEN:
    SILENCED_SYSTEM_CHECKS.append("oauth2_provider.W004")
# -- end OAuth2 API

if not SECRET_KEY:
    SECRET_KEY = secret_key_from_file(Path(SECRET_KEY_FILE))

require_filled_in(globals())
