# The two commands a newcomer needs: `make demo` (the offline main job) and `make test`.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
APT_PACKAGES = fonts-dejavu-core fonts-wqy-microhei fontconfig
# the store tests run on a real PostgreSQL too (the tests start Debian's cluster themselves)
TEST_APT_PACKAGES = postgresql chromium chromium-driver festival festvox-us-slt-hts

.PHONY: setup system-packages test-packages demo test test-fast bench run console engine lint clean

setup: system-packages  ## install the project, the engine and the test tools
	$(PIP) install --quiet --disable-pip-version-check -e ".[engine,dev]"

system-packages:  ## fonts for titles (DejaVu for Latin, WenQuanYi for Chinese); needs root
	@if dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	else echo "note: install $(APT_PACKAGES) as root for Chinese titles"; fi

test-packages:  ## PostgreSQL for the store tests, chromium for the editing page; needs root (otherwise those tests are skipped, saying why)
	@if dpkg -s $(TEST_APT_PACKAGES) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEST_APT_PACKAGES); \
	else echo "note: install $(TEST_APT_PACKAGES) as root to run the PostgreSQL store and browser tests"; fi

demo: setup  ## offline: generate a clip, start the local engine, make a highlight reel, print the MP4
	$(PYTHON) -m bots.cli demo

test: setup test-packages lint  ## the lint, then the whole test-suite (CI runs this)
	$(PYTHON) -m pytest -q

test-fast: ## the suite without real renders, on an installed project
	$(PYTHON) -m pytest -q -m "not slow"

bench: setup  ## the figures (see bench/README.md)
	$(PYTHON) bench/run_all.py

console:  ## talk to the bot in this terminal (local engine by default)
	$(PYTHON) -m bots.cli console

engine:  ## run the local engine server
	$(PYTHON) -m bots.cli engine

run:  ## every surface that has a token configured
	$(PYTHON) -m bots.cli run

lint:  ## ruff and mypy (both in the dev extra)
	$(PYTHON) -m ruff check core bots engine tests bench
	$(PYTHON) -m mypy bots core engine

clean:
	rm -rf var .pytest_cache .hypothesis build *.egg-info
