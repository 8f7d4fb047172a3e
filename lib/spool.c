/* spool.c - durable bounded queue of records on disk; see spool.h. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "crc32c.h"
#include "err.h"
#include "fsio.h"
#include "spool.h"
#include "banned.h"

#define SEG_MAGIC	"TWSPSEG1"
#define SEG_HDR		8
#define FRAME_SYNC	0x5450534cu	/* "LSPT" as bytes */
#define FRAME_HDR	20
#define REC_MAX		(64u << 20)	/* a 25.6 kHz block is ~300 KiB */
#define COMMIT_SYNC	0x43535754u	/* "TWSC" as bytes */
#define COMMIT_LEN	40
#define COMMIT_SLOTS	256
#define RBUF_MIN	(1u << 20)
#define TBUF_MAX	(4u << 20)
#define DAMAGE_KEEP	64

/* One segment file, from the commit position to the tail. */
struct seg {
	unsigned long long no;
	unsigned long long size;	/* bytes known to hold frames */
};

struct spool {
	char *dir;
	struct spool_opts o;
	unsigned long long seg_max;
	int lockfd;			/* SPOOL, flock()ed while open */

	struct seg *segs;		/* ascending; the last may be wseg */
	size_t nseg, segcap;
	unsigned long long scanned;	/* segments <= this were scanned */

	int wfd;			/* tail segment, -1 until first append */
	unsigned long long wseg, woff;
	unsigned long long recno;	/* number of the next append */
	unsigned unsynced;
	int broken;			/* tail holds bytes we could not undo */

	int rfd;			/* read cursor */
	unsigned long long rseg, roff, rrecno;
	unsigned char *rbuf;
	size_t rcap, rlen;
	unsigned long long rbase;

	/*
	 * The newest bytes of the tail segment, [tbase, woff), so that a
	 * reader keeping up with the appends needs no read(2).
	 */
	unsigned char *tbuf;
	size_t tlen, tcap;
	unsigned long long tbase;

	int cfd;			/* commit log */
	unsigned long long cgen, cseg, coff;

	unsigned long long queued_n, queued_bytes, inflight_n,
	    inflight_bytes;
	struct spool_stats st;

	char *dmg[DAMAGE_KEEP];
	size_t dmg_head, dmg_n;
	unsigned long long dmg_lost;
	char *dmg_cur;
};

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static unsigned long long
sub0(unsigned long long a, unsigned long long b)
{
	return a > b ? a - b : 0;
}

/*
 * Frames.  A valid frame at i has the sync word, a length that fits in
 * the n bytes and a matching CRC over length, number and payload.
 */
static uint32_t
frame_crc(const unsigned char *hdr, const void *rec, size_t len)
{
	uint32_t c;

	c = crc32c(0, hdr + 4, 12);
	return crc32c(c, rec, len);
}

static int
frame_ok(const unsigned char *p, size_t n, size_t i, size_t *len)
{
	uint32_t l;

	if (n - i < FRAME_HDR || get32(p + i) != FRAME_SYNC)
		return 0;
	l = get32(p + i + 4);
	if (l > REC_MAX || n - i - FRAME_HDR < l)
		return 0;
	if (frame_crc(p + i, p + i + FRAME_HDR, l) != get32(p + i + 16))
		return 0;
	*len = l;
	return 1;
}

/* The offset of the next valid frame after a damaged one at i, or n. */
static size_t
frame_resync(const unsigned char *p, size_t n, size_t i)
{
	const unsigned char *q;
	size_t len;

	for (i++; i + FRAME_HDR <= n; i = (size_t)(q - p) + 1) {
		q = memchr(p + i, 'L', n - i - FRAME_HDR + 1);
		if (q == NULL)
			break;
		if (frame_ok(p, n, (size_t)(q - p), &len))
			return (size_t)(q - p);
	}
	return n;
}

size_t
spool_scan(const unsigned char *p, size_t n,
    void (*fn)(void *arg, const char *rec, size_t len), void *arg,
    size_t *damaged)
{
	size_t i = 0, len, nrec = 0;

	*damaged = 0;
	while (i < n) {
		if (frame_ok(p, n, i, &len)) {
			if (fn != NULL)
				fn(arg, (const char *)p + i + FRAME_HDR, len);
			nrec++;
			i += FRAME_HDR + len;
		} else {
			(*damaged)++;
			i = frame_resync(p, n, i);
		}
	}
	return nrec;
}

