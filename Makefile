# Fresh machine: `make test` or `make demo` set everything up in ./.venv.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.mmseg_ht-installed
# pip on this kind of machine prints a warning per missing local index entry;
# filter those lines but keep pip's own exit status (pipefail).
QUIET_PIP := { grep -v '^WARNING: Location' || true; }

.PHONY: install test demo clean-demo

$(STAMP): requirements/torch.txt requirements/runtime.txt requirements/mmcv_lite.txt requirements/tests.txt setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements/torch.txt 2>&1 | $(QUIET_PIP)
	$(BIN)/pip install -q -r requirements/runtime.txt -r requirements/mmcv_lite.txt -r requirements/tests.txt 2>&1 | $(QUIET_PIP)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e . 2>&1 | $(QUIET_PIP)
	$(BIN)/python -c "import mmseg_ht, mmseg, mmpretrain, open_clip; print('mmseg_ht', mmseg_ht.__version__, 'ready')"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

demo: $(STAMP)
	PYTHON=$(BIN)/python bash tools/run_demo.sh

clean-demo:
	rm -rf demo_data work_dirs/demo
