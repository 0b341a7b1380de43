# Verilator build of the accelerator, included by the top-level Makefile.
#
#   make hw-lint     verilator --lint-only -Wall, every rtl/ module on its own, with
#                    and without SYNTHESIS
#   make hw-lib      the model + C shim archive ($(HW_LIB))
#   make hw-bench    simulated cycles/s and per-layer utilization
#   make hw-bench-lane  one lane alone (what a row costs the simulator)
#   HW_TRACE=1       build with FST tracing (ts_hw_opts.trace_fst at runtime)
#   HW_COVERAGE=1    build with Verilator line + toggle coverage (make rtl-coverage,
#                    tests/coverage.mk): each handle writes its points on destroy
#   HW_ASSERT=0      build without the RTL's assertions (speed comparison only)
#   HW_VEXTRA=...    extra Verilator flags, HW_OPT_FAST=... the per-cycle C++'s
#                    optimisation (one word): for measuring simulator options
#
# Defines for the top-level Makefile: HW_LIB, HW_LDLIBS, HW_TEST_BINS.
# Layout: build/hw/tessera_hw_params.svh (generated from models/int/ts_hw_params.h,
# included by rtl/tessera_pkg.sv),
# build/hw/obj (Verilated model), build/hw/rt (Verilator runtime, built once,
# outside the model folder so an RTL change does not rebuild it).

