# ganetimgr: `make demo` runs a working demo, `make test` runs every test. See README.md.
.PHONY: demo test bench setup messages clean

demo:
	@scripts/demo.sh

test:
	@scripts/setup.sh test
	@HTTPS=off scripts/with-services.sh .venv/bin/python -m pytest $(PYTEST_ARGS)

# Benchmarks (not tests): bench/README.md has the figures and what they mean.
# BENCH=inventory (the default), instances (the instance pages under gunicorn), jobs, approval,
# or stack (every goal at once, through nginx, on the stack of tests/stack/stack.py).
BENCH ?= inventory
bench:
	@scripts/setup.sh test
	@HTTPS=off scripts/with-services.sh .venv/bin/python bench/$(BENCH).py $(BENCH_ARGS)

setup:
	@scripts/setup.sh test

# Re-extract the translatable strings into locale/el/LC_MESSAGES/django.po after changing them.
messages:
	.venv/bin/python manage.py makemessages -l el --no-obsolete --add-location file \
		--ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'static/*'

clean:
	rm -rf .venv var .pytest_cache
