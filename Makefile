# The assistant's verbs. A fresh machine needs only `make run` or `make test`.
SHELL := /bin/bash
APP_PY := .venv/app/bin/python
RASA := .venv/rasa/bin/rasa
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONPATH := $(CURDIR):$(CURDIR)/bot

KNOWLEDGE := $(wildcard knowledge/entries/*.yml)
BOT_DATA := $(shell find bot/data -name '*.yml') bot/config.yml bot/domain.yml \
            $(wildcard bot/components/*.py) knowledge/textnorm.py knowledge/jieba/userdict.txt
MODEL := bot/models/hotline.tar.gz
INDEX := knowledge/build/index/meta.json

.PHONY: run test test-stories shell interactive setup setup-test audit lock browser officer index nlu train validate bench bench-retrieval bench-answers bench-intent bench-latency bench-load clean

run: setup $(INDEX) $(MODEL)   ## start Rasa :5005, actions :5055, gateway :8000 (Ctrl-C stops)
	$(APP_PY) -m scripts.run

.PHONY: cluster
cluster: setup $(INDEX) $(MODEL)  ## production topology here: 2 Rasa (PostgreSQL+Redis), 2 action servers, 2 gateways
	$(APP_PY) -m scripts.cluster $(ARGS)

test: setup-test browser $(INDEX) $(MODEL)  ## the whole test suite (starts its own servers on other ports)
	$(APP_PY) scripts/audit.py
	$(APP_PY) -m pytest -ra tests
	$(MAKE) --no-print-directory test-stories

test-stories: setup $(MODEL)   ## Rasa test stories of the main dialogues (bot/tests/), against the trained model
	cd bot && ../$(RASA) test core --stories tests --model models/hotline.tar.gz \
	  --fail-on-prediction-errors --out ../test-output/rasa-test --no-plot

shell: setup $(INDEX) $(MODEL)   ## talk to the bot in this terminal (starts and stops the action server)
	$(APP_PY) -m scripts.rasa_tools shell $(ARGS)

interactive: setup $(INDEX) $(MODEL)   ## rasa interactive with the action server (new stories go to bot/data)
	$(APP_PY) -m scripts.rasa_tools interactive $(ARGS)

browser:                       ## Debian's Chromium for the browser tests (installed when missing)
	@bash scripts/ensure_chromium.sh

setup:                         ## create/refresh the two runtime environments from the lock files (no torch)
	@bash scripts/setup.sh

setup-test:                    ## setup + test tools + the optional sentence-transformers backend (torch, CPU build)
	@bash scripts/setup.sh test

audit: setup-test              ## known vulnerabilities of every pinned package (pip-audit; a warning when offline)
	$(APP_PY) scripts/audit.py

lock:                          ## regenerate requirements/*.lock from requirements/*.in (hashes, PyPI only; uv)
	@bash scripts/lock.sh

index: setup $(INDEX)
$(INDEX): $(KNOWLEDGE) knowledge/embeddings.py knowledge/index.py knowledge/loader.py
	@echo "==> building the retrieval index"
	$(APP_PY) -m knowledge.build_index

nlu: setup bot/data/nlu/programme.yml
bot/data/nlu/programme.yml: $(KNOWLEDGE) knowledge/export_nlu.py
	$(APP_PY) -m knowledge.export_nlu

train: setup $(MODEL)
$(MODEL): $(BOT_DATA) bot/data/nlu/programme.yml
	@echo "==> training the Rasa model (bot data changed; ~30 s on 2 cores, ~3 min with bot/config.diet.yml)"
	cd bot && ../$(RASA) train --fixed-model-name hotline --out models --force
	@touch $(MODEL)

validate: setup
	cd bot && ../$(RASA) data validate --fail-on-warnings

bench: bench-retrieval bench-answers bench-intent bench-latency
bench-retrieval: setup $(INDEX)
	$(APP_PY) -m bench.retrieval $(ARGS)
bench-answers: setup $(INDEX)   ## direct-right/wrong, menu, refusal on the blind set (bench/blind) and the old set
	$(APP_PY) -m bench.answers $(ARGS)
bench-intent: setup $(MODEL)
	$(APP_PY) -m bench.intent $(ARGS)
bench-latency: setup $(INDEX) $(MODEL)
	$(APP_PY) -m bench.latency $(ARGS)
bench-load: setup $(INDEX) $(MODEL)   ## closed-loop load on the widget API and Rasa REST (ARGS="-c 16 -d 60", "--vs-stock", "--startup 1", "--long 200")
	$(APP_PY) -m bench.load $(ARGS)

officer: setup                 ## create an officer account: make officer LOGIN=lin NAME=林專員 (asks the password)
	$(APP_PY) -m channels.officers create "$(LOGIN)" --name "$(NAME)"

clean:
	rm -rf knowledge/build bot/models var .pytest_cache
