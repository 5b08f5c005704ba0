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

.PHONY: install test test-legacy demo clean-demo lint

# The requirements both legs install (the legacy leg under its own torch/numpy pins).
REQUIREMENTS := requirements/runtime.txt requirements/medical.txt requirements/mmcv_lite.txt \
    requirements/lint.txt \
    requirements/tests.txt

$(STAMP): requirements/torch.txt $(REQUIREMENTS) setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements/torch.txt 2>&1 | $(QUIET_PIP)
	$(BIN)/pip install -q $(addprefix -r ,$(REQUIREMENTS)) 2>&1 | $(QUIET_PIP)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e . 2>&1 | $(QUIET_PIP)
	$(BIN)/python -c "import mmseg_ht, mmseg, mmpretrain, open_clip; print('mmseg_ht', mmseg_ht.__version__, 'ready')"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

# OpenMMLab's linters with setup.cfg's settings (the versions of requirements/lint.txt); the
# same hooks run on commit after `pre-commit install` (.pre-commit-config.yaml).
LINT_PATHS := mmseg_ht tools tests benchmarks configs/_base_ setup.py
lint: $(STAMP)
	$(BIN)/pip install -q -r requirements/lint.txt 2>&1 | $(QUIET_PIP)
	$(BIN)/flake8 mmseg_ht tools tests benchmarks configs setup.py
	$(BIN)/isort --check-only --diff $(LINT_PATHS)
	$(BIN)/yapf --diff --recursive $(LINT_PATHS)

demo: $(STAMP)
	PYTHON=$(BIN)/python bash tools/run_demo.sh

clean-demo:
	rm -rf demo_data work_dirs/demo

# Older-stack leg (torch 2.1.2, numpy 1.26.4: requirements/legacy/pins.txt) in .venv-legacy.
LEGACY_VENV := .venv-legacy
LEGACY_BIN := $(LEGACY_VENV)/bin
LEGACY_STAMP := $(LEGACY_VENV)/.mmseg_ht-installed

$(LEGACY_STAMP): requirements/legacy/pins.txt $(REQUIREMENTS) setup.py
	test -x $(LEGACY_BIN)/python || $(PYTHON) -m venv $(LEGACY_VENV)
	$(LEGACY_BIN)/pip install -q -r requirements/legacy/pins.txt 2>&1 | $(QUIET_PIP)
	$(LEGACY_BIN)/pip install -q -c requirements/legacy/pins.txt $(addprefix -r ,$(REQUIREMENTS)) 2>&1 | $(QUIET_PIP)
	$(LEGACY_BIN)/pip install -q --no-deps --no-build-isolation -e . 2>&1 | $(QUIET_PIP)
	$(LEGACY_BIN)/python -c "import torch, numpy, mmseg_ht; print('legacy leg: torch', torch.__version__, 'numpy', numpy.__version__)"
	touch $(LEGACY_STAMP)

test-legacy: $(LEGACY_STAMP)
	$(LEGACY_BIN)/python -m pytest -q -p no:cacheprovider
