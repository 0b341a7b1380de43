# The SystemC/TLM-2.0 system model (sim/sys/, docs/system.md), included at
# the end of sim/sim.mk: the Verilated accelerator with DRAM, DMA and
# double-buffered staging, built on $(HW_LIB) (model, runtime, planner).
#
#   make sys-lib     the system model's archive ($(SYS_LIB))
#   make sys-bench   simulated cycles/s of the system model and the bare array
#
# Adds to the definitions of sim/sim.mk: HW_LDLIBS for the tessera
# binaries only (the system model and libsystemc), HW_TEST_BINS (tests/sim/).

SYS_DIR   := $(HW_DIR)/sys
SYS_LIB   := $(SYS_DIR)/libtessera_sys.a
SYS_SRCS  := $(filter-out sim/sys/bench_sys.cc,$(wildcard sim/sys/*.cc))
SYS_OBJS  := $(patsubst sim/sys/%.cc,$(SYS_DIR)/%.o,$(SYS_SRCS))
SYS_HDRS  := $(wildcard sim/sys/*.h) sim/ts_hw.h sim/ts_hw_plan.h models/int/ts_hw_params.h \
  models/int/ts_int.h models/int/ts_sparse.h models/base/ts_status.h
SYS_LIBS  := -lsystemc
CPPFLAGS  += -Isim/sys                 # sw/cmd_sysrun.c includes ts_sys.h
# The C objects that include ts_sys.h (the top-level HDRS lists models/ and
# sw/ headers only): a stale one would see another ts_sys_opts layout.
$(filter $(BUILD)/opt/sw/% $(BUILD)/san/sw/%,$(OPT_OBJS) $(SAN_OBJS)): sim/sys/ts_sys.h
SYS_TEST_BIN := $(if $(wildcard tests/sim/*.cc),$(SYS_DIR)/tests/sim_tests)

.PHONY: sys-lib sys-bench
sys-lib: $(SYS_LIB)

# SystemC wants g++'s default gnu++17 (docs: ../shared/TOOLCHAIN.md).
$(SYS_DIR)/%.o: sim/sys/%.cc $(SYS_HDRS) $(HW_OBJ)/$(HW_PREFIX)__ALL.a
	@mkdir -p $(dir $@)
	$(CXX) $(HW_CXXFLAGS) -Isim/sys -c $< -o $@

$(SYS_LIB): $(SYS_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The tessera binaries link the system model before the array it wraps,
# then what both need (only them: libsystemc brings its own main(), which
# a test binary must not pick up instead of gtest_main's).
SYS_LDLIBS := $(SYS_LIB) $(HW_LIB) $(HW_LDLIBS) $(SYS_LIBS)
$(BUILD)/tessera $(BUILD)/san/tessera: HW_LDLIBS := $(SYS_LDLIBS)
$(BUILD)/tessera $(BUILD)/san/tessera: $(SYS_LIB)
HW_TEST_BINS += $(SYS_TEST_BIN)

# gtest_main before libsystemc: both define main(), the first one linked wins.
$(SYS_DIR)/tests/sim_tests: $(wildcard tests/sim/*.cc tests/sim/*.h tests/rtl/hw_layer.h) \
    $(BUILD)/libtessera.a $(HW_LIB) $(SYS_LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) -Itests -Isim/sys -std=gnu++17 $(WARN) -O2 -march=$(MARCH) -fopenmp -g \
	  $(filter %.cc,$^) $(BUILD)/libtessera.a $(GTEST_LIBS) $(SYS_LDLIBS) $(LDLIBS) -o $@

# make sys-bench (also part of make bench): the system model's simulated
# cycles per CPU second next to the bare array's (sim/sys/bench_sys.cc).
$(SYS_DIR)/bench_sys: sim/sys/bench_sys.cc $(SYS_HDRS) $(BUILD)/libtessera.a $(HW_LIB) $(SYS_LIB)
	$(CXX) $(HW_CXXFLAGS) -Isim/sys $< $(BUILD)/libtessera.a $(SYS_LDLIBS) $(LDLIBS) -fopenmp -o $@

sys-bench: $(SYS_DIR)/bench_sys
	SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 $(SYS_DIR)/bench_sys 20

bench: sys-bench
