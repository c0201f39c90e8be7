# arenakit build. One Makefile, several build modes, each in its own folder under build/:
#   release  -O2, NDEBUG          (make, make install, benches, chatlog)
#   debug    -O0 -g, AK_DEBUG=1    (call-site capture, assertions, heap checks)
#   asan     debug + AddressSanitizer + UBSan, AK_DEBUG=2 (expensive checks)   (make test)
#   valgrind debug, no sanitizer, run under memcheck   (make test-valgrind)
#   tsan     debug + ThreadSanitizer, thread tests only (make test-tsan)
# Sources are found by folder: add a file and it is built. Tests are tests/test_*.c (one
# binary each) and tests/test_*.sh (given the build folder); thread tests end in _mt.
#
#   make              release library (static + shared), chatlog, tools, examples
#   make run          the main job (the README's first command)
#   make check        every test in every mode, plus the warning and Windows builds (CI)
#   make bench        benchmarks against glibc malloc, mimalloc and jemalloc, and chatlog at
#                     scale (SCALE=quick|100k|1m|5m, default 100k; tools/scale_bench.sh)
#   make bench-quick  every benchmark once at its --quick size (under a minute; make check runs it)
#   make fuzz         build the libFuzzer targets (clang)
#   make install PREFIX=/usr/local   (the library, and chatlog with its man page and completions)
#   make completions  rewrite completions/ and docs/chatlog.1's generated parts from chatlog's
#                     command table (tests/test_commands.sh fails while they disagree)

MODE ?= release
PREFIX ?= /usr/local
CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wno-unused-function
BASEFLAGS := -std=c11 $(WARN) -Iinclude -Isrc -fPIC -pthread -MMD -MP
FLAGS_release := -O2 -DNDEBUG -g
FLAGS_debug := -O0 -g -DAK_DEBUG=1
FLAGS_asan := -O1 -g -DAK_DEBUG=2 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FLAGS_valgrind := -O1 -g -DAK_DEBUG=1
FLAGS_tsan := -O1 -g -DAK_DEBUG=1 -fsanitize=thread
CFLAGS_ALL := $(BASEFLAGS) $(FLAGS_$(MODE)) $(CFLAGS)
LDFLAGS_ALL := -pthread $(filter -fsanitize=%,$(FLAGS_$(MODE))) $(LDFLAGS)

