"""settings.py.dist filled in as an operator would, for the tests that run ganetimgr on it."""

import os
from urllib.parse import urlsplit

from tests.helpers import PROJECT_DIR

__all__ = ["filled_settings", "deploy_env"]


def filled_settings(var_dir, database_url: str) -> str:
    """settings.py.dist with every FILL-IN replaced as an operator would, on the test services, with
    var/ at var_dir: the PostgreSQL line for a postgres:// URL, else the MySQL line uncommented instead."""
    url = urlsplit(database_url)
    host, port = os.environ["BEANSTALK_URL"].split(":")
    postgres = ('DATABASES = {"default": database_from_url("postgres://ganetimgr:FILL-IN@127.0.0.1:5432/ganetimgr", '
                'pool_size=10)}')
    mysql = 'DATABASES = {"default": database_from_url("mysql://ganetimgr:FILL-IN@127.0.0.1:3306/ganetimgr")}'
    if url.scheme == "postgres":
        database = [(postgres, postgres.replace("FILL-IN", url.password).replace("5432", str(url.port)))]
    else:
        database = [(postgres, "# " + postgres),
                    ("# " + mysql, mysql.replace("FILL-IN", url.password).replace("3306", str(url.port)))]
    replacements = [
        ('"FILL-IN: ganetimgr.example.org"', '"ganetimgr.example.org"'),
        ('"https://FILL-IN: ganetimgr.example.org"', '"https://ganetimgr.example.org"'),
        ('"FILL-IN@example.org"', '"ops@example.org"'),
        *database,
        ('REDIS_URL = "redis://127.0.0.1:6379/0"', f'REDIS_URL = "{os.environ["REDIS_URL"]}"'),
        ('BEANSTALK_ADDRESS = ("127.0.0.1", 11300)', f'BEANSTALK_ADDRESS = ("{host}", {port})'),
        ("/srv/ganetimgr/var", str(var_dir)),
    ]
    text = (PROJECT_DIR / "settings.py.dist").read_text()
    for shipped, filled in replacements:
        assert shipped in text, shipped
        text = text.replace(shipped, filled)
    return text


def deploy_env(project_env, settings_file):
    """An operator's environment: nothing but the settings file (no HTTPS=off, no service URLs)."""
    env = {k: v for k, v in project_env.items()
           if k not in ("HTTPS", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "BEANSTALK_URL", "GANETIMGR_VAR_DIR")}
    env["GANETIMGR_LOCAL_SETTINGS"] = str(settings_file)
    return env
