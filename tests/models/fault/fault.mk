# Fault-injection tests (tests/models/fault/), included from the top-level
# Makefile. One GoogleTest binary, $(BUILD)/san/tests/fault_tests, linked
# like models_tests (the ASan + UBSan library) but against a copy of the
# archive whose calls to the functions in FAULT_WRAP are renamed __wrap_<fn>:
# fault_shim.cc's __wrap_ functions fail the k-th call when a test asks
# (fault_shim.h). `make test` and `make coverage` run it with the others.
#
# Why a renamed copy and not -Wl,--wrap: --wrap rewrites every object of
# the link, and Debian's static libxsmm.a defines its own __real_malloc,
# __real_realloc, ... (it supports being wrapped itself): with
# --wrap=malloc the link fails ("undefined reference to `malloc'"). Renaming
# in our archive only also keeps libc's, zlib's and libxsmm's internal calls
# out of the count. (ASan is no obstacle: the real malloc the shim calls is
# ASan's, so leaks on error paths are still reported.)
#
# A call the library starts making (grep models/ sw/ for it) joins
# FAULT_WRAP and gets a __wrap_ function in fault_shim.cc.

FAULT_WRAP := malloc calloc realloc strdup aligned_alloc fdopen gzdopen \
              open fopen stat fstat fcntl fread fgets fwrite fputs fputc fprintf \
              fflush fsync fclose rename gzread gzerror gzclose_r
FAULT_SRCS := $(wildcard tests/models/fault/*.cc)

$(BUILD)/san/libtessera_fault.a: $(BUILD)/san/libtessera.a tests/models/fault/fault.mk
	objcopy $(foreach f,$(FAULT_WRAP),--redefine-sym $(f)=__wrap_$(f)) $< $@

$(BUILD)/san/tests/fault_tests: $(patsubst tests/%.cc,$(BUILD)/san/tests/%.o,$(FAULT_SRCS)) \
    $(BUILD)/san/libtessera_fault.a
	$(CXX) $(CXXFLAGS) $(SAN) $(filter %.o,$^) $(BUILD)/san/libtessera_fault.a $(GTEST_LIBS) \
	  $(LDLIBS) -o $@

TEST_BINS += $(BUILD)/san/tests/fault_tests
