# Signature Explorer: `make run` opens the app on the demo model, `make test` runs every test.
# Both create a project-local virtual environment (.venv) and install what is missing into it.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# System libraries Qt's xcb plugin needs for a real window (tests run offscreen and need none of them).
QT_SYSTEM_LIBS := libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0

.PHONY: install kserve-venv run test bench demo-model qt-system-libs screenshots clean package package-test

install: $(STAMP)

# KServe's ModelServer (a real V2 server for tests) cannot share TensorFlow's venv: kserve pins protobuf < 6.
KSERVE_VENV := .venv-kserve
kserve-venv: $(KSERVE_VENV)/.installed

$(KSERVE_VENV)/.installed: tests/servers/kserve-requirements.txt
	$(PYTHON) -m venv $(KSERVE_VENV)
	$(KSERVE_VENV)/bin/python -m pip install --quiet -r tests/servers/kserve-requirements.txt
	touch $@

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@# This environment may set PYTHONDONTWRITEBYTECODE; without bytecode every start recompiles
	@# protobuf, Qt glue and TensorFlow's Python (seconds). Compile once, here.
	$(PY) -m compileall -q -j 0 $(VENV)/lib explorer > /dev/null 2>&1 || true
	touch $(STAMP)

run: install qt-system-libs
	$(PY) -m explorer.ui.app resources/demo_model

test: install kserve-venv
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: install kserve-venv
	@# A benchmark that misses its goal exits non-zero; run them all, then say so.
	@status=0; for b in inspect predict serving serving_grpc diagnose serving_v2 scan startup engine outputs; do echo "== bench/$$b.py"; \
	  $(PY) bench/$$b.py || status=1; done; exit $$status

# Retakes every picture in docs/screenshots from the tests that assert what its caption says (1280x800, offscreen,
# real servers): tests/ui/test_tour_shots.py, test_journeys.py and test_docs_shots.py. Names the one it missed.
SHOTS := build/shots
JOURNEY_DOCS := journey_compare_probes:compare_view journey_collapsed:diagnose journey_form_outputs:form_outputs \
  journey_unnormalised:tour_unnormalised
screenshots: install
	rm -rf $(SHOTS) && mkdir -p $(SHOTS)
	JOURNEY_SHOTS=$(CURDIR)/$(SHOTS) QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q \
	  tests/ui/test_tour_shots.py tests/ui/test_journeys.py tests/ui/test_docs_shots.py
	@for pair in $(JOURNEY_DOCS); do mv $(SHOTS)/$${pair%%:*}.png $(SHOTS)/$${pair##*:}.png; done
	@status=0; for doc in docs/screenshots/*.png; do name=$$(basename $$doc); \
	  if [ -f $(SHOTS)/$$name ]; then cp $(SHOTS)/$$name $$doc; else echo "not retaken: $$doc"; status=1; fi; \
	done; exit $$status

demo-model: install
	$(PY) resources/make_demo_model.py

# A one-folder desktop bundle in dist/signature-explorer/ (PyInstaller; packaging/signature-explorer.spec).
BUNDLE := dist/signature-explorer/signature-explorer
package: install
	$(PY) -m pip install --quiet -e ".[package]"
	$(PY) -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
	  packaging/signature-explorer.spec

# Starts the bundle offscreen: opens the demo model, predicts once, prints one line, exits 0 (built first if missing).
package-test:
	@test -x $(BUNDLE) || $(MAKE) package
	QT_QPA_PLATFORM=offscreen $(BUNDLE) --smoke-test

# Installs the xcb libraries when they are missing and we may (root with apt-get); otherwise says what to install.
qt-system-libs:
	@missing=""; for lib in $(QT_SYSTEM_LIBS); do \
	  dpkg -s $$lib >/dev/null 2>&1 || missing="$$missing $$lib"; done; \
	if [ -n "$$missing" ] && command -v dpkg >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq $$missing; \
	  else echo "Qt needs these system packages for a window:$$missing (sudo apt-get install$$missing)"; fi; \
	fi

clean:
	rm -rf $(VENV) build dist *.egg-info
