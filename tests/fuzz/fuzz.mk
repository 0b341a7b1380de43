# Fuzzing (tests/fuzz/), included from the top-level Makefile.
#
#   make fuzz          run every libFuzzer target for FUZZ_SECONDS (default 60)
#   make fuzz-corpus   regenerate the seed corpus in tests/fuzz/corpus/
#
# Each target is built with clang-14 and -fsanitize=fuzzer,address,undefined
# against the library sources compiled with clang too (build/fuzz/). New
# inputs go to build/fuzz/corpus/<target>/ (the committed seeds in
# tests/fuzz/corpus/<target>/ are only read), crashes to
# build/fuzz/crashes/<target>/: copy one into tests/fuzz/crashes/<target>/
# to keep it as a regression. `make test` replays both folders through the
# same entry points built with gcc + ASan/UBSan ($(BUILD)/san/tests/fuzz_tests).
# A long run, e.g. 10 M executions per target:
#   make fuzz FUZZ_ARGS=-runs=10000000 FUZZ_SECONDS=0

FUZZ_TARGETS := safetensors weights checkpoint cifar idx csv
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?=
FUZZ_CC      ?= clang-14
FUZZ_OUT     := $(BUILD)/fuzz
FUZZ_SRC     := tests/fuzz
# Library objects: instrumented for coverage feedback (fuzzer-no-link) and
# checked by ASan + UBSan; warnings stay on, -Werror stays with gcc's build.
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=gnu11 -Wall -Wextra -g -O1 -fopenmp $(FUZZ_SAN)
# Compute kernels written with GCC's vector builtins (__builtin_shuffle),
# which clang lacks: compiled by gcc, uninstrumented. No parser is among them.
FUZZ_GCC_SRCS := models/fp32/ts_layers.c
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(filter-out $(FUZZ_GCC_SRCS),$(LIB_SRCS) $(SW_SRCS))) \
                 $(patsubst %.c,$(FUZZ_OUT)/gcc/%.o,$(FUZZ_GCC_SRCS))

$(FUZZ_OUT)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/gcc/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(FUZZ_OUT)/libtessera_fuzz.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_OUT)/fuzz_%: $(FUZZ_SRC)/fuzz_%.c $(FUZZ_SRC)/fuzz_util.h $(FUZZ_SRC)/fuzz_tiny.h $(FUZZ_OUT)/libtessera_fuzz.a
	$(FUZZ_CC) $(CPPFLAGS) -I$(FUZZ_SRC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< \
	  $(FUZZ_OUT)/libtessera_fuzz.a $(LDLIBS) -o $@

# Runs each target in turn; tests/fuzz/run_fuzz.sh prints executions,
# exec/s and findings per target and fails if any target crashed.
fuzz: $(addprefix $(FUZZ_OUT)/fuzz_,$(FUZZ_TARGETS))
	@$(FUZZ_SRC)/run_fuzz.sh $(FUZZ_OUT) $(FUZZ_SRC) "$(FUZZ_SECONDS)" "$(FUZZ_ARGS)" $(FUZZ_TARGETS)

$(FUZZ_OUT)/make_corpus: $(FUZZ_SRC)/make_corpus.c $(FUZZ_SRC)/fuzz_tiny.h $(BUILD)/libtessera.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -I$(FUZZ_SRC) $(CFLAGS) $< $(BUILD)/libtessera.a $(LDLIBS) -o $@

fuzz-corpus: $(FUZZ_OUT)/make_corpus
	$< $(FUZZ_SRC)/corpus

# The replay test: the targets' entry points renamed, one test per input.
$(BUILD)/san/tests/fuzz/fuzz_%.o: $(FUZZ_SRC)/fuzz_%.c $(FUZZ_SRC)/fuzz_util.h $(FUZZ_SRC)/fuzz_tiny.h $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -I$(FUZZ_SRC) $(CFLAGS) $(SAN) -DLLVMFuzzerTestOneInput=fuzz_$*_one -c $< -o $@

$(BUILD)/san/tests/fuzz/test_replay.o: $(FUZZ_SRC)/test_replay.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(SAN) -DTS_FUZZ_DIR='"$(CURDIR)/$(FUZZ_SRC)"' -c $< -o $@

$(BUILD)/san/tests/fuzz_tests: $(BUILD)/san/tests/fuzz/test_replay.o \
    $(patsubst %,$(BUILD)/san/tests/fuzz/fuzz_%.o,$(FUZZ_TARGETS)) $(BUILD)/san/libtessera.a
	$(CXX) $(CXXFLAGS) $(SAN) $(filter %.o,$^) $(BUILD)/san/libtessera.a $(GTEST_LIBS) $(LDLIBS) -o $@

TEST_BINS += $(BUILD)/san/tests/fuzz_tests

.PHONY: fuzz fuzz-corpus