B := build/$(MODE)
BASE_SRC := $(wildcard src/base/*.c)
CHAT_SRC := $(wildcard src/chat/*.c)
APP_SRC := $(wildcard src/app/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
TOOL_SRC := $(wildcard tools/*.c)
EXAMPLE_SRC := $(wildcard examples/*.c)

BASE_OBJ := $(BASE_SRC:%.c=$(B)/obj/%.o)
CHAT_OBJ := $(CHAT_SRC:%.c=$(B)/obj/%.o)
APP_OBJ := $(APP_SRC:%.c=$(B)/obj/%.o)
LIB_A := $(B)/libarenakit.a
LIB_SO := $(B)/libarenakit.so
CHAT_A := $(B)/libchatstore.a
# Libraries from Debian used above the base layer (the base library needs only libc).
CHAT_LIBS := $(shell pkg-config --libs sqlite3 libarchive 2>/dev/null || echo -lsqlite3 -larchive) -lm
APP_LIBS := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)

TESTS := $(TEST_SRC:tests/%.c=$(B)/tests/%)
TOOLS := $(TOOL_SRC:tools/%.c=$(B)/tools/%)
EXAMPLES := $(EXAMPLE_SRC:examples/%.c=$(B)/examples/%)
CHATLOG := $(if $(APP_SRC),$(B)/chatlog)

.PHONY: all lib deps run check test test-valgrind test-tsan tests-build warnings windows \
        bench bench-quick bench-build fuzz install install-chatlog clean test-heap-long completions
.DEFAULT_GOAL := all
# Keep objects between runs (they are intermediates of the link rules).
.SECONDARY:

all: lib $(CHATLOG) $(TOOLS) $(EXAMPLES)
lib: $(LIB_A) $(LIB_SO)

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB_A): $(BASE_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIB_SO): $(BASE_OBJ)
	$(CC) -shared -o $@ $^ $(LDFLAGS_ALL)

$(CHAT_A): $(CHAT_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# Everything above the base links the chat store (possibly empty) and its Debian libraries.
LINK_ALL = $(if $(CHAT_OBJ),$(CHAT_A)) $(LIB_A) $(LDFLAGS_ALL) $(if $(CHAT_OBJ),$(CHAT_LIBS)) -lm

$(B)/chatlog: $(APP_OBJ) $(if $(CHAT_OBJ),$(CHAT_A)) $(LIB_A)
	$(CC) -o $@ $(APP_OBJ) $(LINK_ALL) $(APP_LIBS)

$(B)/tests/%: $(B)/obj/tests/%.o $(if $(CHAT_OBJ),$(CHAT_A)) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $< $(LINK_ALL)

$(B)/tools/%: $(B)/obj/tools/%.o $(if $(CHAT_OBJ),$(CHAT_A)) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $< $(LINK_ALL)

$(B)/examples/%: $(B)/obj/examples/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $< $(LIB_A) $(LDFLAGS_ALL)

tests-build: $(TESTS) $(TOOLS) $(CHATLOG)

# ---- the two commands of the README ---------------------------------------------------------
deps:
	@tools/deps.sh

# make run EXPORT=path/to/export.zip imports your own export instead of the generated demo.
run: deps
	@$(MAKE) --no-print-directory MODE=debug all
	@tools/demo.sh build/debug $(EXPORT)

# Build every mode first, then run all suites; tests/run.sh prints the combined closing line.
check: deps
	@$(MAKE) --no-print-directory warnings windows
	@$(MAKE) --no-print-directory MODE=release all
	@$(MAKE) --no-print-directory MODE=asan tests-build
	@$(MAKE) --no-print-directory MODE=valgrind tests-build
	@$(MAKE) --no-print-directory MODE=tsan tests-build
	@$(MAKE) --no-print-directory bench-quick
	@tests/run.sh asan valgrind tsan

test:
	@$(MAKE) --no-print-directory MODE=asan tests-build
	@tests/run.sh asan
test-valgrind:
	@$(MAKE) --no-print-directory MODE=valgrind tests-build
	@tests/run.sh valgrind
test-tsan:
	@$(MAKE) --no-print-directory MODE=tsan tests-build
	@tests/run.sh tsan

# The long differential run of the heap (10M operations by default; OPS=N SEED=S to change).
test-heap-long:
	@$(MAKE) --no-print-directory MODE=asan build/asan/tests/test_heap_random
	@build/asan/tests/test_heap_random --ops $${OPS:-10000000} --seed $${SEED:-1}

# Warning-free on gcc and clang (-Werror here only, so a new compiler's warning never breaks
# a user's build), and the Windows path compiles with mingw-w64 when it is installed.
warnings:
	@$(MAKE) --no-print-directory MODE=release CC=gcc CFLAGS=-Werror B=build/werror-gcc all
	@if command -v clang >/dev/null; then \
	  $(MAKE) --no-print-directory MODE=release CC=clang CFLAGS=-Werror B=build/werror-clang all; fi
windows:
	@if command -v x86_64-w64-mingw32-gcc >/dev/null; then \
	  $(MAKE) --no-print-directory MODE=release CC=x86_64-w64-mingw32-gcc CFLAGS=-Werror B=build/windows \
	    build/windows/libarenakit.a && echo "windows: libarenakit.a built with mingw-w64"; \
	else echo "windows: x86_64-w64-mingw32-gcc not installed, skipped"; fi

# ---- benchmarks: each allocator peer in its own binary (Debian's jemalloc replaces malloc) -----
BENCH_SRC := $(wildcard bench/*.c)
BENCH_PEERS := glibc mimalloc jemalloc
LIBS_glibc :=
LIBS_mimalloc := -lmimalloc
LIBS_jemalloc := -ljemalloc
BENCHES := $(foreach s,$(BENCH_SRC:bench/%.c=%),$(foreach p,$(BENCH_PEERS),build/release/bench/$(s)-$(p)))
bench: deps
	@$(MAKE) --no-print-directory MODE=release bench-build
	@tools/bench.sh build/release/bench
	@tools/memtrace.sh build/release
	@SCALE=$(or $(SCALE),100k) tools/scale_bench.sh build/release
# The benches run tools/genexport (chat_bench makes its exports with it): built with them, so
# `make bench` works on a fresh clone.
bench-build: $(BENCHES) $(TOOLS)
# A smoke run of every bench at its --quick size, every allocator build, no callgrind pass:
# proves the benches build and run (CI), not a measurement. Leaves docs/ alone.
bench-quick: deps
	@$(MAKE) --no-print-directory MODE=release bench-build
	@BENCH_ARGS=--quick BENCH_CALLGRIND=0 BENCH_TIMEOUT=120 \
	  tools/bench.sh build/release/bench >build/release/bench/quick.txt && \
	  echo "bench-quick: every bench ran at --quick size (tables in build/release/bench/quick.txt)"
define BENCH_RULE
build/release/bench/%-$(1): build/release/obj/bench/%.o $(if $(CHAT_OBJ),build/release/libchatstore.a) build/release/libarenakit.a
	@mkdir -p $$(@D)
	$$(CC) -o $$@ $$< -Wl,--no-as-needed $(LIBS_$(1)) -Wl,--as-needed $$(LINK_ALL)
endef
$(foreach p,$(BENCH_PEERS),$(eval $(call BENCH_RULE,$(p))))

# ---- fuzzing: libFuzzer targets, one per fuzz/*.c, built with clang ------------------------
FUZZ_SRC := $(wildcard fuzz/*.c)
fuzz:
	@$(MAKE) --no-print-directory MODE=fuzz CC=clang \
	  FLAGS_fuzz="-O1 -g -DAK_DEBUG=1 -fsanitize=fuzzer-no-link,address,undefined" \
	  $(FUZZ_SRC:fuzz/%.c=build/fuzz/fuzz/%)
build/fuzz/fuzz/%: build/fuzz/obj/fuzz/%.o $(if $(CHAT_OBJ),build/fuzz/libchatstore.a) build/fuzz/libarenakit.a
	@mkdir -p $(@D)
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $< $(LINK_ALL)

# ---- install ----------------------------------------------------------------------------------
# The library (headers, libarenakit.a/.so, arenakit.pc) and the chatlog program: the release
# build in bin/, its manual page chatlog(1), and bash and zsh completions.
install: lib install-chatlog
	install -d $(DESTDIR)$(PREFIX)/include/arenakit $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/arenakit/*.h $(DESTDIR)$(PREFIX)/include/arenakit/
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/
	sed -e 's|@PREFIX@|$(PREFIX)|' arenakit.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/arenakit.pc
# The completions and the man page's command entries are printed by chatlog from its command
# table (src/app/command.h) and checked in, so a clone has them without building and a
# change to a command shows in review; this rewrites them after a change to the table.
completions:
	@$(MAKE) --no-print-directory MODE=release build/release/chatlog
	@tools/cli_docs.sh build/release/chatlog
install-chatlog:
	@$(MAKE) --no-print-directory MODE=release build/release/chatlog
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 755 build/release/chatlog $(DESTDIR)$(PREFIX)/bin/chatlog
	install -m 644 docs/chatlog.1 $(DESTDIR)$(PREFIX)/share/man/man1/chatlog.1
	install -m 644 completions/chatlog.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/chatlog
	install -m 644 completions/_chatlog $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_chatlog

# ---- the SQLite extension for other programs: chatlog's FTS tokenizer (src/chat/tokenizer.h) ---
# Built from the same sources chatlog links, without sanitizers in every mode (the sqlite3
# shell that loads it is not instrumented).
FTS_EXT := $(B)/chatlog_fts.so
FTS_EXT_DEPS := ext/chatlog_fts.c src/chat/tokenizer.c src/chat/tokenizer.h src/chat/snippet.c src/chat/snippet.h \
                src/chat/textfold.c src/chat/textfold.h src/chat/textfold_table.h
$(FTS_EXT): $(FTS_EXT_DEPS)
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) -Isrc -fPIC -O2 $(CFLAGS) -shared -o $@ ext/chatlog_fts.c
all: $(FTS_EXT)
tests-build: $(FTS_EXT)
install: install-fts
.PHONY: install-fts
install-fts: $(FTS_EXT)
	install -d $(DESTDIR)$(PREFIX)/lib/chatlog
	install -m 755 $(FTS_EXT) $(DESTDIR)$(PREFIX)/lib/chatlog/

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