/* Damage messages, handed out by spool_damage(). */
static void
damage(struct spool *s, unsigned long long seg, unsigned long long off,
    const char *what, unsigned long long skipped)
{
	struct buf b = BUF_INIT;

	s->st.damaged++;
	if (s->dmg_n == DAMAGE_KEEP) {
		s->dmg_lost++;
		return;
	}
	buf_addf(&b, "spool '%s': segment %016llx.seg offset %llu: %s, "
	    "%llu bytes skipped", s->dir, seg, off, what, skipped);
	s->dmg[(s->dmg_head + s->dmg_n++) % DAMAGE_KEEP] = b.s;
}

const char *
spool_damage(struct spool *s)
{
	struct buf b = BUF_INIT;

	free(s->dmg_cur);
	s->dmg_cur = NULL;
	if (s->dmg_n > 0) {
		s->dmg_cur = s->dmg[s->dmg_head];
		s->dmg_head = (s->dmg_head + 1) % DAMAGE_KEEP;
		s->dmg_n--;
	} else if (s->dmg_lost > 0) {
		buf_addf(&b, "spool '%s': %llu more damaged regions", s->dir,
		    s->dmg_lost);
		s->dmg_cur = b.s;
		s->dmg_lost = 0;
	}
	return s->dmg_cur;
}

/* Files. */
static int
ioerr(struct spool *s, struct twin_err *err, const char *what,
    const char *name)
{
	if (errno == ENOSPC || errno == EDQUOT)
		return err_set(err, TWIN_EIO, "spool '%s': disk full", s->dir);
	return err_set(err, TWIN_EIO, "spool '%s': %s '%s': %s", s->dir, what,
	    name, strerror(errno));
}

static void
segname(char *out, size_t sz, const char *dir, unsigned long long no)
{
	snprintf(out, sz, "%s/%016llx.seg", dir, no);
}


