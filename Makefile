# The two commands of the README: `make demo` and `make test`.
# Both create .venv and install the project into it on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE_QUESTION := 教育部举办了多少场“互联网+就业指导”直播课？

.PHONY: demo test install

demo: $(BIN)/citebot
	$(BIN)/citebot index examples/
	@if [ -t 0 ]; then $(BIN)/citebot repl; else $(BIN)/citebot ask "$(SAMPLE_QUESTION)"; fi

test: $(BIN)/citebot
	$(BIN)/python -m pytest

install: $(BIN)/citebot

$(BIN)/citebot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@
