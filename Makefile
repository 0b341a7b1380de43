# Tessera top-level build.
#
#   make            build the library, the `tessera` tool and the test binaries
#   make run        train + analyse on the default data, write out/
#   make test       every test (models/sw under ASan+UBSan, plus RTL equivalence)
#   make bench      benchmarks, side by side with PyTorch where one exists
#   make deps       install the Debian packages Tessera needs
#   make lint       verilator --lint-only -Wall on every RTL module
#   make synth      Yosys synthesis of the full array, gate counts in build/synth/
#
# Sources are found by wildcard: a new models/<part>/*.c joins the library, a
# new tests/<dir>/**.cc joins that directory's test binary.
#
# The Debian packages are checked while this file is read (and installed when
# run as root), before any rule looks for a file they provide: make caches what
# it finds, so a recipe that installed them would come too late.

CC       ?= gcc
CXX      ?= g++
BUILD    ?= build
PYTHON   ?= /usr/bin/python3

# Debian packages (.ci/deps.sh). Checked now, while the Makefile is read, for
# every goal but these; missing ones are installed when root, else make stops
# with the apt-get command to run.
DEPS := verilator libsystemc-dev libgtest-dev libblis-openmp-dev libxsmm-dev libcjson-dev zlib1g-dev \
        gnuplot-nox dataset-fashion-mnist python3-torch python3-numpy yosys
