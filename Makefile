# Clinic CRM and patient portal for Odoo 19: the commands of README.md.
PYTHON ?= python3
SHELL := /bin/bash

.PHONY: setup test test-static test-unit test-setup test-odoo test-replica test-upgrade fuzz run his-simulator easycard-simulator bench-isc-sync

setup:
	PYTHON=$(PYTHON) bash scripts/setup.sh

test:
	PYTHON=$(PYTHON) bash scripts/test.sh all

test-static:
	PYTHON=$(PYTHON) bash scripts/test.sh static

test-unit:
	PYTHON=$(PYTHON) bash scripts/test.sh unit

test-setup:
	PYTHON=$(PYTHON) bash scripts/test.sh setup

test-odoo:
	PYTHON=$(PYTHON) bash scripts/test.sh odoo

# Readonly routes on a PostgreSQL hot standby: throwaway clusters, two prefork servers.
test-replica:
	PYTHON=$(PYTHON) bash scripts/test.sh replica

test-upgrade:
	PYTHON=$(PYTHON) bash scripts/test.sh upgrade

# Many more generated inputs than make test: FUZZ_EXAMPLES per route and session (300).
fuzz:
	PYTHON=$(PYTHON) bash scripts/test.sh fuzz

run:
	PYTHON=$(PYTHON) bash scripts/run.sh

his-simulator:
	$(PYTHON) -m his_simulator --host 127.0.0.1 --port 8899 --api-key demo-his-key --patients 1000

easycard-simulator:
	$(PYTHON) -m easycard_simulator --host 127.0.0.1 --port 8898 --terminal 6f1ee8e2-7c57-4b8e-9d33-3a9f7f2a1c01 --private-key demo-easycard-key --allowed-redirect http://localhost:8069

bench-isc-sync:
	bash scripts/bench.sh tests/bench/bench_isc_sync.py $(ARGS)

.PHONY: bench-slots load-booking load-course load-times test-cron

bench-slots:
	bash scripts/bench.sh tests/bench/bench_slots.py $(ARGS)

load-booking:
	bash scripts/bench.sh tests/load/load_booking.py $(ARGS)

load-times:
	bash scripts/bench.sh tests/load/load_times.py $(ARGS)

load-course:
	bash scripts/bench.sh tests/load/load_course.py $(ARGS)

# The scheduled jobs of our addons on two prefork Odoo servers of one database: each runs once.
test-cron:
	bash scripts/bench.sh tests/load/cron_two_servers.py $(ARGS)

# Each addon's README.rst from its readme/ fragments; README.rst is never edited by hand.
.PHONY: readme

readme:
	$(PYTHON) scripts/gen_readme.py
