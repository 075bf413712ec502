"""WSGI entry point: gunicorn -c contrib/gunicorn.conf.py ganetimgr.wsgi:application"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ganetimgr.settings")

application = get_wsgi_application()