VERILATOR   ?= verilator
VL_ROOT     ?= /usr/share/verilator/include
HW_TRACE    ?= 0
HW_ASSERT   ?= 1
HW_COVERAGE ?= 0
HW_DIR      := $(BUILD)/hw$(if $(filter 1,$(HW_TRACE)),-trace)$(if $(filter 1,$(HW_COVERAGE)),-cov)
HW_OBJ      := $(HW_DIR)/obj
HW_RT       := $(HW_DIR)/rt
HW_PKG      := $(BUILD)/hw/tessera_hw_params.svh
HW_INC      := -I$(dir $(HW_PKG))
HW_GEN      := $(BUILD)/hw/gen_params
HW_PREFIX   := Vtessera_top
HW_RTL      := rtl/tessera_pkg.sv $(filter-out rtl/tessera_pkg.sv,$(wildcard rtl/*.sv))
HW_MODULES  := $(basename $(notdir $(filter-out rtl/tessera_pkg.sv,$(wildcard rtl/*.sv))))

HW_LIB      := $(HW_DIR)/libtessera_hw.a
# The shim calls the golden model's packing and checks (models/int/ts_int.c), so
# libtessera.a is listed again after $(HW_LIB) for single-pass linkers.
HW_LDLIBS   := $(BUILD)/libtessera.a -lstdc++
HW_TEST_BINS := $(if $(wildcard tests/rtl/*.cc),$(HW_DIR)/tests/rtl_tests)

# Verilator flags, one a line:
HW_VFLAGS := --cc
HW_VFLAGS += -Wall                        # lint as strictly as hw-lint
ifneq ($(HW_ASSERT),0)
HW_VFLAGS += --assert                     # named assertions run in simulation
endif
HW_VFLAGS += -O3                          # Verilator's own optimisations
HW_VFLAGS += --x-assign fast --x-initial fast
HW_VFLAGS += --output-split-cfuncs 5000   # smaller eval functions: gcc keeps more in
                                          # registers, -5% instructions (docs/hw.md)
HW_VFLAGS += --prefix $(HW_PREFIX) --top-module tessera_top
HW_VFLAGS += -Mdir $(HW_OBJ)
HW_VFLAGS += -CFLAGS -march=$(MARCH)        # ~1.5x more (docs/hw.md)
HW_VFLAGS += -y rtl $(HW_INC)             # rtl/ modules, the generated parameters
ifeq ($(HW_TRACE),1)
HW_VFLAGS += --trace-fst                  # waveforms only when asked for
endif
ifeq ($(HW_COVERAGE),1)
HW_VFLAGS += --coverage-line --coverage-toggle  # rtl-coverage only: slows the model
endif
HW_VEXTRA   ?=
HW_OPT_FAST ?= -O3
HW_VFLAGS += $(HW_VEXTRA)

# C++ for the shim and the runtime: Verilator's headers as system headers so
# their warnings do not trip -Wextra -Werror.
HW_CXXFLAGS := -std=gnu++17 -O2 -march=$(MARCH) -g -Wall -Wextra -Werror \
  -isystem $(VL_ROOT) -isystem $(VL_ROOT)/vltstd -I$(HW_OBJ) $(addprefix -I,$(MODEL_DIRS)) -Isim \
  -DVM_TRACE=$(HW_TRACE) -DVM_TRACE_FST=$(HW_TRACE) -DVM_COVERAGE=$(HW_COVERAGE)
HW_RT_SRCS := verilated verilated_threads $(if $(filter 1,$(HW_TRACE)),verilated_fst_c) \
  $(if $(filter 1,$(HW_COVERAGE)),verilated_cov)
HW_RT_OBJS := $(patsubst %,$(HW_RT)/%.o,$(HW_RT_SRCS))

.PHONY: hw-lint hw-lib hw-bench hw-bench-lane hw-pkg

hw-pkg: $(HW_PKG)
hw-lib: $(HW_LIB)

$(HW_GEN): sim/gen_params.c models/int/ts_hw_params.h models/int/ts_int.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(addprefix -I,$(MODEL_DIRS)) $< -o $@

$(HW_PKG): $(HW_GEN)
	$(HW_GEN) > $@.tmp && mv $@.tmp $@

# Each module twice: as simulated, and as synthesized (SYNTHESIS defined:
# no assertions, the PE at its real widths; rtl/synth.mk).
hw-lint: $(HW_PKG)
	@set -e; for m in $(HW_MODULES); do \
	  for d in "" -DSYNTHESIS; do \
	    echo "lint $$m $$d"; \
	    $(VERILATOR) --lint-only -Wall -y rtl $(HW_INC) $$d rtl/lint.vlt rtl/tessera_pkg.sv \
	      rtl/$$m.sv --top-module $$m; \
	  done; \
	done; echo "hw-lint: $(words $(HW_MODULES)) modules clean, simulated and synthesized"

# The model: verilate, then build only its archive with the generated
# makefile; OPT_FAST=-O3 compiles the per-cycle code at -O3, not -Os (3.7x
# at -O2; -O3 another ~5% since the PE datapath is native 64-bit).
$(HW_OBJ)/$(HW_PREFIX)__ALL.a: $(HW_PKG) $(HW_RTL) rtl/lint.vlt sim/tessera_sim.vlt sim/sim.mk
	@rm -rf $(HW_OBJ) && mkdir -p $(HW_OBJ)
	$(VERILATOR) $(HW_VFLAGS) rtl/lint.vlt sim/tessera_sim.vlt $(HW_RTL)
	$(MAKE) -C $(HW_OBJ) -f $(HW_PREFIX).mk $(HW_PREFIX)__ALL.a OPT_FAST=$(HW_OPT_FAST) OPT_SLOW=-O1

$(HW_RT)/%.o: $(VL_ROOT)/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) -std=gnu++17 -O2 -march=$(MARCH) -w -isystem $(VL_ROOT) -isystem $(VL_ROOT)/vltstd \
	  -DVM_TRACE=$(HW_TRACE) -DVM_TRACE_FST=$(HW_TRACE) -DVM_COVERAGE=$(HW_COVERAGE) \
	  -DVL_THREADED=1 -c $< -o $@

$(HW_DIR)/ts_hw_shim.o: sim/ts_hw_shim.cc sim/ts_hw.h sim/ts_hw_plan.h models/int/ts_hw_params.h \
    models/int/ts_int.h models/int/ts_sparse.h models/base/ts_status.h $(HW_OBJ)/$(HW_PREFIX)__ALL.a
	$(CXX) $(HW_CXXFLAGS) -c $< -o $@

# The planner (runs, jobs): plain C++, no Verilator.
$(HW_DIR)/ts_hw_plan.o: sim/ts_hw_plan.cc sim/ts_hw_plan.h models/int/ts_hw_params.h \
    models/base/ts_status.h
	@mkdir -p $(dir $@)
	$(CXX) $(HW_CXXFLAGS) -c $< -o $@

# One archive: shim + model objects + runtime (the model's own archive is
# unpacked so that a single -l style path links everything).
$(HW_LIB): $(HW_DIR)/ts_hw_shim.o $(HW_DIR)/ts_hw_plan.o $(HW_OBJ)/$(HW_PREFIX)__ALL.a $(HW_RT_OBJS)
	@rm -rf $@ $(HW_DIR)/ar && mkdir -p $(HW_DIR)/ar
	cd $(HW_DIR)/ar && ar x $(abspath $(HW_OBJ)/$(HW_PREFIX)__ALL.a)
	ar rcs $@ $(HW_DIR)/ts_hw_shim.o $(HW_DIR)/ts_hw_plan.o $(HW_DIR)/ar/*.o $(HW_RT_OBJS)

# The tessera binary links the archive; its rule's prerequisites are read
# before this file is included, so add the dependency here.
$(BUILD)/tessera: $(HW_LIB)

# RTL tests: optimised, not sanitized (Verilated code is slow under ASan;
# the golden model's own tests run under ASan in tests/models/).
# (rtl/synth.mk adds the synthesis test's inputs and HW_TEST_DEFS.)
$(HW_DIR)/tests/rtl_tests: $(wildcard tests/rtl/*.cc tests/rtl/*.h) $(BUILD)/libtessera.a $(HW_LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) -Itests -std=gnu++17 $(WARN) -O2 -march=$(MARCH) -fopenmp -g $(HW_TEST_DEFS) \
	  $(filter %.cc,$^) $(BUILD)/libtessera.a $(HW_LIB) $(HW_LDLIBS) $(GTEST_LIBS) \
	  $(LDLIBS) -o $@

$(HW_DIR)/bench_hw: sw/bench/bench_hw.c $(BUILD)/libtessera.a $(HW_LIB)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(BUILD)/libtessera.a $(HW_LIB) $(HW_LDLIBS) $(LDLIBS) -o $@

hw-bench: $(HW_DIR)/bench_hw
	OMP_WAIT_POLICY=PASSIVE $(HW_DIR)/bench_hw

# One lane alone (sim/bench_lane.cc, fed by sim/tessera_lane_bench.sv):
# what a row costs the simulator. Built like the array's model, linked with
# the same runtime objects ($(HW_RT_OBJS), built once).
HW_LANE_DIR := $(BUILD)/hw/lane
HW_LANE_LIB := $(HW_LANE_DIR)/Vtessera_lane_bench__ALL.a
$(HW_LANE_LIB): sim/tessera_lane_bench.sv $(HW_PKG) $(HW_RTL) rtl/lint.vlt sim/sim.mk
	@rm -rf $(HW_LANE_DIR) && mkdir -p $(HW_LANE_DIR)
	$(VERILATOR) --cc -Wall --assert -O3 --x-assign fast --x-initial fast \
	  --top-module tessera_lane_bench -Mdir $(HW_LANE_DIR) -y rtl $(HW_INC) -CFLAGS -march=$(MARCH) \
	  rtl/lint.vlt rtl/tessera_pkg.sv rtl/tessera_lane.sv sim/tessera_lane_bench.sv
	$(MAKE) -C $(HW_LANE_DIR) -f Vtessera_lane_bench.mk Vtessera_lane_bench__ALL.a OPT_FAST=-O3 OPT_SLOW=-O1

$(HW_LANE_DIR)/bench_lane: sim/bench_lane.cc $(HW_LANE_LIB) $(HW_RT_OBJS)
	$(CXX) $(HW_CXXFLAGS) -I$(HW_LANE_DIR) $< $(HW_LANE_LIB) $(HW_RT_OBJS) -lpthread -o $@

hw-bench-lane: $(HW_LANE_DIR)/bench_lane
	$(HW_LANE_DIR)/bench_lane

# The SystemC/TLM-2.0 system model around this array (sim/sys/).
-include sim/sys/sys.mk
