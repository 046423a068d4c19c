# `make test` and `make run` are the only two commands a newcomer needs: both
# create .venv and install the project on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install clean

# pip's chatter goes to a log that is shown only if the install fails.
$(STAMP): pyproject.toml
	@echo "Setting up $(VENV) (first run, or pyproject.toml changed)..." >&2
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip > $(VENV)/install.log 2>&1 \
	  && $(BIN)/python -m pip install --quiet -e '.[dev]' >> $(VENV)/install.log 2>&1 \
	  || { cat $(VENV)/install.log >&2; echo "make: installing into $(VENV) failed (log above)" >&2; exit 1; }
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@$(BIN)/python -m bot

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