static int
preadall(int fd, void *p, size_t n, off_t off, size_t *got)
{
	char *q = p;
	ssize_t r;

	*got = 0;
	while (n > 0) {
		r = pread(fd, q, n, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		q += r;
		n -= (size_t)r;
		off += r;
		*got += (size_t)r;
	}
	return 0;
}

static int
dirsync(struct spool *s, struct twin_err *err)
{
	if (fsio_sync_dir(s->dir) < 0)
		return ioerr(s, err, "sync directory", s->dir);
	return 0;
}

/* Write a small file atomically: name.tmp, fsync, rename, fsync dir. */
static int
atomic_write(struct spool *s, const char *name, const void *p, size_t n,
    struct twin_err *err)
{
	char path[4096], tmp[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return ioerr(s, err, "create", tmp);
	if (fsio_write_all(fd, p, n) < 0 || fsync(fd) < 0) {
		ioerr(s, err, "write", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		ioerr(s, err, "rename", tmp);
		unlink(tmp);
		return -1;
	}
	return dirsync(s, err);
}

/* The SPOOL file: the spool's tenant, and the lock. */
static int
open_tenant(struct spool *s, const char *tenant, struct twin_err *err)
{
	char path[4096], want[128], got[256];
	struct buf b = BUF_INIT;
	size_t n;
	int r;

	snprintf(path, sizeof(path), "%s/SPOOL", s->dir);
	snprintf(want, sizeof(want), "twin-spool 1\ntenant %s\n", tenant);
	s->lockfd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->lockfd < 0 && errno == ENOENT) {
		if (atomic_write(s, "SPOOL", want, strlen(want), err) < 0)
			return -1;
		s->lockfd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (s->lockfd < 0)
		return ioerr(s, err, "open", path);
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return err_set(err, TWIN_ETEMP, "spool '%s': in use "
			    "by another process", s->dir);
		return ioerr(s, err, "lock", path);
	}
	if (preadall(s->lockfd, got, sizeof(got) - 1, 0, &n) < 0)
		return ioerr(s, err, "read", path);
	got[n] = '\0';
	if (strcmp(got, want) == 0)
		return 0;
	if (strncmp(got, "twin-spool 1\ntenant ", 20) != 0 ||
	    n == 0 || got[n - 1] != '\n')
		return err_set(err, TWIN_ECONFIG, "spool '%s': not a twin "
		    "spool (bad SPOOL file)", s->dir);
	got[n - 1] = '\0';
	buf_adds(&b, got + 20);
	r = err_set(err, TWIN_ECONFIG, "spool '%s' belongs to tenant '%s', "
	    "not '%s'", s->dir, b.s, tenant);
	buf_free(&b);
	return r;
}

/*
 * The commit log: a file of COMMIT_SLOTS slots of COMMIT_LEN bytes,
 * allocated when the spool is made, so that committing never needs disk
 * space: a full disk must not stop a drain that would free it.  Commit
 * number g goes to slot g % COMMIT_SLOTS; the valid entry with the
 * highest number is the committed position.  An entry is sync, CRC32C of
 * the rest, number, segment, offset and the next record number.
 */
static void
commit_entry(unsigned char *e, unsigned long long gen, unsigned long long seg,
    unsigned long long off, unsigned long long recno)
{
	put32(e, COMMIT_SYNC);
	put64(e + 8, gen);
	put64(e + 16, seg);
	put64(e + 24, off);
	put64(e + 32, recno);
	put32(e + 4, crc32c(0, e + 8, COMMIT_LEN - 8));
}

/*
 * Zeros written, not fallocate()d: blocks that are written already make a
 * later pwrite() and fdatasync() cheaper (no unwritten extent to convert).
 */
static int
zero_fill(int fd, size_t from, size_t to)
{
	static const unsigned char z[COMMIT_SLOTS * COMMIT_LEN];
	ssize_t w;

	while (from < to) {
		w = pwrite(fd, z, to - from, (off_t)from);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		from += (size_t)w;
	}
	return 0;
}

static int
commit_create(struct spool *s, const char *path, struct twin_err *err)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return ioerr(s, err, "create", path);
	if (zero_fill(fd, 0, COMMIT_SLOTS * COMMIT_LEN) < 0) {
		ioerr(s, err, "write", path);
		close(fd);
		unlink(path);
		return -1;
	}
	if (fsync(fd) < 0) {
		ioerr(s, err, "sync", path);
		close(fd);
		unlink(path);
		return -1;
	}
	if (dirsync(s, err) < 0) {
		close(fd);
		return -1;
	}
	s->cfd = fd;
	return 0;
}

static int
zeros(const unsigned char *p, size_t n)
{
	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	return n == 0;
}

/*
 * Find the committed position.  A damaged entry (torn, flipped,
 * truncated away) is counted and the entry before it used: that can only
 * redeliver records, never skip them.
 */
static int
commit_load(struct spool *s, unsigned long long *recno, int *found,
    struct twin_err *err)
{
	char path[4096];
	unsigned char *p;
	size_t n, i, len, bad = 0, badoff = 0;
	unsigned long long gen;

	*found = 0;
	snprintf(path, sizeof(path), "%s/commit", s->dir);
	s->cfd = open(path, O_RDWR | O_CLOEXEC);
	if (s->cfd < 0) {
		if (errno == ENOENT)
			return commit_create(s, path, err);
		return ioerr(s, err, "open", path);
	}
	p = xmalloc(COMMIT_SLOTS * COMMIT_LEN);
	if (preadall(s->cfd, p, COMMIT_SLOTS * COMMIT_LEN, 0, &n) < 0) {
		free(p);
		return ioerr(s, err, "read", path);
	}
	for (i = 0; i < n; i += COMMIT_LEN) {
		len = n - i < COMMIT_LEN ? n - i : COMMIT_LEN;
		if (zeros(p + i, len))
			continue;
		if (len < COMMIT_LEN || get32(p + i) != COMMIT_SYNC ||
		    crc32c(0, p + i + 8, COMMIT_LEN - 8) != get32(p + i + 4)) {
			if (bad++ == 0)
				badoff = i;
			/* Reported once: the bad slot is cleared. */
			(void)zero_fill(s->cfd, i, i + COMMIT_LEN);
			continue;
		}
		gen = get64(p + i + 8);
		if (*found && gen <= s->cgen)
			continue;
		s->cgen = gen;
		s->cseg = get64(p + i + 16);
		s->coff = get64(p + i + 24);
		*recno = get64(p + i + 32);
		*found = 1;
	}
	free(p);
	if (bad > 0) {
		struct buf b = BUF_INIT;

		s->st.damaged++;
		buf_addf(&b, "spool '%s': commit log offset %zu: %zu damaged "
		    "entries, %s", s->dir, badoff, bad, *found ?
		    "using the last valid one" : "redelivering from the start");
		if (s->dmg_n < DAMAGE_KEEP)
			s->dmg[(s->dmg_head + s->dmg_n++) % DAMAGE_KEEP] = b.s;
		else
			buf_free(&b);
	}
	/* A log cut short gets its room back, if the disk has it. */
	if (n < COMMIT_SLOTS * COMMIT_LEN)
		(void)zero_fill(s->cfd, n, COMMIT_SLOTS * COMMIT_LEN);
	if (bad > 0 || n < COMMIT_SLOTS * COMMIT_LEN)
		(void)fdatasync(s->cfd);
	return 0;
}

static int
segcmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->no < y->no ? -1 : x->no > y->no;
}

