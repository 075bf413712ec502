"""The README documents every environment variable the settings read."""

import re

from tests.helpers import PROJECT_DIR


def test_every_environment_variable_is_in_the_readme():
    settings = (PROJECT_DIR / "ganetimgr/settings.py").read_text()
    gunicorn = (PROJECT_DIR / "contrib/gunicorn.conf.py").read_text()
    readme = (PROJECT_DIR / "README.md").read_text()
    names = set(re.findall(r'(?:env_\w+|redis_url|beanstalk_address)\(\s*"([A-Z0-9_]+)"', settings))
    names |= set(re.findall(r'os\.environ\.get\("([A-Z0-9_]+)"', gunicorn))
    assert len(names) > 40
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing, f"document these in README.md: {missing}"


def test_readme_starts_with_the_two_commands():
    readme = (PROJECT_DIR / "README.md").read_text()
    first_screen = readme[:readme.index("## What runs")]
    assert "make demo" in first_screen and "make test" in first_screen
