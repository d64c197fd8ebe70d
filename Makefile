# nginx-trace: `make` builds the module and trace-ctl, `make test` runs every
# test, `make run` starts a demo, `make bench` measures what recording costs,
# `make deb` builds the Debian packages.
# Packages come from Debian (`make deps`).

SHELL := /bin/bash
# Every core, unless the command line says otherwise (make -j1): a first build
# on a new machine is several minutes of compiling.
MAKEFLAGS += -j$(shell nproc)
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

# The one place the version is written: common/trace_version.h.
VERSION := $(shell sed -n 's/^#define TRACE_VERSION "\(.*\)"/\1/p' common/trace_version.h)
# A sanitizer build (make test SANITIZE=address,undefined) gets a tree of its
# own, nginx's configure step included, so that build/ is never disturbed.
SANITIZE ?=
ifneq ($(SANITIZE),)
  BUILD ?= build-asan
else
  BUILD ?= build
endif
ABS_BUILD := $(abspath $(BUILD))
DESTDIR ?=
PREFIX ?= /usr/local

# nginx-dev ships headers, configure and Debian's configure flags; we configure
# a private copy once (~25 s) and reuse it.
NGX_DEV := /usr/share/nginx/src
NGX_DIR := $(BUILD)/nginx
NGX_CC_OPT := -g -O2 -fstack-protector-strong -Wformat -Werror=format-security -fPIC -D_FORTIFY_SOURCE=2
NGX_LD_OPT := -Wl,-z,relro -Wl,-z,now -fPIC

CXX := g++
HARDENING := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -Wformat -Werror=format-security
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor
# A packager's flags (debian/rules passes dpkg-buildflags' here), after ours.
EXTRA_CXXFLAGS ?=
EXTRA_LDFLAGS ?=
CXXFLAGS := -std=c++17 -O2 -g -fPIC $(HARDENING) $(WARNINGS) -MMD -MP $(EXTRA_CXXFLAGS)
LDFLAGS := $(EXTRA_LDFLAGS)
# Objects wait for `make deps` (scripts/deps.sh) to install what they need;
# a package build, whose build dependencies dpkg checks, sets DEPS= to skip it.
DEPS := deps
TOML_CFLAGS := -DTOML_HEADER_ONLY=0 -DTOML_SHARED_LIB=1
# Recursive (=): evaluated when a recipe runs, after `deps` installed libpq-dev.
PQ_CFLAGS = $(shell pkg-config --cflags libpq)
# Debian's cpp-httplib is a compiled library: every unit that includes
# httplib.h must see the feature macros it was built with (trace-ctl serve).
HTTPLIB_CFLAGS = $(shell pkg-config --cflags cpp-httplib)