static void
seg_push(struct spool *s, unsigned long long no, unsigned long long size)
{
	if (s->nseg == s->segcap) {
		s->segcap = s->segcap ? 2 * s->segcap : 16;
		s->segs = xrealloc(s->segs, s->segcap * sizeof(*s->segs));
	}
	s->segs[s->nseg].no = no;
	s->segs[s->nseg++].size = size;
}

static int
list_segments(struct spool *s, struct twin_err *err)
{
	struct dirent *d;
	DIR *dp;
	char *end;
	unsigned long long no;

	dp = opendir(s->dir);
	if (dp == NULL)
		return ioerr(s, err, "open directory", s->dir);
	while ((d = readdir(dp)) != NULL) {
		if (strlen(d->d_name) != 20 ||
		    strcmp(d->d_name + 16, ".seg") != 0)
			continue;
		no = strtoull(d->d_name, &end, 16);
		if (end != d->d_name + 16)
			continue;
		seg_push(s, no, 0);
	}
	closedir(dp);
	if (s->nseg > 1)
		qsort(s->segs, s->nseg, sizeof(*s->segs), segcmp);
	return 0;
}

/*
 * Read one old segment from off to its end: count its valid frames and
 * bytes as queued, report its damage, note the highest record number.
 */
static int
scan_segment(struct spool *s, struct seg *g, unsigned long long off,
    struct twin_err *err)
{
	char path[4096];
	struct stat sb;
	unsigned char *p;
	size_t n, i, j, len;
	int fd;

	segname(path, sizeof(path), s->dir, g->no);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ioerr(s, err, "open", path);
	if (fstat(fd, &sb) < 0) {
		close(fd);
		return ioerr(s, err, "stat", path);
	}
	p = xmalloc((size_t)sb.st_size + 1);
	if (preadall(fd, p, (size_t)sb.st_size, 0, &n) < 0) {
		free(p);
		close(fd);
		return ioerr(s, err, "read", path);
	}
	close(fd);
	g->size = n;
	if (n < SEG_HDR || memcmp(p, SEG_MAGIC, SEG_HDR) != 0)
		damage(s, g->no, 0, "bad segment header",
		    n < SEG_HDR ? n : SEG_HDR);
	i = off < SEG_HDR ? SEG_HDR : off;
	while (i < n) {
		if (frame_ok(p, n, i, &len)) {
			s->queued_n++;
			s->queued_bytes += FRAME_HDR + len;
			if (get64(p + i + 8) >= s->recno)
				s->recno = get64(p + i + 8) + 1;
			i += FRAME_HDR + len;
			continue;
		}
		j = frame_resync(p, n, i);
		damage(s, g->no, i, j == n ? "torn record at the end" :
		    "bad frame", j - i);
		i = j;
	}
	free(p);
	return 0;
}

static void
free_spool(struct spool *s)
{
	size_t i;

	if (s->wfd >= 0)
		close(s->wfd);
	if (s->rfd >= 0)
		close(s->rfd);
	if (s->cfd >= 0)
		close(s->cfd);
	if (s->lockfd >= 0)
		close(s->lockfd);
	for (i = 0; i < s->dmg_n; i++)
		free(s->dmg[(s->dmg_head + i) % DAMAGE_KEEP]);
	free(s->dmg_cur);
	free(s->rbuf);
	free(s->tbuf);
	free(s->segs);
	free(s->dir);
	free(s);
}

/*
 * Delete the segments before the committed one and, with whole, the
 * committed one too when it is consumed to its end and no longer
 * appended to.  The reader's descriptor on a deleted segment is closed,
 * or its blocks would stay allocated.
 */
static void
reclaim(struct spool *s, int whole)
{
	char path[4096];
	struct seg *g;
	size_t i, k;

	for (i = 0; i < s->nseg; i++) {
		g = &s->segs[i];
		if (g->no > s->cseg || (g->no == s->cseg && (!whole ||
		    s->coff < g->size || (s->wfd >= 0 && g->no == s->wseg))))
			break;
		segname(path, sizeof(path), s->dir, g->no);
		(void)unlink(path);
		if (s->rfd >= 0 && s->rseg == g->no) {
			close(s->rfd);
			s->rfd = -1;
			s->rlen = 0;
		}
	}
	if (i > 0) {
		for (k = i; k < s->nseg; k++)
			s->segs[k - i] = s->segs[k];
		s->nseg -= i;
	}
}

