# One command serves the portal with demo data (make run); one runs the tests (make test).
VENV ?= .venv
PY := $(VENV)/bin/python
PYBABEL := $(VENV)/bin/pybabel
CATALOGUES := $(wildcard core/translations modules/*/translations)


.PHONY: setup system run test bench lint format messages translations clean

setup: system $(VENV)/.installed translations

# Operating-system packages: a CJK font for PDFs and screenshots, and Chromium for
# the browser tests. Installed only when missing (needs root and apt-get).
system:
	@if ! fc-list :lang=zh 2>/dev/null | grep -q . || ! command -v chromium >/dev/null; then \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				fontconfig fonts-wqy-microhei chromium >/dev/null; \
		else \
			echo "install a CJK font (fonts-wqy-microhei) and chromium with your package manager"; \
		fi; \
	fi

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

translations: $(VENV)/.installed
	@for dir in $(CATALOGUES); do $(PYBABEL) compile --use-fuzzy --statistics -d $$dir || exit 1; done

run: setup
	$(PY) run.py db upgrade
	$(PY) run.py demo
	$(PY) run.py serve

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) -m tests.benchmarks

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Re-extract every catalogue's messages after changing user-facing text.
messages: setup
	@for dir in $(CATALOGUES); do \
		src=$$(dirname $$dir); \
		$(PYBABEL) extract -F babel.cfg -k _l -k _ -o $$dir/messages.pot $$src && \
		$(PYBABEL) update -i $$dir/messages.pot -d $$dir --no-fuzzy-matching || exit 1; \
	done

clean:
	rm -rf $(VENV) instance .pytest_cache