# What the module and trace-ctl must agree on (common/): built once, into an
# archive of its own for trace-ctl, and into the core's, which is the one
# archive the module links (see config).
COMMON_LIBS := -lpq -lcrypto
COMMON_SRCS := $(sort $(wildcard common/*.cpp))
COMMON_OBJS := $(COMMON_SRCS:common/%.cpp=$(BUILD)/common/%.o)
COMMON_LIB := $(BUILD)/libtrace_common.a
# Headers: "common/x.hpp" from C++; the C headers (trace_contract.h,
# trace_version.h) by name, as the shim includes them.
COMMON_INC := -I. -Icommon

CORE_LIBS := -lpq -lpcre2-8 -lcrypto -lz -lpthread
CORE_SRCS := $(sort $(wildcard ngx_module/core/*.cpp))
CORE_OBJS := $(CORE_SRCS:ngx_module/core/%.cpp=$(BUILD)/core/%.o)
CORE_LIB := $(BUILD)/libtrace_core.a

# The command line itself, main.cpp and each command's *_command.cpp (the only
# files that include CLI11), goes into trace-ctl alone, compiled as one
# translation unit that includes them all: CLI11 costs 12 to 15 s of compiler
# time in every unit that includes it. Their file-scope names share that unit
# (a clash is a compile error). The rest of cli/ is an archive that the unit
# tests and fuzz targets link too.
CLI_MAIN_SRCS := cli/main.cpp $(sort $(shell find cli -name '*_command.cpp'))
CLI_MAIN_OBJ := $(BUILD)/cli/command_line.o
CLI_SRCS := $(filter-out $(CLI_MAIN_SRCS),$(sort $(shell find cli -name '*.cpp')))
CLI_OBJS := $(CLI_SRCS:cli/%.cpp=$(BUILD)/cli/%.o) $(BUILD)/cli/migrations_data.o
CLI_LIB := $(BUILD)/libtrace_cli.a
CLI_LIBS := -ltomlplusplus -lesmtp -lcurl -lcpp-httplib -lcrypt -lpq -lssl -lcrypto
SQL_FILES := $(sort $(wildcard sql/*.sql))

SHIM_SRCS := $(wildcard ngx_module/*.c ngx_module/*.h common/*.h) config
MODULE := $(BUILD)/ngx_http_trace_module.so
TRACE_CTL := $(BUILD)/trace-ctl

# In folders by the part they test: t/unit/core, t/unit/cli, t/unit/common.
UNIT_SRCS := $(sort $(shell find t/unit -name '*.cpp'))
UNIT_OBJS := $(UNIT_SRCS:t/unit/%.cpp=$(BUILD)/unit/%.o)
UNIT_TESTS := $(BUILD)/unit-tests

# --- sanitizers: make test SANITIZE=address,undefined ----------------------------
# The core, the C shim (through nginx's configure) and trace-ctl are built with
# the sanitizers. /usr/sbin/nginx is not, so the harness preloads their runtimes
# into it (TRACE_NGINX_PRELOAD) and fails a test whose nginx wrote a report.
ifneq ($(SANITIZE),)
  comma := ,
  SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
  # GCC 12's flow analysis under the sanitizers reports false "may be used
  # uninitialized" in libstdc++'s own <regex> and <functional>.
  CXXFLAGS += $(SAN_FLAGS) -Wno-maybe-uninitialized
  LDFLAGS += $(SAN_FLAGS)
  NGX_CC_OPT += $(SAN_FLAGS)
  NGX_LD_OPT += $(SAN_FLAGS)
  SAN_RUNTIMES := $(patsubst address,asan,$(patsubst undefined,ubsan,$(subst $(comma), ,$(SANITIZE))))
  SAN_PRELOAD = $(foreach rt,$(SAN_RUNTIMES),$(shell gcc -print-file-name=lib$(rt).so))
  SAN_TEST_ENV = TRACE_SANITIZE=$(SANITIZE) TRACE_NGINX_PRELOAD="$(SAN_PRELOAD)"
endif

.PHONY: all deps deps-fuzz test unit integration run bench install install-module install-ctl \
  deb clean fuzz leakcheck test-fresh test-citus

# Quiet unless V=1.
ifeq ($(V),1)
  Q :=
  say := @true
else
  Q := @
  say := @printf '  %-6s %s\n'
endif

all: $(MODULE) $(TRACE_CTL)

deps:
	@scripts/deps.sh

# --- common/: the contract between the module and trace-ctl ---------------------

$(BUILD)/common/%.o: common/%.cpp | $(DEPS)
	@mkdir -p $(@D)
	$(say) CXX $<
	$(Q)$(CXX) $(CXXFLAGS) $(PQ_CFLAGS) -fvisibility=hidden $(COMMON_INC) -c $< -o $@

$(COMMON_LIB): $(COMMON_OBJS)
	$(say) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

# --- the C++ core: its own archive, real C++ flags, no nginx headers ----------

$(BUILD)/core/%.o: ngx_module/core/%.cpp | $(DEPS)
	@mkdir -p $(@D)
	$(say) CXX $<
	$(Q)$(CXX) $(CXXFLAGS) $(PQ_CFLAGS) -fvisibility=hidden -Ingx_module $(COMMON_INC) -c $< -o $@

$(CORE_LIB): $(CORE_OBJS) $(COMMON_OBJS)
	$(say) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

# --- the nginx module: nginx's build compiles the C shim and links the core ---

$(NGX_DIR)/.configured: config | $(DEPS)
	@rm -rf $(NGX_DIR) && mkdir -p $(BUILD) && cp -a $(NGX_DEV) $(NGX_DIR)
	@echo "configuring nginx for the module (once; log in $(NGX_DIR)/configure.log)"
	@cd $(NGX_DIR) && . ./conf_flags && \
	  TRACE_CORE_LIB=$(ABS_BUILD)/libtrace_core.a ./configure \
	    --with-cc-opt="$(NGX_CC_OPT)" --with-ld-opt="$(NGX_LD_OPT)" \
	    "$${NGX_CONF_FLAGS[@]}" --add-dynamic-module=$(CURDIR) --builddir=objs \
	    > configure.log 2>&1 || { cat configure.log; exit 1; }
	@touch $@

# nginx's Makefile does not know that the core archive is an input of the link,
# so the .so is removed first to force the link whenever anything changed.
$(MODULE): $(NGX_DIR)/.configured $(CORE_LIB) $(SHIM_SRCS)
	@rm -f $(NGX_DIR)/objs/ngx_http_trace_module.so
	$(say) NGINX "compile the C shim and link the module"
	@$(MAKE) --no-print-directory -C $(NGX_DIR) -f objs/Makefile modules \
	  > $(NGX_DIR)/make.log 2>&1 || { cat $(NGX_DIR)/make.log; exit 1; }
	$(say) MODULE $@
	$(Q)cp $(NGX_DIR)/objs/ngx_http_trace_module.so $@

# --- trace-ctl -----------------------------------------------------------------

%/gen/migrations_data.cpp: $(SQL_FILES) scripts/embed-sql.sh
	@mkdir -p $(@D)
	$(say) GEN $@
	$(Q)scripts/embed-sql.sh $@ $(SQL_FILES)

$(BUILD)/cli/migrations_data.o: $(BUILD)/gen/migrations_data.cpp | $(DEPS)
	@mkdir -p $(@D)
	$(say) CXX $<
	$(Q)$(CXX) $(CXXFLAGS) -Icli -c $< -o $@

$(BUILD)/cli/%.o: cli/%.cpp | $(DEPS)
	@mkdir -p $(@D)
	$(say) CXX $<
	$(Q)$(CXX) $(CXXFLAGS) $(TOML_CFLAGS) $(PQ_CFLAGS) $(HTTPLIB_CFLAGS) -Icli $(COMMON_INC) -c $< -o $@

$(CLI_LIB): $(CLI_OBJS)
	$(say) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

# Rewritten only when the list of files changes.
$(BUILD)/cli/command_line.cpp: FORCE
	@mkdir -p $(@D)
	@{ echo '// Generated by the Makefile: trace-ctl'"'"'s command line, one translation unit.'; \
	   printf '#include "%s"\n' $(CLI_MAIN_SRCS:cli/%=%); } > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

$(CLI_MAIN_OBJ): $(BUILD)/cli/command_line.cpp | $(DEPS)
	$(say) CXX "cli/main.cpp and every cli/*/*_command.cpp, as one unit"
	$(Q)$(CXX) $(CXXFLAGS) $(TOML_CFLAGS) $(PQ_CFLAGS) -Icli $(COMMON_INC) -c $< -o $@

FORCE:

# trace-ctl knows nothing of the module's core: only common/.
$(TRACE_CTL): $(CLI_MAIN_OBJ) $(CLI_LIB) $(COMMON_LIB)
	$(say) LINK $@
	$(Q)$(CXX) $(LDFLAGS) -o $@ $^ $(CLI_LIBS) $(COMMON_LIBS) -Wl,-z,relro -Wl,-z,now

# --- tests ----------------------------------------------------------------------

$(BUILD)/unit/%.o: t/unit/%.cpp | $(DEPS)
	@mkdir -p $(@D)
	$(say) CXX $<
	$(Q)$(CXX) $(CXXFLAGS) $(TOML_CFLAGS) $(PQ_CFLAGS) -Icli -Ingx_module -Ingx_module/core \
	  $(COMMON_INC) -c $< -o $@

$(UNIT_TESTS): $(UNIT_OBJS) $(CLI_LIB) $(CORE_LIB)
	$(say) LINK $@
	$(Q)$(CXX) $(LDFLAGS) -o $@ $^ -lgtest -lgtest_main $(CLI_LIBS) $(CORE_LIBS)

test: all $(UNIT_TESTS)
	@$(SAN_TEST_ENV) scripts/run-tests.pl $(BUILD)

unit: $(UNIT_TESTS)
	$(UNIT_TESTS)

integration: all
	prove -I t/lib t/*.t

# --- fuzzing: make fuzz [FUZZ_SECONDS=10] [FUZZ_TARGETS="copy_text ..."] ----------
# One libFuzzer target per t/fuzz/NAME.cpp, its seed corpus in t/fuzz/NAME/.
# clang, AddressSanitizer and UndefinedBehaviorSanitizer, in a tree of its own
# (build-fuzz/). A crash fails the run and leaves its input in
# build-fuzz/artifacts/NAME/; new interesting inputs are merged into t/fuzz/NAME/.
# trace-ctl's configuration is fuzzed with Debian's toml++ library, as trace-ctl
# runs it: compiled in with the sanitizers, toml++ 3.3.0 stops at two known
# upstream bugs on malformed non-ASCII text and table headers (marzer/tomlplusplus
# issue 295 and PR 301; README, "Fuzzing"), and nothing behind them is reached.
FUZZ_BUILD := build-fuzz
FUZZ_SECONDS ?= 10
FUZZ_CXX := clang++
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CXXFLAGS := -std=c++17 -O1 -g -fPIC $(WARNINGS) $(FUZZ_SAN) -MMD -MP
FUZZ_TARGETS ?= $(sort $(basename $(notdir $(wildcard t/fuzz/*.cpp))))
FUZZ_CORE_OBJS := $(CORE_SRCS:ngx_module/core/%.cpp=$(FUZZ_BUILD)/core/%.o) \
  $(COMMON_SRCS:common/%.cpp=$(FUZZ_BUILD)/common/%.o)
FUZZ_CLI_OBJS := $(CLI_SRCS:cli/%.cpp=$(FUZZ_BUILD)/cli/%.o) $(FUZZ_BUILD)/cli/migrations_data.o
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz-%)

deps-fuzz:
	@scripts/deps.sh fuzz

$(FUZZ_BUILD)/core/%.o: ngx_module/core/%.cpp | deps-fuzz
	@mkdir -p $(@D)
	$(say) FUZZCC $<
	$(Q)$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link $(PQ_CFLAGS) -Ingx_module \
	  $(COMMON_INC) -c $< -o $@

$(FUZZ_BUILD)/common/%.o: common/%.cpp | deps-fuzz
	@mkdir -p $(@D)
	$(say) FUZZCC $<
	$(Q)$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link $(PQ_CFLAGS) $(COMMON_INC) -c $< -o $@

$(FUZZ_BUILD)/cli/migrations_data.o: $(FUZZ_BUILD)/gen/migrations_data.cpp | deps-fuzz
	@mkdir -p $(@D)
	$(say) FUZZCC $<
	$(Q)$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -Icli -c $< -o $@

$(FUZZ_BUILD)/cli/%.o: cli/%.cpp | deps-fuzz
	@mkdir -p $(@D)
	$(say) FUZZCC $<
	$(Q)$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link $(TOML_CFLAGS) $(PQ_CFLAGS) \
	  $(HTTPLIB_CFLAGS) -Icli $(COMMON_INC) -c $< -o $@

$(FUZZ_BUILD)/libtrace_core.a: $(FUZZ_CORE_OBJS)
$(FUZZ_BUILD)/libtrace_cli.a: $(FUZZ_CLI_OBJS)
$(FUZZ_BUILD)/libtrace_core.a $(FUZZ_BUILD)/libtrace_cli.a:
	$(say) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz-%: t/fuzz/%.cpp t/fuzz/fuzz_support.hpp $(FUZZ_BUILD)/libtrace_cli.a \
                      $(FUZZ_BUILD)/libtrace_core.a | deps-fuzz
	$(say) FUZZ $@
	$(Q)$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer $(PQ_CFLAGS) -Icli -Ingx_module \
	  -Ingx_module/core $(COMMON_INC) -o $@ $< $(FUZZ_BUILD)/libtrace_cli.a $(FUZZ_BUILD)/libtrace_core.a \
	  $(CLI_LIBS) $(CORE_LIBS)

fuzz: $(FUZZ_BINS)
	@scripts/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# --- leak check: make leakcheck -----------------------------------------------------
# 20 reloads with traffic between them, PostgreSQL up, the spool on: the normal
# build's master and worker memory must not grow per reload (figures printed),
# and LeakSanitizer, in the sanitizer build, must find no leak with a frame in
# the module. About two minutes; not part of make test.
LEAK_PRELOAD = $(shell gcc -print-file-name=libasan.so) $(shell gcc -print-file-name=libubsan.so)

leakcheck: all
	@$(MAKE) --no-print-directory SANITIZE=address,undefined all
	@scripts/leakcheck.pl rss $(BUILD)
	@TRACE_NGINX_PRELOAD="$(LEAK_PRELOAD)" scripts/leakcheck.pl lsan build-asan

# --- the demo -------------------------------------------------------------------

run: all
	@scripts/run-demo.sh $(BUILD)

# --- the benchmark (not part of `make test`: it measures, it asserts nothing) ----

bench: all
	@scripts/deps.sh bench
	@bench/run.pl $(BUILD)

# --- the clean-root check: the README's commands on a pristine Debian 12 -------
# (scripts/test-fresh.sh says what it does; .ci/run runs it after make test).
# Needs root; not part of make test.

test-fresh:
	@scripts/test-fresh.sh

# --- the Citus tests: make test-citus -------------------------------------------
# t/citus/*.t on a coordinator and two workers of their own; Citus built from
# its source once (cached in /var/cache/nginx-trace) and installed into this
# machine's PostgreSQL when missing (scripts/test-citus.sh). Not part of make
# test, whose tests do not need Citus; .ci/run runs it after make test.

test-citus: all
	@scripts/test-citus.sh $(BUILD)

# --- installation (DESTDIR-aware; Debian's layout for nginx modules) ------------
# Two halves, one per Debian package: debian/rules installs trace-ctl's half
# with `make install-ctl`, and dh_missing fails the package build on a file
# here that no debian/*.install ships; t/install.t compares both lists.

install: install-module install-ctl

install-module: $(MODULE)
	install -D -m 0644 $(MODULE) $(DESTDIR)/usr/lib/nginx/modules/ngx_http_trace_module.so
	install -D -m 0644 packaging/mod-http-trace.conf \
	  $(DESTDIR)/usr/share/nginx/modules-available/mod-http-trace.conf
	install -d $(DESTDIR)/etc/nginx/modules-enabled
	ln -sf /usr/share/nginx/modules-available/mod-http-trace.conf \
	  $(DESTDIR)/etc/nginx/modules-enabled/50-mod-http-trace.conf

install-ctl: $(TRACE_CTL)
	install -D -m 0755 $(TRACE_CTL) $(DESTDIR)$(PREFIX)/bin/trace-ctl
	install -D -m 0644 packaging/trace-ctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/trace-ctl.1
	@if [ -e $(DESTDIR)/etc/nginx/trace.toml ]; then \
	  echo "keeping existing $(DESTDIR)/etc/nginx/trace.toml"; \
	else \
	  install -D -m 0640 packaging/trace.toml $(DESTDIR)/etc/nginx/trace.toml; \
	fi
	@if [ -e $(DESTDIR)/etc/cron.d/nginx-trace ]; then \
	  echo "keeping existing $(DESTDIR)/etc/cron.d/nginx-trace"; \
	else \
	  sed 's|@BINDIR@|$(PREFIX)/bin|g' packaging/cron > $(BUILD)/cron && \
	  install -D -m 0644 $(BUILD)/cron $(DESTDIR)/etc/cron.d/nginx-trace; \
	fi
	install -d -m 0750 $(DESTDIR)/var/lib/nginx-trace

# --- Debian packages: make deb ----------------------------------------------------
# libnginx-mod-http-trace and trace-ctl, built by dpkg-buildpackage (debian/)
# from a copy of the checkout under build/deb-build/, checked by lintian, and
# collected in build/deb/.

deb:
	@scripts/deps.sh deb
	@scripts/build-deb.sh $(CURDIR)/build/deb

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)

-include $(COMMON_OBJS:.o=.d) $(CORE_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(CLI_MAIN_OBJ:.o=.d) $(UNIT_OBJS:.o=.d)
-include $(FUZZ_CORE_OBJS:.o=.d) $(FUZZ_CLI_OBJS:.o=.d) $(FUZZ_BINS:=.d)