/* After ENOSPC: a tail segment that is all committed can go. */
static int
tail_drop(struct spool *s)
{
	if (s->wfd < 0 || s->cseg != s->wseg || s->coff < s->woff)
		return -1;
	close(s->wfd);
	s->wfd = -1;
	s->tlen = 0;
	reclaim(s, 1);
	s->wseg++;
	return 0;
}

struct spool *
spool_open(const char *dir, const char *tenant, const struct spool_opts *o,
    struct twin_err *err)
{
	struct spool *s;
	struct stat sb;
	unsigned long long recno = 0, last;
	size_t i;
	int found;

	if (tenant == NULL || *tenant == '\0' || strlen(tenant) > 64 ||
	    strchr(tenant, '\n') != NULL) {
		err_set(err, TWIN_EUSAGE, "spool '%s': bad tenant name", dir);
		return NULL;
	}
	if (strlen(dir) > 3000) {
		err_set(err, TWIN_EUSAGE, "spool: directory name too long");
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->dir = xstrdup(dir);
	s->wfd = s->rfd = s->cfd = s->lockfd = -1;
	if (o != NULL)
		s->o = *o;
	else
		s->o.overflow = SPOOL_BLOCK;
	if (s->o.overflow < SPOOL_BLOCK || s->o.overflow > SPOOL_FAIL) {
		err_set(err, TWIN_EUSAGE, "spool '%s': bad overflow policy",
		    dir);
		goto fail;
	}
	/* Eight segments to the limit, so reclaim frees space in steps. */
	s->seg_max = s->o.max_bytes ? s->o.max_bytes / 8 : 16ull << 20;
	if (s->seg_max < (64u << 10))
		s->seg_max = 64u << 10;
	if (s->seg_max > (64ull << 20))
		s->seg_max = 64ull << 20;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		ioerr(s, err, "create directory", dir);
		goto fail;
	}
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		err_set(err, TWIN_EIO, "spool '%s': not a directory", dir);
		goto fail;
	}
	/* The records are the tenant's: nobody else may list or read them. */
	if ((sb.st_mode & 077) != 0 && chmod(dir, 0700) < 0) {
		ioerr(s, err, "chmod", dir);
		goto fail;
	}
	if (open_tenant(s, tenant, err) < 0)
		goto fail;
	if (list_segments(s, err) < 0 || commit_load(s, &recno, &found,
	    err) < 0)
		goto fail;
	if (!found || (s->nseg > 0 && s->cseg < s->segs[0].no)) {
		/* Nothing committed that still exists: start at the start. */
		s->cseg = s->nseg > 0 ? s->segs[0].no : 0;
		s->coff = SEG_HDR;
	}
	reclaim(s, 0);
	if (s->nseg == 0 || s->segs[0].no != s->cseg) {
		/* The committed segment is gone: it was all consumed. */
		s->cseg = s->nseg > 0 ? s->segs[0].no : s->cseg;
		s->coff = SEG_HDR;
	}
	if (s->coff < SEG_HDR)
		s->coff = SEG_HDR;
	s->recno = recno;
	for (i = 0; i < s->nseg; i++)
		if (scan_segment(s, &s->segs[i], i == 0 ? s->coff : SEG_HDR,
		    err) < 0)
			goto fail;
	last = s->nseg > 0 ? s->segs[s->nseg - 1].no : s->cseg;
	s->scanned = last;
	s->wseg = (last > s->cseg ? last : s->cseg) + 1;
	s->rseg = s->cseg;
	s->roff = s->coff;
	s->rrecno = recno;
	reclaim(s, 1);
	s->st.bytes = s->queued_bytes;
	return s;
fail:
	free_spool(s);
	return NULL;
}

static int
tail_sync(struct spool *s, struct twin_err *err)
{
	char path[4096];

	if (s->wfd < 0 || s->unsynced == 0)
		return 0;
	if (fdatasync(s->wfd) < 0) {
		segname(path, sizeof(path), s->dir, s->wseg);
		return ioerr(s, err, "sync", path);
	}
	s->unsynced = 0;
	return 0;
}

