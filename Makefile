# Baton: `make demo` and `make test` work on a fresh Debian machine with a Swift 6 toolchain.
SHELL := /bin/bash
SWIFT ?= swift
DEBIAN_PACKAGES := librdkafka-dev libxml2-dev liblz4-dev pkg-config kcat
KAFKA_PORT ?= 19092
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo)

SPIFF_VENV := .build/spiff-venv
SPIFF_VERSION := 3.2.0

.PHONY: all deps browser spiff clients build release test simulate demo demo-http validate bench bench-kafka bench-components bench-kafka-components bench-http bench-gateway bench-ingest clean

all: build

## deps: install the Debian packages Baton links against, when missing.
deps:
	@command -v $(SWIFT) >/dev/null 2>&1 || { echo "error: no '$(SWIFT)' on PATH; Baton needs a Swift 6 toolchain"; exit 1; }
	@missing=""; for package in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1 || missing="$$missing python3 python3-pip"; \
	python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## browser: Chromium from Debian, for the tests that load the pages under /ui headless and
## save screenshots under .build/screenshots (only `make test` needs it).
browser: | deps
	@dpkg-query -W -f='$${Status}' chromium 2>/dev/null | grep -q "install ok installed" || { \
	  echo "installing Debian package: chromium"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

## spiff: SpiffWorkflow from PyPI in a virtualenv under .build/, for the differential test
## of the engine against another BPMN engine (Tests/Differential/spiff_runner.py).
spiff: $(SPIFF_VENV)/installed-$(SPIFF_VERSION)

$(SPIFF_VENV)/installed-$(SPIFF_VERSION): | deps
	rm -rf $(SPIFF_VENV)
	python3 -m venv $(SPIFF_VENV)
	$(SPIFF_VENV)/bin/pip install --quiet --disable-pip-version-check SpiffWorkflow==$(SPIFF_VERSION)
	touch $@

## clients: the real clients the tests use, from PyPI, in a virtualenv under .build/: the
## Kafka client tasks are answered with (confluent-kafka) and Camunda 7's external task
## client the gateway serves (camunda-external-task-client-python3); kcat comes from Debian.
CLIENTS_VENV := .build/clients-venv
CLIENT_PACKAGES := confluent-kafka==2.16.1 camunda-external-task-client-python3==4.5.0 pydantic==2.12.5 camunda-orchestration-sdk==10.0.1
CLIENTS_STAMP := $(CLIENTS_VENV)/installed-$(shell echo $(CLIENT_PACKAGES) | md5sum | cut -c1-12)
clients: $(CLIENTS_STAMP)

$(CLIENTS_STAMP): | deps
	rm -rf $(CLIENTS_VENV)
	python3 -m venv $(CLIENTS_VENV)
	$(CLIENTS_VENV)/bin/pip install --quiet --disable-pip-version-check $(CLIENT_PACKAGES)
	touch $@

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## test: every test (Swift Testing and XCTest), with the Kafka-protocol test broker
## (tansu behind the ApiVersions proxy, Tests/KafkaBroker/) started for the run and stopped after,
## and SpiffWorkflow installed for the differential test.
test: deps spiff clients browser
	$(SWIFT) build --build-tests
	BATON_KAFKA_PORT=$(KAFKA_PORT) Tests/KafkaBroker/broker.sh start
	.build/debug/baton topics apply --kafka 127.0.0.1:$(KAFKA_PORT) --topics-dir topics \
	  || { Tests/KafkaBroker/broker.sh stop; exit 1; }
	BATON_KAFKA=127.0.0.1:$(KAFKA_PORT) $(SWIFT) test --skip-build; status=$$?; \
	  Tests/KafkaBroker/broker.sh stop; exit $$status

## simulate: the seeded fault simulation of engine partitions and workers with more seeds
## than `make test` runs (SEEDS=1000 takes about half an hour on 2 cores).
simulate: deps
	$(SWIFT) build --build-tests
	BATON_SIM_SEEDS=$(or $(SEEDS),1000) $(SWIFT) test --skip-build --filter SimulationTests

## validate: check the example processes in bpmn/.
validate: release
	.build/release/baton validate bpmn/*.bpmn

## demo: 10,000 orders through bpmn/order-process.bpmn on the embedded log, then 2,000 orders
## as events on the orders topic through `baton ingest` into bpmn/order-events.bpmn (see README).
demo: validate
	.build/release/baton demo --orders $(or $(ORDERS),10000)
	.build/release/baton demo --events --orders $(or $(EVENT_ORDERS),2000) --data-dir ./baton-data-demo-events

## demo-http: the same demo with its workers as `baton worker --config` processes (two)
## calling a tiny HTTP service (examples/order-workers/: the service and the workers file).
ORDER_SERVICE_PORT ?= 8099
demo-http: validate
	python3 examples/order-workers/order_service.py $(ORDER_SERVICE_PORT) & service=$$!; \
	for _ in $$(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$(ORDER_SERVICE_PORT)) 2>/dev/null && break; sleep 0.1; done; \
	ORDER_SERVICE=http://127.0.0.1:$(ORDER_SERVICE_PORT) .build/release/baton demo --orders $(or $(ORDERS),2000) \
	  --worker-config examples/order-workers/workers.yaml; status=$$?; kill $$service; exit $$status

## bench: the standard suite with `baton bench` on the embedded log (benchmarks/suite.sh:
## throughput of the one-task process, the order process, a chain of 20 tasks, a fan-out to
## 10 parallel tasks and one task with 10 KB of variables, each beside the raw log measured
## in the same run; then start-to-end latency of the one-task and order processes at a
## stated rate). Results also as JSON under .build/bench/. BENCH_SCALE=0.1 for a quick run.
bench: release
	benchmarks/suite.sh file

## bench-kafka: the same suite on the Kafka-protocol test broker (started and stopped here),
## with smaller counts and rates.
bench-kafka: release
	BATON_KAFKA_PORT=$(KAFKA_PORT) Tests/KafkaBroker/broker.sh start
	benchmarks/suite.sh kafka 127.0.0.1:$(KAFKA_PORT); status=$$?; Tests/KafkaBroker/broker.sh stop; exit $$status

## bench-components: the benchmark programs in benchmarks/: the engine core (in memory, one
## core), map-reduce, end to end on the file log beside raw appends, the REST gateway, ingest.
bench-components: deps
	cd benchmarks && $(SWIFT) build -c release && .build/release/EngineBenchmark $(or $(INSTANCES),100000) ../bpmn/order-process.bpmn
	cd benchmarks && .build/release/EngineBenchmark $(or $(MAP_INSTANCES),2000) ../bpmn/order-lines.bpmn 100
	cd benchmarks && .build/release/EmbeddedBenchmark $(or $(ONE_TASK),20000) $(or $(ORDERS),10000) ../bpmn/order-process.bpmn
	cd benchmarks && .build/release/GatewayBenchmark $(or $(GATEWAY_TASKS),10000) $(or $(WORKERS),64) $(or $(RATE),200)
	cd benchmarks && .build/release/IngestBenchmark $(or $(EVENTS),100000)

## bench-ingest: order events into started instances through `baton ingest`, beside the raw
## consume rate of the same source topic.
bench-ingest: deps
	cd benchmarks && $(SWIFT) build -c release && .build/release/IngestBenchmark $(or $(EVENTS),100000)

## bench-gateway: only the REST gateway benchmark.
bench-gateway: deps
	cd benchmarks && $(SWIFT) build -c release && .build/release/GatewayBenchmark $(or $(GATEWAY_TASKS),10000) $(or $(WORKERS),64) $(or $(RATE),200)

## bench-http: the generic HTTP worker against a local no-op endpoint (one-task instances on
## the file log) beside the same run's raw HTTP request rate.
bench-http: deps
	cd benchmarks && $(SWIFT) build -c release && .build/release/HTTPWorkerBenchmark $(or $(INSTANCES),20000) $(or $(CONCURRENCY),64)

## bench-kafka-components: the one-task process end to end on the test broker beside raw
## librdkafka (benchmarks/Sources/EmbeddedBenchmark).
bench-kafka-components: deps
	cd benchmarks && $(SWIFT) build -c release
	BATON_KAFKA_PORT=$(KAFKA_PORT) Tests/KafkaBroker/broker.sh start
	cd benchmarks && BATON_KAFKA=127.0.0.1:$(KAFKA_PORT) .build/release/EmbeddedBenchmark 1000 1000 ../bpmn/order-process.bpmn $(or $(KAFKA_INSTANCES),10000); \
	  status=$$?; cd .. && Tests/KafkaBroker/broker.sh stop; exit $$status

clean:
	rm -rf .build benchmarks/.build
