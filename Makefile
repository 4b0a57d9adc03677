# aicost build. Plain make; every .c under src/ is compiled, so adding a
# module means adding a file, not editing this Makefile.
#
#   make                 build ./aicost
#   make test            unit (cmocka) + golden CLI + fuzz smoke + ingest crash tests
#   make run             install deps, build, load demo data, print the reports, serve the dashboard
#   make bench           ingest/report benchmarks beside DuckDB (see bench/)
#   make fuzz            build libFuzzer targets with clang and run each for FUZZ_SECONDS
#   make SANITIZE=address,undefined test

CC      ?= cc
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
# Flags the build needs whatever CFLAGS the user passes.
ALL_CFLAGS = $(CFLAGS) -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
           -D_GNU_SOURCE -Isrc -MMD -MP
LDLIBS  += -lsqlite3 -lz -lzstd -ljansson -lyaml -lcurl -lcrypto -levent -levent_pthreads -lhiredis -ldl -lm -lpthread

ifdef SANITIZE
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
BUILD   ?= build/san
BIN     ?= $(BUILD)/aicost
else
BUILD   ?= build/rel
endif

SRC      := $(shell find src -name '*.c' | sort)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
# The dashboard (web/ + uPlot from npm), embedded as a generated C source.
WEB_SRC  := $(sort $(wildcard web/*.html web/*.js web/*.css web/*.svg)) web/package-lock.json
WEB_OBJ  := $(BUILD)/gen/web_assets.o
LIB_OBJ  += $(WEB_OBJ)
MAIN_OBJ := $(BUILD)/src/main.o
BIN      ?= aicost

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SMOKE := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz-smoke/%)
TOOLS_SRC := $(sort $(wildcard bench/*.c))
TOOLS_BIN := $(TOOLS_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all test unit golden fuzz-smoke crash fuzz run bench deps clean demo
all: $(BIN)

$(BUILD)/libaicost.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BIN): $(MAIN_OBJ) $(BUILD)/libaicost.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/web_assets.c: $(WEB_SRC) scripts/build-web.sh scripts/embed-web.py
	@mkdir -p $(@D)
	scripts/build-web.sh $@

$(WEB_OBJ): $(BUILD)/gen/web_assets.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libaicost.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libaicost.a $(LDLIBS) -lcmocka

# Fuzz smoke: each target linked with a replay driver (no libFuzzer needed),
# run over its seed corpus plus mutated inputs under whatever SANITIZE is set.
$(BUILD)/fuzz-smoke/%: tests/fuzz/%.c tests/fuzz/smoke_driver.c $(BUILD)/libaicost.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/smoke_driver.c $(BUILD)/libaicost.a $(LDLIBS)

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

tools: $(TOOLS_BIN)

test: deps
	@$(MAKE) --no-print-directory $(BIN) $(UNIT_BIN) $(FUZZ_SMOKE) $(TOOLS_BIN)
	@BUILD=$(BUILD) AICOST_BIN=$(abspath $(BIN)) scripts/run-tests.sh

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do $$t; done

golden: $(BIN)
	@AICOST_BIN=$(abspath $(BIN)) tests/cli/run.sh

FUZZ_SECONDS ?= 60
fuzz:
	@scripts/fuzz.sh $(FUZZ_SECONDS)

deps:
	@scripts/install-deps.sh

run: deps
	@$(MAKE) --no-print-directory $(BIN) tools
	@BUILD=$(BUILD) scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory $(BIN) tools
	@BUILD=$(BUILD) bench/run.sh

# The ClickHouse ledger at 1M, 10M and 100M rows beside SQLite (owner: ch; bench/clickhouse/run.sh).
.PHONY: bench-clickhouse
bench-clickhouse: deps
	@$(MAKE) --no-print-directory $(BIN) tools
	@BUILD=$(BUILD) bench/clickhouse/run.sh

# ---- stand-in LLM upstream for the gateway tests (owner: up; tests/upstream/README.md) ----
STUB_SRC := $(sort $(wildcard tests/upstream/*.c))
STUB_OBJ := $(STUB_SRC:%.c=$(BUILD)/%.o)
STUB_BIN := $(BUILD)/tests/llm_stub
.PHONY: stub bench-gateway
all: $(STUB_BIN)
stub: $(STUB_BIN)
test: $(STUB_BIN)
$(STUB_BIN): $(STUB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -levent -ljansson -lm
bench-gateway: deps
	@$(MAKE) --no-print-directory $(BIN) $(STUB_BIN) $(BUILD)/bench/gw_load $(BUILD)/bench/gw_floor
	@BUILD=$(BUILD) bench/gateway/run.sh
# ---- end stand-in upstream ----

clean:
	rm -rf build $(BIN)

-include $(shell find build -name '*.d' 2>/dev/null)