int
spool_sync(struct spool *s, struct twin_err *err)
{
	return tail_sync(s, err);
}

/* Start a new tail segment; the old one is flushed first. */
static int
tail_new(struct spool *s, struct twin_err *err)
{
	char path[4096], tmp[4100];
	int fd;

	if (s->wfd >= 0) {
		if (tail_sync(s, err) < 0)
			return -1;
		close(s->wfd);
		s->wfd = -1;
		s->wseg++;
	}
	segname(path, sizeof(path), s->dir, s->wseg);
	/*
	 * The segment gets its name only once its header is on disk (a
	 * link, which refuses to replace an existing segment), so a kill
	 * never leaves a headerless segment; a stray ".new" is ignored.
	 */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return ioerr(s, err, "create", tmp);
	if (fsio_write_all(fd, SEG_MAGIC, SEG_HDR) < 0 || fdatasync(fd) < 0) {
		ioerr(s, err, "write", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (link(tmp, path) < 0) {
		ioerr(s, err, "create", path);
		close(fd);
		unlink(tmp);
		return -1;
	}
	unlink(tmp);
	/* The new name must survive a crash as well as its frames. */
	if (dirsync(s, err) < 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	s->wfd = fd;
	s->woff = SEG_HDR;
	s->tbase = SEG_HDR;
	s->tlen = 0;
	seg_push(s, s->wseg, SEG_HDR);
	return 0;
}

/* Read cursor: make [off, off + need) of segment rseg present in rbuf. */
static int
rbuf_fill(struct spool *s, unsigned long long off, size_t need,
    unsigned long long end, struct twin_err *err)
{
	char path[4096];
	size_t want, got;

	if (off >= s->rbase && off + need <= s->rbase + s->rlen)
		return 0;
	want = end - off < RBUF_MIN ? (size_t)(end - off) : RBUF_MIN;
	if (want < need)
		want = need;
	if (want > s->rcap) {
		s->rcap = want > (64u << 10) ? want : 64u << 10;
		free(s->rbuf);
		s->rbuf = xmalloc(s->rcap);
	}
	if (s->rfd < 0) {
		segname(path, sizeof(path), s->dir, s->rseg);
		s->rfd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->rfd < 0)
			return ioerr(s, err, "open", path);
	}
	s->rbase = off;
	s->rlen = 0;
	if (preadall(s->rfd, s->rbuf, want, (off_t)off, &got) < 0) {
		segname(path, sizeof(path), s->dir, s->rseg);
		return ioerr(s, err, "read", path);
	}
	s->rlen = got;
	if (got < need) {
		segname(path, sizeof(path), s->dir, s->rseg);
		return err_set(err, TWIN_EIO, "spool '%s': '%s' is shorter "
		    "than expected", s->dir, path);
	}
	return 0;
}

/* The first segment numbered no or later, or NULL. */
/* [off, off + need) of segment rseg, from the tail cache or the file. */
static const unsigned char *
rget(struct spool *s, unsigned long long off, size_t need,
    unsigned long long end, struct twin_err *err)
{
	if (s->wfd >= 0 && s->rseg == s->wseg && off >= s->tbase &&
	    off + need <= s->tbase + s->tlen)
		return s->tbuf + (off - s->tbase);
	if (rbuf_fill(s, off, need, end, err) < 0)
		return NULL;
	return s->rbuf + (off - s->rbase);
}

static struct seg *
seg_find(struct spool *s, unsigned long long no)
{
	size_t i;

	for (i = 0; i < s->nseg; i++)
		if (s->segs[i].no >= no)
			return &s->segs[i];
	return NULL;
}

/*
 * The next valid frame at the read cursor: 1 with *p, *len, *flen, 0 when
 * none is pending.  Damage is skipped, and counted when it lies in a
 * segment written by this process (older ones were counted at open).
 */
static int
read_frame(struct spool *s, const unsigned char **p, size_t *len,
    size_t *flen, struct twin_err *err)
{
	struct seg *g;
	unsigned long long end;
	size_t l, rest, j;
	const unsigned char *b;

	for (;;) {
		g = seg_find(s, s->rseg);
		if (g == NULL)
			return 0;
		if (g->no != s->rseg || s->roff >= g->size) {
			if (g->no == s->rseg) {
				if (g == &s->segs[s->nseg - 1])
					return 0;
				g++;
			}
			if (s->rfd >= 0)
				close(s->rfd);
			s->rfd = -1;
			s->rlen = 0;
			s->rseg = g->no;
			s->roff = SEG_HDR;
			continue;
		}
		end = g->size;
		rest = (size_t)(end - s->roff);
		if (rest >= FRAME_HDR) {
			if ((b = rget(s, s->roff, FRAME_HDR, end, err)) ==
			    NULL)
				return -1;
			l = get32(b + 4);
			if (get32(b) == FRAME_SYNC && l <= REC_MAX &&
			    l <= rest - FRAME_HDR) {
				if ((b = rget(s, s->roff, FRAME_HDR + l, end,
				    err)) == NULL)
					return -1;
				if (frame_ok(b, FRAME_HDR + l, 0, &l)) {
					*p = b;
					*len = l;
					*flen = FRAME_HDR + l;
					s->roff += FRAME_HDR + l;
					s->rrecno = get64(b + 8) + 1;
					return 1;
				}
			}
		}
		/* Damaged: find the next valid frame in the rest. */
		if ((b = rget(s, s->roff, rest, end, err)) == NULL)
			return -1;
		j = frame_resync(b, rest, 0);
		if (s->rseg > s->scanned)
			damage(s, s->rseg, s->roff, j == rest ?
			    "torn record at the end" : "bad frame", j);
		s->roff += j;
	}
}

static void
took(struct spool *s, size_t flen)
{
	s->queued_n = sub0(s->queued_n, 1);
	s->queued_bytes = sub0(s->queued_bytes, flen);
}

/* Keep a copy of the frame just written at woff. */
static void
tail_cache(struct spool *s, const unsigned char *hdr, const char *rec,
    size_t n)
{
	unsigned long long keep;
	size_t f = FRAME_HDR + n;

	if (s->tlen + f > TBUF_MAX) {
		/* Forget what the reader has passed, or everything. */
		keep = s->rseg == s->wseg && s->roff > s->tbase ? s->roff :
		    s->woff;
		if (keep > s->woff)
			keep = s->woff;
		memmove(s->tbuf, s->tbuf + (keep - s->tbase),
		    (size_t)(s->woff - keep));
		s->tlen = (size_t)(s->woff - keep);
		s->tbase = keep;
		if (s->tlen + f > TBUF_MAX) {
			s->tbase = s->woff;
			s->tlen = 0;
			if (f > TBUF_MAX)
				return;
		}
	}
	if (s->tlen + f > s->tcap) {
		s->tcap = s->tcap ? 2 * s->tcap : 64u << 10;
		while (s->tcap < s->tlen + f)
			s->tcap *= 2;
		s->tbuf = xrealloc(s->tbuf, s->tcap);
	}
	memcpy(s->tbuf + s->tlen, hdr, FRAME_HDR);
	memcpy(s->tbuf + s->tlen + FRAME_HDR, rec, n);
	s->tlen += f;
}

int
spool_append(struct spool *s, const char *rec, size_t n,
    struct twin_err *err)
{
	unsigned char hdr[FRAME_HDR];
	struct iovec iov[2];
	const unsigned char *p;
	unsigned long long f = FRAME_HDR + (unsigned long long)n;
	size_t len, flen;
	ssize_t w;
	int r, retried = 0;

	if (s->broken)
		return err_set(err, TWIN_EIO, "spool '%s': unusable after a "
		    "failed write", s->dir);
	if (n > REC_MAX)
		return err_set(err, TWIN_EDATA, "spool '%s': record of %zu "
		    "bytes is larger than %u", s->dir, n, REC_MAX);
	while (s->o.max_bytes &&
	    s->queued_bytes + s->inflight_bytes + f > s->o.max_bytes) {
		if (s->o.overflow == SPOOL_DROP_NEWEST) {
			s->st.dropped_newest++;
			return 0;
		}
		if (s->o.overflow == SPOOL_DROP_OLDEST && s->queued_n > 0) {
			r = read_frame(s, &p, &len, &flen, err);
			if (r < 0)
				return -1;
			if (r == 0) {
				s->queued_n = s->queued_bytes = 0;
				continue;
			}
			took(s, flen);
			s->st.dropped_oldest++;
			continue;
		}
		return err_set(err, TWIN_ETEMP, "spool '%s': full (%llu "
		    "bytes pending, limit %llu)", s->dir,
		    s->queued_bytes + s->inflight_bytes, s->o.max_bytes);
	}
	/* Let dropped segments go when nothing is in flight. */
	if (s->inflight_n == 0 && s->rseg != s->cseg &&
	    spool_commit(s, err) < 0)
		return -1;
again:
	if (s->wfd < 0 || (s->woff + f > s->seg_max && s->woff > SEG_HDR))
		if (tail_new(s, err) < 0)
			return -1;
	put32(hdr, FRAME_SYNC);
	put32(hdr + 4, (uint32_t)n);
	put64(hdr + 8, s->recno);
	put32(hdr + 16, frame_crc(hdr, rec, n));
	iov[0].iov_base = hdr;
	iov[0].iov_len = FRAME_HDR;
	iov[1].iov_base = (void *)rec;
	iov[1].iov_len = n;
	do
		w = writev(s->wfd, iov, 2);
	while (w < 0 && errno == EINTR);
	if (w >= 0 && (unsigned long long)w < f) {
		/* Short write: finish it, or fail and undo it below. */
		size_t done = (size_t)w;

		if (done < FRAME_HDR) {
			if (fsio_write_all(s->wfd, hdr + done, FRAME_HDR - done) < 0)
				w = -1;
			done = FRAME_HDR;
		}
		if (w >= 0 && fsio_write_all(s->wfd, rec + (done - FRAME_HDR),
		    n - (done - FRAME_HDR)) < 0)
			w = -1;
	}
	if (w < 0) {
		char path[4096];
		int e = errno;

		/* Never leave half a frame that a later frame would follow. */
		if (ftruncate(s->wfd, (off_t)s->woff) < 0)
			s->broken = 1;
		if ((e == ENOSPC || e == EDQUOT) && !retried && !s->broken &&
		    tail_drop(s) == 0) {
			retried = 1;
			goto again;
		}
		errno = e;
		segname(path, sizeof(path), s->dir, s->wseg);
		return ioerr(s, err, "write", path);
	}
	tail_cache(s, hdr, rec, n);
	s->woff += f;
	s->segs[s->nseg - 1].size = s->woff;
	s->recno++;
	s->queued_n++;
	s->queued_bytes += f;
	s->st.appended++;
	s->unsynced++;
	if (s->o.fsync_every && s->unsynced >= s->o.fsync_every)
		return tail_sync(s, err);
	return 0;
}

int
spool_next(struct spool *s, const char **rec, size_t *n, struct twin_err *err)
{
	const unsigned char *p;
	size_t len, flen;
	int r;

	r = read_frame(s, &p, &len, &flen, err);
	if (r <= 0) {
		if (r == 0)
			s->queued_n = s->queued_bytes = 0;
		return r;
	}
	took(s, flen);
	s->inflight_n++;
	s->inflight_bytes += flen;
	s->st.delivered++;
	*rec = (const char *)p + FRAME_HDR;
	*n = len;
	return 1;
}

int
spool_commit(struct spool *s, struct twin_err *err)
{
	unsigned char e[COMMIT_LEN];
	char path[4096];
	ssize_t w;

	if (s->rseg != s->cseg || s->roff != s->coff) {
		if (tail_sync(s, err) < 0)
			return -1;
		commit_entry(e, s->cgen + 1, s->rseg, s->roff, s->rrecno);
		do
			w = pwrite(s->cfd, e, sizeof(e), (off_t)((s->cgen + 1) %
			    COMMIT_SLOTS * COMMIT_LEN));
		while (w < 0 && errno == EINTR);
		if (w != (ssize_t)sizeof(e) || fdatasync(s->cfd) < 0) {
			if (w >= 0 && w != (ssize_t)sizeof(e))
				errno = EIO;
			snprintf(path, sizeof(path), "%s/commit", s->dir);
			return ioerr(s, err, "write", path);
		}
		s->cgen++;
		s->cseg = s->rseg;
		s->coff = s->roff;
		reclaim(s, 1);
	}
	s->st.committed += s->inflight_n;
	s->inflight_n = s->inflight_bytes = 0;
	return 0;
}

void
spool_stats(const struct spool *s, struct spool_stats *st)
{
	*st = s->st;
	st->bytes = s->queued_bytes + s->inflight_bytes;
}

unsigned long long
spool_pending(const struct spool *s)
{
	return s->queued_n;
}

int
spool_close(struct spool *s, struct twin_err *err)
{
	int r;

	if (s == NULL)
		return 0;
	r = tail_sync(s, err);
	if (s->wfd >= 0 && close(s->wfd) < 0 && r == 0) {
		r = ioerr(s, err, "close", "segment");
	}
	s->wfd = -1;
	free_spool(s);
	return r;
}
