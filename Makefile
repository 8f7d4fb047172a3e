# twin — plain make.  See README.md.
include config.mk

LIB_SRC   := $(sort $(wildcard lib/*.c))
LIB_OBJ   := $(LIB_SRC:lib/%.c=build/lib/%.o)
CMD_SRC   := $(sort $(wildcard cmd/twin-*.c))
PROGS     := $(CMD_SRC:cmd/%.c=bin/%)
UNIT_SRC  := $(sort $(wildcard tests/unit/test-*.c))
UNITS     := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
MAN1      := $(wildcard man/*.1)
MAN5      := $(wildcard man/*.5)
MAN7      := $(wildcard man/*.7)
SCHEMAS   := $(wildcard schemas/*.json)
CLASSES   := $(wildcard examples/plant1/classes/*.json)

ifeq ($(PKG_LIBS),)
ifneq ($(filter-out deps demo check bench clean uninstall lint,$(or $(MAKECMDGOALS),all)),)
$(error pkg-config finds none of $(PKGS): run 'make deps' (or 'make demo' or 'make check', which run it first))
endif
endif

ALL_CFLAGS = $(STDFLAGS) $(WARN) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -Ilib

.PHONY: all check bench demo deps install uninstall clean lint fuzz units
all: $(PROGS)

# feature math: loops over bins vectorized too; sqrt inline, no errno
build/lib/feat.o: ALL_CFLAGS += -O3 -fno-math-errno
build/lib/%.o: lib/%.c $(wildcard lib/*.h) config.mk
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/libtwin.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

lib/libtwin.a: build/libtwin.a
	cp $< $@

bin/%: cmd/%.c lib/libtwin.a $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< lib/libtwin.a $(LDLIBS)

build/tests/%: tests/unit/%.c tests/unit/t.h lib/libtwin.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< lib/libtwin.a $(LDLIBS)

units: $(UNITS)

# deps installs what is missing (Debian packages, npm test peers); safe to rerun.
deps:
	@sh tests/deps.sh

# The targets that install their dependencies first build in a second make:
# config.mk asks pkg-config for the libraries when make reads it, which on
# a fresh machine is before deps has installed them.
check: deps
	@$(MAKE) --no-print-directory all units
	@sh tests/run

bench: deps
	@$(MAKE) --no-print-directory all
	@sh tests/bench/run

demo: deps
	@$(MAKE) --no-print-directory all
	@sh examples/demo.sh

fuzz: all
	@sh tests/fuzz/run 60

lint:
	mandoc -Tlint -W warning $(MAN1) $(MAN5) $(MAN7)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(DATADIR)/schemas $(DESTDIR)$(DATADIR)/classes
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5)
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7
	install -m 644 $(SCHEMAS) $(DESTDIR)$(DATADIR)/schemas
	install -m 644 $(CLASSES) $(DESTDIR)$(DATADIR)/classes
	install -m 644 examples/iso20816-3.json $(DESTDIR)$(DATADIR)

uninstall:
	rm -f $(PROGS:bin/%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(MAN1:man/%=$(DESTDIR)$(MANDIR)/man1/%) \
	    $(MAN5:man/%=$(DESTDIR)$(MANDIR)/man5/%) \
	    $(MAN7:man/%=$(DESTDIR)$(MANDIR)/man7/%)
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build bin lib/libtwin.a tests/out tests/fuzz/bin
