# Line and branch coverage of models/ and sw/ over `make test` (gcov + lcov),
# included from the top-level Makefile.
#
#   make coverage      build everything again in $(BUILD)/cov with --coverage,
#                      run make test there, write $(BUILD)/cov/coverage.info,
#                      the HTML report in $(BUILD)/cov/html/ and a summary
# (a failing test does not stop the report; the run's own summary line says)
#
# -O1 rather than -O0: the sanitizer tests at -O0 take about twice as long;
# gcc's line mapping at -O1 is close to exact for this code.
#
# The tests run with AddressSanitizer (and its leak checker) but without
# UBSan here: UBSan's checks are compiled in as branches, which gcov counts
# (13% of models/' branches), and their failing side is never taken by a
# passing run. `make test` keeps UBSan. COV_UBSAN=1 measures with it.

COV_DIR   := $(BUILD)/cov
COV_FLAGS := -O1 --coverage
cov_comma := ,
COV_SAN   := $(if $(COV_UBSAN),-fsanitize=address$(cov_comma)undefined -fno-sanitize-recover=all,-fsanitize=address)
LCOV_RC   := --rc lcov_branch_coverage=1

coverage:
	@rm -f $$(find $(COV_DIR) -name '*.gcda' 2>/dev/null)
	$(MAKE) BUILD=$(COV_DIR) CFLAGS_OPT="$(COV_FLAGS) -march=$(MARCH) -fopenmp" \
	  SAN="$(COV_FLAGS) $(COV_SAN) -fno-omit-frame-pointer" \
	  LDLIBS="$(LDLIBS) --coverage" test || true
	lcov $(LCOV_RC) --quiet --capture --directory $(COV_DIR) --output-file $(COV_DIR)/all.info
	lcov $(LCOV_RC) --quiet --extract $(COV_DIR)/all.info '$(CURDIR)/models/*' '$(CURDIR)/sw/*' \
	  --output-file $(COV_DIR)/coverage.info
	genhtml $(LCOV_RC) --quiet $(COV_DIR)/coverage.info --output-directory $(COV_DIR)/html
	@echo "== models/ and sw/"; lcov $(LCOV_RC) --summary $(COV_DIR)/coverage.info 2>&1 | grep -E 'lines|branches' || true
	@lcov $(LCOV_RC) --quiet --extract $(COV_DIR)/coverage.info '$(CURDIR)/models/*' -o $(COV_DIR)/models.info
	@lcov $(LCOV_RC) --quiet --extract $(COV_DIR)/coverage.info '$(CURDIR)/sw/*' -o $(COV_DIR)/sw.info
	@for p in models sw; do echo "== $$p/"; lcov $(LCOV_RC) --summary $(COV_DIR)/$$p.info 2>&1 | grep -E 'lines|branches'; done

.PHONY: coverage

# Line and toggle coverage of rtl/ from the RTL equivalence suite (Verilator's
# --coverage-line --coverage-toggle), in $(BUILD)/cov-rtl:
#
#   make rtl-coverage  build the model with coverage, run rtl_tests (every
#                      handle writes its points on destroy), then
#                      tests/rtl_coverage.py: the table per module,
#                      rtl_coverage.csv and rtl_uncovered.txt, and
#                      verilator_coverage's annotated sources in annotated/
RTL_COV_BUILD := $(BUILD)/cov-rtl
RTL_COV_DIR   := $(RTL_COV_BUILD)/report

rtl-coverage:
	$(MAKE) BUILD=$(RTL_COV_BUILD) HW_COVERAGE=1 $(RTL_COV_BUILD)/hw-cov/tests/rtl_tests
	@rm -rf $(RTL_COV_DIR) && mkdir -p $(RTL_COV_DIR)/dat
	TESSERA_HW_COVERAGE_DIR=$(RTL_COV_DIR)/dat $(RTL_COV_BUILD)/hw-cov/tests/rtl_tests || true
	verilator_coverage --write $(RTL_COV_DIR)/merged.dat $(RTL_COV_DIR)/dat/*.dat
	verilator_coverage --annotate $(RTL_COV_DIR)/annotated --annotate-min 1 $(RTL_COV_DIR)/merged.dat
	python3 tests/rtl_coverage.py $(RTL_COV_DIR) $(RTL_COV_DIR)/merged.dat

.PHONY: rtl-coverage
