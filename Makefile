# CarWatch Edge. `make run` and `make test` bootstrap .venv/ from nothing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TRAIN_VENV := .venv-train
TRAIN_BIN := $(TRAIN_VENV)/bin
SHARED ?= ../shared/datasets
BUILD := build
HOURS ?= 2
WORKERS ?= 2
MODELS ?= detector reader
DEVICE ?= $(shell nvidia-smi -L >/dev/null 2>&1 && echo 0 || echo cpu)

.PHONY: run test lint bench soak eval eval-conditions models models-data gpu-bundle fonts clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/carwatch-edge run

test: $(BIN)/.installed
	$(BIN)/pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check edge tests
	$(BIN)/mypy edge

# Latency per stage, throughput and memory on real images: the committed test photos, plus the
# shared validation photos when ../shared is there. JSON on stdout and in bench.json.
# Then the whole daemon (about 7 minutes): frame -> MQTT latency (needs the broker on 127.0.0.1:1883),
# cameras per box at 5 fps, two 1080p cameras at 10 fps, idle cost of a camera; JSON in bench-daemon.json.
bench: $(BIN)/.installed
	$(BIN)/carwatch-edge bench tests/images $(wildcard $(SHARED)/oid-plates-1024/images/val) --max-images 60 --output bench.json
	$(BIN)/carwatch-edge bench-daemon --output bench-daemon.json

# The daemon with two file-fed cameras for an hour: memory (RSS slope), threads, events; JSON in soak.json.
soak: $(BIN)/.installed
	$(BIN)/carwatch-edge soak --duration 3600 --output soak.json

# Detector and reader measured on held-out real photos and crops (needs ../shared); last, the reader on
# its validation plates (reader_val), where run-time settings are tuned.
eval: $(BIN)/.installed
	$(BIN)/python -m edge.training.manifests --shared $(SHARED) --out $(BUILD)/eval
	$(BIN)/carwatch-edge eval $(BUILD)/eval/val_photos.jsonl
	$(BIN)/carwatch-edge eval --given-boxes $(BUILD)/eval/reader_test.jsonl
	$(BIN)/carwatch-edge eval --given-boxes $(BUILD)/eval/reader_val.jsonl

# The same held-out photos and crops under simulated night, infrared, rain, fog, glare, motion blur, a third of
# the resolution and hard JPEG (edge/simulated_conditions.py): proxies, not footage (see the model card).
CONDITIONS := night infrared rain fog glare motion low-res jpeg
eval-conditions: $(BIN)/.installed
	$(BIN)/python -m edge.training.manifests --shared $(SHARED) --out $(BUILD)/eval
	@for c in $(CONDITIONS); do \
	  echo "== $$c: held-out photos, detector and reader"; \
	  $(BIN)/carwatch-edge eval --condition $$c $(BUILD)/eval/val_photos.jsonl | grep -E '^(detection|exact reads)'; \
	  echo "== $$c: held-out crops, reader alone"; \
	  $(BIN)/carwatch-edge eval --condition $$c --given-boxes $(BUILD)/eval/reader_test.jsonl | grep -E '^exact reads'; \
	done

# ---- training (not part of the test suite; needs ../shared and the [train] extra) ----
$(TRAIN_BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_BIN)/pip install --quiet --upgrade pip
	$(TRAIN_BIN)/pip install --quiet -e '.[train]'
	touch $@

fonts:
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$($(PYTHON) -c 'import sys; sys.path.insert(0, "."); from edge.training.fonts import FONT_PACKAGES; print(" ".join(FONT_PACKAGES))'); \
	else echo "run as root (or install the fonts listed in edge/training/fonts.py) to render plates"; fi

models-data: $(TRAIN_BIN)/.installed fonts
	$(TRAIN_BIN)/python -m edge.training.pipeline data --shared $(SHARED) --build $(BUILD)

models: models-data
	$(TRAIN_BIN)/python -m edge.training.pipeline train --shared $(SHARED) --build $(BUILD) --device $(DEVICE) --hours $(HOURS) --workers $(WORKERS) --models $(MODELS)
	$(TRAIN_BIN)/python -m edge.training.pipeline quantize --shared $(SHARED) --build $(BUILD) --models $(MODELS)

# Packed data, wheels and a job script for a lent GPU machine, in .gpu/ (see models/README.md). The sets of
# models-data are built when missing and reused otherwise: `make models-data gpu-bundle` builds them afresh.
gpu-bundle: $(TRAIN_BIN)/.installed
	@test -f $(BUILD)/detector/data.yaml -a -f $(BUILD)/reader/data.yaml || $(MAKE) models-data
	$(TRAIN_BIN)/python -m edge.training.gpu_bundle --build $(BUILD) --out .gpu

clean:
	rm -rf $(BUILD) .pytest_cache .mypy_cache .ruff_cache