NO_DEPS_GOALS := deps deps-check deps-list clean help
ifneq ($(filter-out $(NO_DEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
  ifneq ($(shell .ci/deps.sh check $(DEPS) >&2 && echo ok),ok)
    $(error missing Debian packages (see the message above))
  endif
endif

# Where datasets are: make run DATA=/path/to/cifar-100-binary DATASET=cifar100.
# Default: the CIFAR-100 copy beside this checkout when present, otherwise the
# Fashion-MNIST that Debian's dataset-fashion-mnist installs.
CIFAR100_GUESS := $(wildcard ../shared/data/cifar-100-binary/train.bin)
ifneq ($(CIFAR100_GUESS),)
  DATASET ?= cifar100
  DATA    ?= $(dir $(CIFAR100_GUESS))
else
  DATASET ?= fashion-mnist
  DATA    ?= /usr/share/datasets/fashion-mnist
endif
EPOCHS  ?= 30
OUT     ?= out

# BLAS: Debian's BLIS (detects this CPU's AVX-512 kernels by itself; see
# docs/performance.md for why not OpenBLAS's default build here).
# The OpenMP build of BLIS is used single-threaded inside our own threads.
BLIS_DIR    ?= /usr/lib/x86_64-linux-gnu/blis-openmp
BLAS_CFLAGS ?= -isystem /usr/include/x86_64-linux-gnu/blis-openmp
BLAS_LIBS   ?= -L$(BLIS_DIR) -Wl,-rpath,$(BLIS_DIR) -lblis

WARN     := -Wall -Wextra -Werror
# models/ is one folder per concern (base, data, fp32, study, int); headers are
# included by name, so every folder is on the include path.
MODEL_DIRS := $(patsubst %/,%,$(sort $(dir $(wildcard models/*/*.h))))
CPPFLAGS := $(addprefix -I,$(MODEL_DIRS)) -Isw -Isim $(BLAS_CFLAGS)
# Target CPU; `make MARCH=x86-64-v3` gives binaries that valgrind can run
# (its 3.19 decodes no AVX-512) or that run on another machine.
MARCH    ?= native
CFLAGS_OPT := -O3 -march=$(MARCH) -fopenmp
# Sanitizer builds use -O1: ASan at -O3 compiles several times slower and the
# tests are small. (Flags later on the command line win.)
SAN      := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
CFLAGS   := -std=gnu11 $(WARN) $(CFLAGS_OPT) -g
CXXFLAGS := -std=gnu++17 $(WARN) $(CFLAGS_OPT) -g
# libxsmm JIT-compiles the conv GEMM tiles (models/fp32/ts_gemm.c); its BLAS
# fallback resolves to BLIS.
LDLIBS   := -lxsmm $(BLAS_LIBS) -lcjson -lz -lm -lpthread -ldl -lrt
GTEST_LIBS := $(shell pkg-config --libs gtest_main 2>/dev/null || echo -lgtest_main -lgtest)

LIB_SRCS := $(wildcard models/*/*.c)
SW_SRCS  := $(filter-out sw/main.c,$(wildcard sw/*.c))
HDRS     := $(wildcard models/*/*.h sw/*.h)

OPT_OBJS := $(patsubst %.c,$(BUILD)/opt/%.o,$(LIB_SRCS) $(SW_SRCS))
SAN_OBJS := $(patsubst %.c,$(BUILD)/san/%.o,$(LIB_SRCS) $(SW_SRCS))

TEST_DIRS := models sw
# (tests/models/fault/ is its own binary, linked against a copy of the
# archive with its allocator and file calls renamed: fault.mk)
test_srcs = $(filter-out tests/models/fault/%,$(wildcard tests/$(1)/*.cc tests/$(1)/*/*.cc))
TEST_BINS := $(foreach d,$(TEST_DIRS),$(if $(call test_srcs,$(d)),$(BUILD)/san/tests/$(d)_tests))

.PHONY: all run test bench deps deps-check deps-list clean lint help
all: $(BUILD)/tessera $(TEST_BINS)

help:
	@sed -n 's/^#   \(make \)/\1/p' Makefile sim/sim.mk rtl/synth.mk

$(BUILD)/opt/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/san/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c $< -o $@

$(BUILD)/libtessera.a: $(OPT_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/san/libtessera.a: $(SAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The accelerator: Verilator build, C shim, HW_LIB / HW_LDLIBS / HW_TEST_BINS.
-include sim/sim.mk
# Fuzz targets, their corpus replay in make test (tests/fuzz/fuzz.mk).
-include tests/fuzz/fuzz.mk
# Fault-injection tests (tests/models/fault/fault.mk).
-include tests/models/fault/fault.mk
# make coverage (tests/coverage.mk).
-include tests/coverage.mk
# Yosys synthesis of the same RTL: make synth, make synth-small.
-include rtl/synth.mk

$(BUILD)/tessera: sw/main.c $(BUILD)/libtessera.a $(HW_LIB)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(BUILD)/libtessera.a $(HW_LIB) $(HW_LDLIBS) $(LDLIBS) -o $@

# The same tool built with the sanitizers: the CLI tests run it (TESSERA_BIN).
$(BUILD)/san/tessera: sw/main.c $(BUILD)/san/libtessera.a $(HW_LIB)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $< $(BUILD)/san/libtessera.a $(HW_LIB) \
	  $(subst $(BUILD)/libtessera.a,$(BUILD)/san/libtessera.a,$(HW_LDLIBS)) $(LDLIBS) -o $@

# One GoogleTest binary per source folder, built with the sanitizers; each
# test file is its own object so that a change rebuilds only that file.
TEST_HDRS := $(wildcard tests/*.h tests/*/*.h tests/*/*/*.h)
$(BUILD)/san/tests/%.o: tests/%.cc $(HDRS) $(TEST_HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) -Itests $(CXXFLAGS) $(SAN) -c $< -o $@

define TEST_BIN_RULE
$(BUILD)/san/tests/$(1)_tests: $(patsubst tests/%.cc,$(BUILD)/san/tests/%.o,$(call test_srcs,$(1))) $(BUILD)/san/libtessera.a
	$$(CXX) $$(CXXFLAGS) $$(SAN) $$(filter %.o,$$^) $(BUILD)/san/libtessera.a \
	  $$(GTEST_LIBS) $$(LDLIBS) -o $$@
endef
$(foreach d,$(TEST_DIRS),$(eval $(call TEST_BIN_RULE,$(d))))

test: $(BUILD)/san/tessera $(TEST_BINS) $(HW_TEST_BINS)
	@TESSERA_BIN=$(BUILD)/san/tessera tests/run_tests.sh $(TEST_BINS) $(HW_TEST_BINS)

run: $(BUILD)/tessera
	$(BUILD)/tessera run --dataset $(DATASET) --data $(DATA) --epochs $(EPOCHS) --out $(OUT)

$(BUILD)/bench/%: sw/bench/%.c $(BUILD)/libtessera.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(BUILD)/libtessera.a $(LDLIBS) -o $@

bench: $(BUILD)/tessera $(BUILD)/bench/bench_cnn $(HW_DIR)/bench_hw $(HW_LANE_DIR)/bench_lane
	@sw/bench/run.sh $(BUILD) "$(DATA)" "$(DATASET)" "$(PYTHON)"

deps:
	@.ci/deps.sh install $(DEPS)

deps-check:
	@.ci/deps.sh check $(DEPS)

deps-list:
	@echo $(DEPS)

# Lint every RTL module on its own (verilator --lint-only -Wall, rtl/lint.vlt).
lint: hw-lint

clean:
	rm -rf $(BUILD)
