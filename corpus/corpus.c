/* corpus.c: shard reading for JSONL and JSONL.zst, and what the planner
 * (coordinator/plan.c) needs to know of a file (corpus.h; the split rules,
 * costs and caps are described in docs/corpus.md).
 *
 * Frame boundaries are found without decompressing, by walking frame and
 * block headers with small preads; the planner groups the frames the walk
 * hands out, the reader walks the same headers to step over damage. Reading
 * is streaming: one fixed input buffer, one decompression output buffer and
 * the line buffer (capped at max_line), so a reader's memory does not depend
 * on the size of the file or of the shard.
 */
#include "tracefarm/corpus.h"

#include "tracefarm/buf.h"
#include "tracefarm/text.h"

#include <cjson/cJSON.h>

#include <zstd.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Input buffer of a reader: one pread per refill. It is allocated on
 * demand (a small shard or a backward scan needs less) up to this size. */
#define TF_CORPUS_READ_BUF ((size_t)1 << 20)
/* Window of the backward scan for the previous frame's magic number. */
#define TF_CORPUS_SCAN_WIN ((size_t)64 << 10)
/* Decompressed output handed to line assembly per ZSTD_decompressStream call. */
#define TF_CORPUS_OUT_BUF ((size_t)256 << 10)
/* First read size once a reader is past its shard's end (finishing its last
 * line); doubles on every refill up to TF_CORPUS_READ_BUF. */
#define TF_CORPUS_TAIL_READ ((size_t)4 << 10)
/* Window of the header walker: one pread serves every header inside it. */
#define TF_CORPUS_WALK_WIN ((size_t)4 << 10)
/* Largest decompression window accepted (2^27 = 128 MiB, zstd's default
 * limit, which plain `zstd` and `zstd -19` stay under; `zstd --long=31`
 * files are refused with "Frame requires too much memory for decoding"). */
#define TF_CORPUS_WINDOW_LOG_MAX 27
/* Uncompressed size assumed per compressed byte when a frame does not
 * declare its content size. */
#define TF_CORPUS_RATIO_GUESS 4

#define ZSTD_MAGIC 0xFD2FB528u
#define SKIP_MAGIC 0x184D2A50u /* low 4 bits free: 0x184D2A50..0x184D2A5F */
#define SKIP_MASK 0xFFFFFFF0u
#define BLOCK_MAX ((uint64_t)128 << 10)
/* Bytes fed to the decoder at a frame start: magic number and descriptor,
 * enough for it to say how much header is left. */
#define FRAME_PREFIX 5

/* ---------------------------------------------------------------------- */
/* small helpers                                                          */
/* ---------------------------------------------------------------------- */

/* pread until n bytes, end of file or an error: the one place that deals
 * with short reads and EINTR. Returns the bytes read (fewer than n only at
 * end of file), or -1 with errno set. */
static ssize_t pread_full(int fd, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* A little-endian 32-bit field of the zstd format (magic numbers, sizes).
 * Cannot fail: the caller has the 4 bytes. */
static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Open path for reading and get its size, so that planning, sampling and
 * reading report a missing or unreadable file the same way. Only regular
 * files are read: O_NONBLOCK keeps a FIFO from blocking the open (it has no
 * effect on regular files), and a FIFO or device is refused. On failure the
 * diag names the path and the reason; nothing is left open. */
static tf_err open_sized(const char *path, int *fd_out, uint64_t *size_out, tf_diag *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        tf_diag_set(d, "%s: %s", path, strerror(errno));
        return TF_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        tf_diag_set(d, "%s: %s", path, strerror(errno));
        close(fd);
        return TF_ERR_IO;
    }
    if (S_ISDIR(st.st_mode)) {
        tf_diag_set(d, "%s: %s", path, strerror(EISDIR));
        close(fd);
        return TF_ERR_IO;
    }
    if (!S_ISREG(st.st_mode)) {
        tf_diag_set(d, "%s: not a regular file", path);
        close(fd);
        return TF_ERR_IO;
    }
    *fd_out = fd;
    *size_out = st.st_size > 0 ? (uint64_t)st.st_size : 0;
    return TF_OK;
}

/* The format is chosen by name (corpus.h: ends in ".zst"), so planning
 * needs no read to decide. A NULL path is simply not zstd. */
bool tf_corpus_is_zstd(const char *path)
{
    if (!path)
        return false;
    size_t n = strlen(path);
    return n >= 4 && memcmp(path + n - 4, ".zst", 4) == 0;
}

/* ---------------------------------------------------------------------- */
/* frame walker: frame boundaries without decompression                   */
/* ---------------------------------------------------------------------- */

/* A window over the file so that consecutive small header reads cost one
 * pread. */
typedef struct walker {
    int fd;
    uint64_t fsize;
    uint64_t base; /* file offset of buf[0] */
    size_t len;    /* valid bytes in buf */
    unsigned char buf[TF_CORPUS_WALK_WIN];
} walker;

typedef enum walk_res {
    WALK_FRAME, /* a zstd frame */
    WALK_SKIP,  /* a skippable frame */
    WALK_BAD,   /* not a frame, a corrupt header, or cut by the end of file */
    WALK_IO,    /* pread failed; errno set */
} walk_res;

/* Copy up to n (at most the window) bytes at off out of the window,
 * refilling it at off when needed. Returns the bytes available (fewer at
 * end of file) or -1 when pread fails (errno set). */
static ssize_t walk_read(walker *w, uint64_t off, void *dst, size_t n)
{
    if (off >= w->fsize)
        return 0;
    if (n > w->fsize - off)
        n = (size_t)(w->fsize - off);
    if (!(off >= w->base && off - w->base + n <= w->len)) {
        size_t want = TF_CORPUS_WALK_WIN;
        if (want > w->fsize - off)
            want = (size_t)(w->fsize - off);
        ssize_t got = pread_full(w->fd, w->buf, want, off);
        if (got < 0)
            return -1;
        w->base = off;
        w->len = (size_t)got;
        if ((size_t)got < n)
            n = (size_t)got;
    }
    memcpy(dst, w->buf + (off - w->base), n);
    return (ssize_t)n;
}

/* Find the end of the frame at off by parsing its header and hopping over
 * its blocks (3-byte headers: last flag, type, size), as the zstd format
 * (RFC 8878) lays them out. On WALK_FRAME/WALK_SKIP *next is the offset
 * after the frame and *est the uncompressed size it stands for (declared,
 * else compressed size x 4; 0 for skippable frames). Anything that is not a
 * well-formed frame fully inside the file is WALK_BAD, never an error: the
 * reader is the one that reports it. */
static walk_res walk_frame(walker *w, uint64_t off, uint64_t *next, uint64_t *est)
{
    unsigned char h[18];
    ssize_t got = walk_read(w, off, h, sizeof h);
    if (got < 0)
        return WALK_IO;
    if (got < 8)
        return WALK_BAD; /* smaller than any frame */
    uint32_t magic = le32(h);
    if ((magic & SKIP_MASK) == SKIP_MAGIC) {
        uint64_t end = off + 8 + le32(h + 4);
        if (end > w->fsize)
            return WALK_BAD;
        *next = end;
        *est = 0;
        return WALK_SKIP;
    }
    if (magic != ZSTD_MAGIC)
        return WALK_BAD;
    unsigned fhd = h[4];
    unsigned fcs_flag = fhd >> 6;
    unsigned single = (fhd >> 5) & 1;
    unsigned checksum = (fhd >> 2) & 1;
    unsigned did_flag = fhd & 3;
    if (fhd & 0x08)
        return WALK_BAD; /* reserved bit */
    static const unsigned did_size[4] = {0, 1, 2, 4};
    static const unsigned fcs_size[4] = {0, 2, 4, 8};
    unsigned fcs_len = fcs_flag == 0 ? single : fcs_size[fcs_flag];
    size_t hsize = 5 + (single ? 0 : 1) + did_size[did_flag] + fcs_len;
    if ((size_t)got < hsize)
        return WALK_BAD;
    const unsigned char *f = h + hsize - fcs_len;
    uint64_t content = 0;
    for (unsigned i = 0; i < fcs_len; i++)
        content |= (uint64_t)f[i] << (8 * i);
    if (fcs_len == 2)
        content += 256;
    uint64_t pos = off + hsize;
    for (;;) {
        unsigned char b[3];
        got = walk_read(w, pos, b, 3);
        if (got < 0)
            return WALK_IO;
        if (got < 3)
            return WALK_BAD;
        uint32_t bh = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
        unsigned last = bh & 1;
        unsigned type = (bh >> 1) & 3;
        uint64_t bsize = bh >> 3;
        if (type == 3 || bsize > BLOCK_MAX)
            return WALK_BAD;
        pos += 3 + (type == 1 ? 1 : bsize); /* RLE blocks store one byte */
        if (pos > w->fsize)
            return WALK_BAD;
        if (last)
            break;
    }
    if (checksum) {
        pos += 4;
        if (pos > w->fsize)
            return WALK_BAD;
    }
    *next = pos;
    *est = fcs_len ? content : (pos - off) * TF_CORPUS_RATIO_GUESS;
    return WALK_FRAME;
}

/* The planner's view of a file (corpus.h): its size through the same open
 * as the reader, so a missing or odd file is reported the same way. */
tf_err tf_corpus_file_size(const char *path, uint64_t *size, tf_diag *d)
{
    int fd = -1;
    tf_err e = open_sized(path, &fd, size, d);
    if (e == TF_OK)
        close(fd);
    return e;
}

struct tf_zwalk {
    char *path;   /* for messages (owned copy) */
    uint64_t off; /* start of the next frame */
    bool done;    /* a damaged frame or a read error ended the walk */
    walker w;     /* holds the fd, closed by tf_zwalk_free */
};

/* Open path and get its size first, so that a missing file is reported as
 * by the reader; then the walker (its 4 KiB window is why it is on the
 * heap). On failure nothing is left open. */
tf_err tf_zwalk_open(const char *path, tf_zwalk **out, tf_diag *d)
{
    *out = NULL;
    int fd = -1;
    uint64_t size = 0;
    tf_err e = open_sized(path, &fd, &size, d);
    if (e != TF_OK)
        return e;
    tf_zwalk *z = calloc(1, sizeof *z);
    char *copy = strdup(path);
    if (!z || !copy) {
        free(z);
        free(copy);
        close(fd);
        tf_diag_set(d, "%s: out of memory walking zstd frames", path);
        return TF_ERR_NOMEM;
    }
    z->path = copy;
    z->w.fd = fd;
    z->w.fsize = size;
    *out = z;
    return TF_OK;
}

/* One walk_frame step. Where the walk meets something that is not a whole
 * frame, the rest of the file is handed out as one damaged frame and the
 * walk ends: the planner gives it to a shard whose reader reports the
 * damage, and nothing after it can be found without decoding. */
tf_err tf_zwalk_next(tf_zwalk *z, tf_zframe *f, tf_diag *d)
{
    if (z->done || z->off >= z->w.fsize)
        return TF_ERR_EOF;
    uint64_t next = 0, est = 0;
    walk_res r = walk_frame(&z->w, z->off, &next, &est);
    if (r == WALK_IO) {
        tf_diag_set(d, "%s: read failed at byte %" PRIu64 ": %s", z->path, z->off, strerror(errno));
        z->done = true;
        return TF_ERR_IO;
    }
    if (r == WALK_BAD) {
        *f = (tf_zframe){.kind = TF_ZFRAME_DAMAGED, .begin = z->off, .end = z->w.fsize};
        z->done = true;
        return TF_OK;
    }
    *f = (tf_zframe){.kind = r == WALK_SKIP ? TF_ZFRAME_SKIP : TF_ZFRAME_DATA,
                     .begin = z->off,
                     .end = next,
                     .usize = est};
    z->off = next;
    return TF_OK;
}

/* Close the file and free the walk; NULL is accepted. */
void tf_zwalk_free(tf_zwalk *z)
{
    if (!z)
        return;
    close(z->w.fd);
    free(z->path);
    free(z);
}

/* ---------------------------------------------------------------------- */
/* byte source: uncompressed bytes of a file from an offset, in chunks    */
/* ---------------------------------------------------------------------- */

/* A stream of uncompressed chunks starting at a (compressed) offset. Each
 * chunk is tagged "owned" when it comes from before the shard's end: plain
 * reads never straddle the end, and one ZSTD_decompressStream call never
 * produces output from two frames (it returns at each frame's end), so a
 * chunk's frame start decides. */
typedef struct src {
    int fd;
    const char *path;
    bool zstd;
    uint64_t end;  /* ownership limit (plain byte / zstd frame start) */
    uint64_t stop; /* no input is read at or after this offset */
    unsigned char *in;
    size_t in_cap; /* allocated bytes of in (grows to TF_CORPUS_READ_BUF) */
    size_t in_len, in_off;
    uint64_t in_base;   /* file offset of in[0] */
    uint64_t next_read; /* file offset of the next pread */
    size_t tail;        /* read size past end (grows) */
    bool in_eof;
    ZSTD_DCtx *dctx;
    unsigned char *out;
    uint64_t frame_start; /* compressed offset of the frame being decoded */
    bool frame_open;      /* a frame has begun and not been completed */
    bool err_frame_owned; /* the last TF_ERR_ZSTD hit a frame before end */
    bool dctx_used;       /* dctx has begun a frame: replace it before the next */
    size_t feed;          /* input to give the decoder next (one unit) */
} src;

/* Restart the stream at offset start. Buffers and the decoder are kept. */
static void src_start(src *s, uint64_t start, uint64_t end, uint64_t stop)
{
    s->end = end;
    s->stop = stop;
    s->in_len = s->in_off = 0;
    s->in_base = s->next_read = start;
    s->tail = TF_CORPUS_TAIL_READ;
    s->in_eof = false;
    s->frame_start = start;
    s->frame_open = false;
    s->feed = FRAME_PREFIX;
    if (s->dctx)
        ZSTD_DCtx_reset(s->dctx, ZSTD_reset_session_only);
}

/* How much to read next: up to the shard's end exactly, then small reads
 * that grow (finishing a last line usually needs a few bytes), never past
 * stop. */
static size_t src_want(src *s)
{
    size_t want = TF_CORPUS_READ_BUF;
    if (s->next_read < s->end) {
        if (s->end - s->next_read < want)
            want = (size_t)(s->end - s->next_read);
    } else {
        want = s->tail;
        if (s->tail < TF_CORPUS_READ_BUF)
            s->tail *= 2;
    }
    if (s->stop - s->next_read < want)
        want = (size_t)(s->stop - s->next_read);
    return want;
}

/* Make the input buffer hold at least n bytes (n <= TF_CORPUS_READ_BUF),
 * doubling so that a reader reallocates only a few times. TF_ERR_NOMEM
 * keeps the old buffer. */
static tf_err src_reserve(src *s, size_t n)
{
    if (n <= s->in_cap)
        return TF_OK;
    size_t cap = s->in_cap ? s->in_cap : 4096;
    while (cap < n)
        cap *= 2;
    if (cap > TF_CORPUS_READ_BUF)
        cap = TF_CORPUS_READ_BUF;
    unsigned char *p = realloc(s->in, cap);
    if (!p)
        return TF_ERR_NOMEM;
    s->in = p;
    s->in_cap = cap;
    return TF_OK;
}

/* Refill the input buffer. TF_ERR_IO (diag: path, offset, reason) when
 * pread fails, TF_ERR_NOMEM when the buffer cannot grow; end of file or
 * stop sets in_eof. */
static tf_err src_refill(src *s, tf_diag *d)
{
    if (s->next_read >= s->stop) {
        s->in_eof = true;
        return TF_OK;
    }
    size_t want = src_want(s);
    if (src_reserve(s, want) != TF_OK) {
        tf_diag_set(d, "%s: out of memory reading at byte %" PRIu64, s->path, s->next_read);
        return TF_ERR_NOMEM;
    }
    ssize_t got = pread_full(s->fd, s->in, want, s->next_read);
    if (got < 0) {
        tf_diag_set(d, "%s: read failed at byte %" PRIu64 ": %s", s->path, s->next_read,
                    strerror(errno));
        return TF_ERR_IO;
    }
    if (got == 0) {
        s->in_eof = true;
        return TF_OK;
    }
    s->in_base = s->next_read;
    s->in_len = (size_t)got;
    s->in_off = 0;
    s->next_read += (size_t)got;
    return TF_OK;
}

/* zstd input: make n bytes (at most TF_CORPUS_READ_BUF) available at
 * in + in_off, moving what is left to the front and reading more, unless
 * the data ends (end of file or stop) first, which sets in_eof. TF_ERR_IO /
 * TF_ERR_NOMEM as src_refill. */
static tf_err src_fill(src *s, size_t n, tf_diag *d)
{
    while (s->in_len - s->in_off < n && !s->in_eof) {
        size_t avail = s->in_len - s->in_off;
        if (s->in_off > 0) {
            memmove(s->in, s->in + s->in_off, avail);
            s->in_base += s->in_off;
            s->in_len = avail;
            s->in_off = 0;
        }
        if (s->next_read >= s->stop) {
            s->in_eof = true;
            break;
        }
        size_t want = src_want(s);
        if (want < n - avail)
            want = n - avail;
        if (want > TF_CORPUS_READ_BUF - avail)
            want = TF_CORPUS_READ_BUF - avail;
        if (s->stop - s->next_read < want)
            want = (size_t)(s->stop - s->next_read);
        if (src_reserve(s, avail + want) != TF_OK) {
            tf_diag_set(d, "%s: out of memory reading at byte %" PRIu64, s->path, s->next_read);
            return TF_ERR_NOMEM;
        }
        ssize_t got = pread_full(s->fd, s->in + avail, want, s->next_read);
        if (got < 0) {
            tf_diag_set(d, "%s: read failed at byte %" PRIu64 ": %s", s->path, s->next_read,
                        strerror(errno));
            return TF_ERR_IO;
        }
        if (got == 0)
            s->in_eof = true;
        s->in_len += (size_t)got;
        s->next_read += (size_t)got;
    }
    return TF_OK;
}

/* A fresh decoder for the next frame. zstd keeps its internal buffers
 * across frames (sized by earlier, larger windows), and how a corrupt block
 * fails (or whether it fails) can depend on their size: so that a frame
 * decodes the same whatever was decoded before it in the same shard, every
 * frame gets a new decoder. TF_ERR_NOMEM (diag) keeps the old one. */
static tf_err src_new_dctx(src *s, tf_diag *d)
{
    ZSTD_DCtx *c = ZSTD_createDCtx();
    if (!c ||
        ZSTD_isError(ZSTD_DCtx_setParameter(c, ZSTD_d_windowLogMax, TF_CORPUS_WINDOW_LOG_MAX))) {
        ZSTD_freeDCtx(c);
        tf_diag_set(d, "%s: out of memory for a zstd decoder", s->path);
        return TF_ERR_NOMEM;
    }
    ZSTD_freeDCtx(s->dctx);
    s->dctx = c;
    s->dctx_used = false;
    return TF_OK;
}

/* The next chunk of uncompressed bytes (zstd: possibly empty, at the end of
 * a frame that produced nothing more). TF_ERR_EOF at the end of the data;
 * TF_ERR_ZSTD when a frame is corrupt ("corrupt zstd data at byte N (frame
 * at byte F): reason") or cut by the end of the file ("truncated zstd frame
 * at byte F"), F and N being compressed offsets; TF_ERR_IO when a read
 * fails. After an error the stream must not be used again.
 *
 * The decoder is fed one unit per call: its return value is the rest of
 * the current unit (header, block or checksum) plus, when a block follows,
 * the 3 bytes of the next block header, which are held back. So each call
 * decodes at most one block or block header and flushes everything it
 * decodes (a block is at most 128 KiB, the output buffer 256 KiB). An error
 * then never swallows the output of earlier blocks, and N is the start of
 * the failing unit, whatever the input chunking, hence whatever the shard
 * split. (Were the hint to change meaning, only that property would be
 * lost: the decoder buffers partial units itself.) */
static tf_err src_next(src *s, const unsigned char **p, size_t *n, bool *owned, tf_diag *d)
{
    tf_err e;
    if (!s->zstd) {
        if (s->in_eof || s->next_read >= s->stop)
            return TF_ERR_EOF;
        uint64_t at = s->next_read;
        if ((e = src_refill(s, d)) != TF_OK)
            return e;
        if (s->in_eof)
            return TF_ERR_EOF;
        *p = s->in;
        *n = s->in_len;
        *owned = at < s->end;
        return TF_OK;
    }
    for (;;) {
        size_t want = s->feed < TF_CORPUS_READ_BUF ? s->feed : TF_CORPUS_READ_BUF;
        if ((e = src_fill(s, want, d)) != TF_OK)
            return e;
        size_t avail = s->in_len - s->in_off;
        bool dry = avail == 0 && s->in_eof;
        if (dry && !s->frame_open)
            return TF_ERR_EOF;
        if (!s->frame_open && s->dctx_used && (e = src_new_dctx(s, d)) != TF_OK)
            return e;
        s->dctx_used = true;
        ZSTD_inBuffer ib = {s->in, s->in_off + (avail < want ? avail : want), s->in_off};
        ZSTD_outBuffer ob = {s->out, TF_CORPUS_OUT_BUF, 0};
        uint64_t fs = s->frame_start;
        size_t ret = ZSTD_decompressStream(s->dctx, &ob, &ib);
        s->in_off = ib.pos;
        if (ret == 0 || ZSTD_isError(ret))
            s->feed = FRAME_PREFIX;
        else
            s->feed = ret > 3 ? ret - 3 : ret; /* hold back the next block header */
        if (ZSTD_isError(ret)) {
            tf_diag_set(d,
                        "%s: corrupt zstd data at byte %" PRIu64 " (frame at byte %" PRIu64 "): %s",
                        s->path, s->in_base + s->in_off, fs, ZSTD_getErrorName(ret));
            s->err_frame_owned = fs < s->end;
            return TF_ERR_ZSTD;
        }
        if (ret == 0) {
            s->frame_open = false;
            s->frame_start = s->in_base + s->in_off;
        } else {
            s->frame_open = true;
        }
        if (ob.pos > 0 || ret == 0) {
            /* an empty chunk marks a frame's end: the caller may stop there */
            *p = s->out;
            *n = ob.pos;
            *owned = fs < s->end;
            return TF_OK;
        }
        if (dry) {
            tf_diag_set(d, "%s: truncated zstd frame at byte %" PRIu64, s->path, fs);
            s->err_frame_owned = fs < s->end;
            return TF_ERR_ZSTD;
        }
    }
}

/* True when everything still to come lies past the shard's end: the next
 * plain byte is at or after end, or the next frame starts at or after end.
 * A reader that is between lines can then stop without reading (or
 * tripping over) data that belongs to the next shard. */
static bool src_past_end(const src *s)
{
    if (s->zstd)
        return !s->frame_open && s->frame_start >= s->end;
    return s->next_read >= s->end;
}

/* Allocate the buffers (and decoder) of a stream over fd. TF_ERR_NOMEM
 * leaves nothing allocated. */
static tf_err src_init(src *s, int fd, const char *path, bool zstd)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->path = path;
    s->zstd = zstd;
    if (zstd) {
        s->out = malloc(TF_CORPUS_OUT_BUF);
        s->dctx = ZSTD_createDCtx();
        if (!s->out || !s->dctx ||
            ZSTD_isError(
                ZSTD_DCtx_setParameter(s->dctx, ZSTD_d_windowLogMax, TF_CORPUS_WINDOW_LOG_MAX))) {
            free(s->out);
            ZSTD_freeDCtx(s->dctx);
            memset(s, 0, sizeof *s);
            return TF_ERR_NOMEM;
        }
    }
    return TF_OK;
}

/* Release what src_init allocated (the fd is the caller's). */
static void src_fini(src *s)
{
    free(s->in);
    free(s->out);
    ZSTD_freeDCtx(s->dctx);
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------------- */
/* sampling                                                               */
/* ---------------------------------------------------------------------- */

/* Mean line length from the head of a file, for turning "items per shard"
 * into bytes. Lines are counted by their '\n'; when the sample ends inside a
 * line, only the bytes through the last '\n' count (a sample with no '\n'
 * at all gives its own length, a lower bound). Damaged zstd data ends the
 * sample like its size limit does: the estimate comes from the bytes before
 * the damage (0 when there are none), because a damaged first file must not
 * stop a job whose readers report the damage as items. Fails only with
 * TF_ERR_IO (diag names the file) or TF_ERR_NOMEM. */
tf_err tf_corpus_sample_line_bytes(const char *path, size_t sample_bytes, double *out, tf_diag *d)
{
    *out = 0;
    int fd;
    uint64_t size;
    tf_err e = open_sized(path, &fd, &size, d);
    if (e != TF_OK)
        return e;
    src s;
    if ((e = src_init(&s, fd, path, tf_corpus_is_zstd(path))) != TF_OK) {
        close(fd);
        return e;
    }
    src_start(&s, 0, UINT64_MAX, UINT64_MAX);
    uint64_t bytes = 0, nl = 0, through_nl = 0;
    bool at_eof = false;
    unsigned char last = '\n';
    while (bytes < sample_bytes) {
        const unsigned char *p;
        size_t n;
        bool owned;
        tf_diag sd;
        sd.msg[0] = '\0';
        e = src_next(&s, &p, &n, &owned, &sd);
        if (e == TF_ERR_EOF) {
            e = TF_OK;
            at_eof = true;
            break;
        }
        if (e == TF_ERR_ZSTD) {
            e = TF_OK; /* the sample ends at the damage */
            break;
        }
        if (e != TF_OK) {
            tf_diag_set(d, "%s", sd.msg);
            break;
        }
        if (n > sample_bytes - bytes)
            n = (size_t)(sample_bytes - bytes);
        for (const unsigned char *q = p, *lim = p + n; q < lim;) {
            const unsigned char *c = memchr(q, '\n', (size_t)(lim - q));
            if (!c)
                break;
            nl++;
            through_nl = bytes + (uint64_t)(c - p) + 1;
            q = c + 1;
        }
        if (n)
            last = p[n - 1];
        bytes += n;
    }
    src_fini(&s);
    close(fd);
    if (e != TF_OK)
        return e;
    if (at_eof && last != '\n')
        *out = (double)bytes / (double)(nl + 1); /* a last line without '\n' */
    else if (at_eof)
        *out = nl ? (double)bytes / (double)nl : 0;
    else
        *out = nl ? (double)through_nl / (double)nl : (double)bytes;
    return TF_OK;
}

/* ---------------------------------------------------------------------- */
/* reader                                                                 */
/* ---------------------------------------------------------------------- */

struct tf_reader {
    char *path;
    int fd;
    uint64_t fsize;
    uint64_t begin, end;
    size_t max_line;
    src s;
    const unsigned char *cur; /* current chunk */
    size_t cur_len, cur_off;
    bool cur_owned;
    bool skipping; /* discarding the partial first line */
    bool in_line;  /* a line has started and not ended */
    bool overflow; /* the current line went past max_line */
    bool done;     /* EOF or an error was returned */
    uint64_t lineno;
    uint64_t overflow_len;
    tf_buf line;
    walker wk;      /* finds the frame after a damaged one */
    uint64_t limit; /* tf_reader_limit: results to return at most; 0: all */
    uint64_t given; /* results returned so far (records and errors) */
};

/* Scan backwards from target for the start of the frame that ends exactly
 * at target: candidates are zstd or skippable magic numbers, each verified
 * by walking its headers forward. The nearest verified candidate wins (a
 * false magic inside compressed data would have to parse as a frame and
 * end exactly at target). Cost: reads back at most to the previous frame's
 * start (to the file start when there is none). *found is false when no
 * frame ends at target; TF_ERR_IO (diag) only when a read fails. */
static tf_err find_prev_frame(tf_reader *r, uint64_t target, uint64_t *start, bool *found,
                              tf_diag *d)
{
    *found = false;
    if (target < 8 || target > r->fsize)
        return TF_OK;
    walker *w = malloc(sizeof *w);
    if (!w)
        return TF_ERR_NOMEM;
    w->fd = r->fd;
    w->fsize = r->fsize;
    w->base = 0;
    w->len = 0;
    const size_t win = TF_CORPUS_SCAN_WIN;
    if (src_reserve(&r->s, win) != TF_OK) {
        free(w);
        return TF_ERR_NOMEM;
    }
    unsigned char *buf = r->s.in; /* idle during open */
    uint64_t hi = target - 8 + 1; /* candidates p < hi: a frame is >= 8 bytes */
    tf_err e = TF_OK;
    while (hi > 0 && !*found && e == TF_OK) {
        uint64_t lo = hi > win - 3 ? hi - (win - 3) : 0;
        size_t n = (size_t)(hi - lo) + 3;
        ssize_t got = pread_full(r->fd, buf, n, lo);
        if (got < 0) {
            tf_diag_set(d, "%s: read failed at byte %" PRIu64 ": %s", r->path, lo, strerror(errno));
            e = TF_ERR_IO;
            break;
        }
        if ((size_t)got < n)
            break; /* the file shrank: give up */
        for (uint64_t p = hi; p-- > lo;) {
            const unsigned char *q = buf + (p - lo);
            uint32_t m = le32(q);
            if (m != ZSTD_MAGIC && (m & SKIP_MASK) != SKIP_MAGIC)
                continue;
            uint64_t next = 0, est = 0;
            walk_res wr = walk_frame(w, p, &next, &est);
            if (wr == WALK_IO) {
                tf_diag_set(d, "%s: read failed at byte %" PRIu64 ": %s", r->path, p,
                            strerror(errno));
                e = TF_ERR_IO;
                break;
            }
            if ((wr == WALK_FRAME || wr == WALK_SKIP) && next == target) {
                *start = p;
                *found = true;
                break;
            }
        }
        hi = lo;
    }
    free(w);
    return e;
}

/* Decide whether the uncompressed byte just before the shard is '\n', i.e.
 * whether the shard starts with a whole line. Plain: one pread. zstd: find
 * the previous frame and decompress it, keeping only its last byte; frames
 * that produce no bytes (skippable or empty) are stepped over, one more
 * frame each. A damaged previous frame (its own shard reports it) ends in
 * lost bytes that belong to a line, so the answer is no. When no frame ends
 * at begin (not a planned boundary) the shard is taken to start a line, so
 * no data is dropped silently. Fails only on a read error (TF_ERR_IO) or
 * TF_ERR_NOMEM. */
static tf_err starts_line(tf_reader *r, bool *yes, tf_diag *d)
{
    *yes = true;
    if (r->begin == 0)
        return TF_OK;
    if (!r->s.zstd) {
        unsigned char c;
        ssize_t got = pread_full(r->fd, &c, 1, r->begin - 1);
        if (got < 0) {
            tf_diag_set(d, "%s: read failed at byte %" PRIu64 ": %s", r->path, r->begin - 1,
                        strerror(errno));
            return TF_ERR_IO;
        }
        *yes = got == 0 || c == '\n';
        return TF_OK;
    }
    uint64_t target = r->begin;
    while (target > 0) {
        uint64_t start = 0;
        bool found;
        tf_err e = find_prev_frame(r, target, &start, &found, d);
        if (e != TF_OK || !found)
            return e;
        src_start(&r->s, start, UINT64_MAX, target);
        bool any = false;
        unsigned char last = 0;
        for (;;) {
            const unsigned char *p;
            size_t n;
            bool owned;
            tf_diag scratch = {{0}};
            e = src_next(&r->s, &p, &n, &owned, &scratch);
            if (e == TF_ERR_IO || e == TF_ERR_NOMEM) {
                tf_diag_set(d, "%s", scratch.msg);
                return e;
            }
            if (e != TF_OK)
                break;
            if (n > 0) {
                any = true;
                last = p[n - 1];
            }
        }
        if (e == TF_ERR_ZSTD) {
            /* Damaged previous frame: its lost bytes count as part of a
             * line (docs/corpus.md), so the partial first line is skipped,
             * exactly as a reader that read through the damage does. */
            *yes = false;
            return TF_OK;
        }
        if (any) {
            *yes = last == '\n';
            return TF_OK;
        }
        target = start;
    }
    return TF_OK;
}

/* Open a shard: open the file, allocate the fixed buffers, find out
 * whether the first line is partial. On failure nothing is left open and
 * the diag names the path (TF_ERR_IO) or the failure is TF_ERR_NOMEM. */
tf_err tf_reader_open(const char *path, const tf_shard *s, size_t max_line, tf_reader **out,
                      tf_diag *d)
{
    *out = NULL;
    tf_reader *r = calloc(1, sizeof *r);
    if (!r)
        return TF_ERR_NOMEM;
    r->fd = -1;
    r->path = strdup(path);
    if (!r->path) {
        free(r);
        return TF_ERR_NOMEM;
    }
    tf_err e = open_sized(path, &r->fd, &r->fsize, d);
    if (e == TF_OK)
        e = src_init(&r->s, r->fd, r->path, s->zstd != 0);
    if (e != TF_OK) {
        if (e == TF_ERR_NOMEM)
            tf_diag_set(d, "%s: out of memory opening a shard", path);
        tf_reader_free(r);
        return e;
    }
    r->begin = s->begin;
    r->end = s->end;
    r->max_line = max_line;
    /* one byte more than the cap so that a trailing '\r' can be stripped */
    tf_buf_init(&r->line, max_line < SIZE_MAX - 1 ? max_line + 1 : SIZE_MAX - 1);
    if (r->begin >= r->end || r->begin >= r->fsize) {
        r->done = true;
    } else {
        bool yes = true;
        e = starts_line(r, &yes, d);
        if (e != TF_OK) {
            tf_reader_free(r);
            return e;
        }
        r->skipping = !yes;
        src_start(&r->s, r->begin, r->end, UINT64_MAX);
    }
    *out = r;
    return TF_OK;
}

/* Whether a line is only whitespace (such lines are counted, never
 * returned). A NUL byte is content, not whitespace. */
static bool is_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v')
            return false;
    }
    return true;
}

/* A line has ended (at '\n' or at the end of the data): decide what it is.
 * Returns TF_OK for a record, TF_ERR_TOO_BIG for one over the cap and
 * TF_ERR_EOF for a blank line (the caller goes on). */
static tf_err finish_line(tf_reader *r, const char **line, size_t *len, uint64_t *lineno,
                          tf_diag *d)
{
    r->in_line = false;
    size_t n = r->line.len;
    if (!r->overflow && n > 0 && r->line.data[n - 1] == '\r')
        r->line.data[--n] = '\0';
    if (r->overflow || n > r->max_line) {
        uint64_t total = r->overflow ? r->overflow_len : n;
        *lineno = r->lineno;
        tf_diag_set(d,
                    "%s: line %" PRIu64 " of the shard at byte %" PRIu64
                    " is longer than %zu bytes (%" PRIu64 "+); skipped",
                    r->path, r->lineno, r->begin, r->max_line, total);
        tf_buf_reset(&r->line);
        return TF_ERR_TOO_BIG;
    }
    if (n == 0 || is_blank(r->line.data, n))
        return TF_ERR_EOF;
    *line = r->line.data;
    *len = n;
    *lineno = r->lineno;
    return TF_OK;
}

/* A frame of this shard is damaged (corrupt content, or cut by the end of
 * the file): report it once and resume at the next frame. The bytes lost
 * from the failing block to the frame's end count as one byte that is not
 * a newline: they join the line in progress (or the line carried over from
 * the previous shard, while skipping it), or start a new line between
 * lines; the partial line that follows them in the next frame is skipped.
 * *lineno is that line. The next frame is found by walking the damaged
 * frame's headers, exactly as the planner did, so every split resumes at
 * the same boundary; when the walk fails (the planner stopped there too and
 * gave the rest of the file to this shard) or the next frame belongs to a
 * later shard (which skips the same partial line itself), the shard ends.
 * Returns TF_ERR_ZSTD with the decoder's message in d (and, when reading
 * the headers failed, the read error after it: the shard then ends). */
static tf_err damaged(tf_reader *r, uint64_t *lineno, const tf_diag *sd, tf_diag *d)
{
    if (!r->skipping && !r->in_line)
        r->lineno++; /* the lost bytes start a line */
    *lineno = r->lineno;
    r->in_line = false;
    r->overflow = false;
    r->skipping = true;
    tf_buf_reset(&r->line);
    walker *w = &r->wk;
    w->fd = r->fd;
    w->fsize = r->fsize;
    w->base = 0;
    w->len = 0;
    uint64_t fs = r->s.frame_start, next = 0, est = 0;
    walk_res wr = walk_frame(w, fs, &next, &est);
    if (wr == WALK_IO)
        tf_diag_set(d, "%s; then read failed at byte %" PRIu64 ": %s", sd->msg, fs,
                    strerror(errno));
    else
        tf_diag_set(d, "%s", sd->msg);
    if ((wr == WALK_FRAME || wr == WALK_SKIP) && next > fs && next < r->end) {
        src_start(&r->s, next, r->end, UINT64_MAX);
        r->done = false;
    }
    return TF_ERR_ZSTD;
}

/* Assemble the next owned record from the chunks. Never holds more than
 * max_line + 1 bytes of a line: longer lines are discarded while read and
 * reported once (TF_ERR_TOO_BIG). A read error is returned once and ends
 * the shard; *lineno is the line in progress (the next one between lines,
 * 0 while still inside the line carried over from the previous shard, whose
 * last line it is). A damaged frame of this shard is reported once and
 * reading resumes at the next frame (damaged()). A decode error in a later
 * shard's frame just ends this shard: its owner reports it, so a damaged
 * file gives the same records and errors at the same lines for any split. */
static tf_err reader_next(tf_reader *r, const char **line, size_t *len, uint64_t *lineno,
                          tf_diag *d)
{
    *line = "";
    *len = 0;
    *lineno = r->lineno;
    while (!r->done) {
        if (r->cur_off == r->cur_len) {
            if (!r->in_line && !r->skipping && src_past_end(&r->s)) {
                r->done = true; /* the next line starts in the next shard */
                break;
            }
            tf_diag sd;
            sd.msg[0] = '\0';
            tf_err e = src_next(&r->s, &r->cur, &r->cur_len, &r->cur_owned, &sd);
            r->cur_off = 0;
            if (e != TF_OK) {
                r->cur_len = 0;
                r->done = true; /* damaged() may resume */
                if (e == TF_ERR_EOF && r->in_line) {
                    tf_err f = finish_line(r, line, len, lineno, d);
                    if (f != TF_ERR_EOF)
                        return f;
                }
                if (e == TF_ERR_EOF)
                    break;
                if (e == TF_ERR_ZSTD && !r->s.err_frame_owned) {
                    /* Damage in a later shard's frame, met while finishing
                     * the last line: that shard reports it (once, at the
                     * same line), so the output is the same for any split. */
                    break;
                }
                if (e == TF_ERR_ZSTD)
                    return damaged(r, lineno, &sd, d);
                *lineno = r->skipping || r->in_line ? r->lineno : r->lineno + 1;
                tf_diag_set(d, "%s", sd.msg);
                return e;
            }
            if (r->cur_len == 0)
                continue;
        }
        const char *p = (const char *)r->cur + r->cur_off;
        size_t n = r->cur_len - r->cur_off;
        const char *nl = memchr(p, '\n', n);
        if (r->skipping) {
            r->cur_off = nl ? r->cur_off + (size_t)(nl - p) + 1 : r->cur_len;
            r->skipping = nl == NULL;
            continue;
        }
        if (!r->in_line) {
            if (!r->cur_owned) {
                r->done = true; /* this line starts in the next shard */
                break;
            }
            r->in_line = true;
            r->overflow = false;
            r->overflow_len = 0;
            r->lineno++;
            tf_buf_reset(&r->line);
        }
        size_t take = nl ? (size_t)(nl - p) : n;
        if (!r->overflow) {
            tf_err e = tf_buf_append(&r->line, p, take);
            if (e == TF_ERR_TOO_BIG) {
                r->overflow = true;
                r->overflow_len = r->line.len;
                tf_buf_reset(&r->line);
            } else if (e != TF_OK) {
                r->done = true;
                tf_diag_set(d, "%s: out of memory reading line %" PRIu64, r->path, r->lineno);
                return e;
            }
        }
        if (r->overflow)
            r->overflow_len += take;
        r->cur_off += take;
        if (nl) {
            r->cur_off++;
            tf_err f = finish_line(r, line, len, lineno, d);
            if (f != TF_ERR_EOF)
                return f;
        }
    }
    *lineno = r->lineno;
    return TF_ERR_EOF;
}

/* The reader's results, counted for tf_reader_limit: past the limit the
 * shard ends as if the file ended after the last result's line. */
tf_err tf_reader_next(tf_reader *r, const char **line, size_t *len, uint64_t *lineno, tf_diag *d)
{
    if (r->limit && r->given >= r->limit) {
        *line = "";
        *len = 0;
        *lineno = r->lineno;
        r->done = true;
        return TF_ERR_EOF;
    }
    tf_err e = reader_next(r, line, len, lineno, d);
    if (e != TF_ERR_EOF)
        r->given++;
    return e;
}

void tf_reader_limit(tf_reader *r, uint64_t results)
{
    r->limit = results;
}

/* Owned lines started so far, blank and over-long ones included; the
 * coordinator adds these up to turn shard line numbers into file ones. */
uint64_t tf_reader_lines(const tf_reader *r)
{
    return r ? r->lineno : 0;
}

/* Close the file and release every buffer; NULL is accepted. */
void tf_reader_free(tf_reader *r)
{
    if (!r)
        return;
    src_fini(&r->s);
    tf_buf_free(&r->line);
    if (r->fd >= 0)
        close(r->fd);
    free(r->path);
    free(r);
}

/* ---------------------------------------------------------------------- */
/* sniffing: is this JSONL at all?                                        */
/* ---------------------------------------------------------------------- */

/* The head examined: decompressed bytes for a .zst file. */
#define TF_SNIFF_BYTES ((size_t)64 << 10)
/* Bytes of the head judged for binary content. */
#define TF_SNIFF_BINARY_WIN ((size_t)4 << 10)
/* Lines of the head tried as JSON values. */
#define TF_SNIFF_LINES 16
/* This many complete lines, none of them JSON, make text that is not JSONL
 * (fewer are left to the reader: a short file of bad lines is a few items). */
#define TF_SNIFF_MIN_TEXT_LINES 4

/* Magic numbers of formats that are not JSONL. A file is read as it is, so
 * a compressed file would become one bad_json item per line of binary. */
static const struct {
    const char *magic;
    size_t len;
    size_t off;
    const char *what;
} magics[] = {
    {"\x1f\x8b", 2, 0, "gzip-compressed data (decompress it, or recompress it with zstd as .zst)"},
    {"BZh", 3, 0, "bzip2-compressed data (decompress it, or recompress it with zstd as .zst)"},
    {"\xfd"
     "7zXZ\x00",
     6, 0, "xz-compressed data (decompress it, or recompress it with zstd as .zst)"},
    {"\x5d\x00\x00", 3, 0,
     "lzma-compressed data (decompress it, or recompress it with zstd as .zst)"},
    {"\x04\x22\x4d\x18", 4, 0,
     "lz4-compressed data (decompress it, or recompress it with zstd as .zst)"},
    {"\x02\x21\x4c\x18", 4, 0,
     "lz4-compressed data (legacy format; decompress it, or recompress it with zstd as .zst)"},
    {"LZIP", 4, 0, "lzip-compressed data (decompress it, or recompress it with zstd as .zst)"},
    {"\x1f\x9d", 2, 0, "compress (.Z) data (decompress it, or recompress it with zstd as .zst)"},
    {"\xff\x06\x00\x00sNaPpY", 10, 0,
     "snappy-compressed data (decompress it, or recompress it with zstd as .zst)"},
    {"PK\x03\x04", 4, 0, "a zip archive (extract the JSONL file from it)"},
    {"PK\x05\x06", 4, 0, "an empty zip archive"},
    {"7z\xbc\xaf\x27\x1c", 6, 0, "a 7z archive (extract the JSONL file from it)"},
    {"Rar!\x1a\x07", 6, 0, "a rar archive (extract the JSONL file from it)"},
    {"ustar", 5, 257, "a tar archive (extract the JSONL file from it)"}, /* NUL-padded name */
    {"PAR1", 4, 0, "a Parquet file (export it as JSONL)"},
    {"ARROW1", 6, 0, "an Arrow file (export it as JSONL)"},
    {"SQLite format 3\x00", 16, 0, "an SQLite database (export it as JSONL)"},
    {"\x93NUMPY", 6, 0, "a NumPy array file"},
    {"\x89PNG", 4, 0, "a PNG image"},
    {"\x7f"
     "ELF",
     4, 0, "an ELF executable"},
    {"%PDF-", 5, 0, "a PDF document"},
    {"\xff\xfe", 2, 0, "UTF-16 text (JSONL is UTF-8: convert it, e.g. with iconv)"},
    {"\xfe\xff", 2, 0, "UTF-16 text (JSONL is UTF-8: convert it, e.g. with iconv)"},
};

/* The known format whose magic number head starts with, or NULL. The zstd
 * magic counts only in a file whose name does not say zstd (a .zst file's
 * head is the decompressed data). */
static const char *magic_of(const unsigned char *h, size_t n, bool zstd_named)
{
    if (!zstd_named && n >= 4 && (le32(h) == ZSTD_MAGIC || (le32(h) & SKIP_MASK) == SKIP_MAGIC))
        return "zstd-compressed data, but its name does not end in .zst (rename it)";
    for (size_t i = 0; i < sizeof magics / sizeof *magics; i++)
        if (n >= magics[i].off + magics[i].len &&
            memcmp(h + magics[i].off, magics[i].magic, magics[i].len) == 0 &&
            (magics[i].off == 0 || memchr(h, 0, magics[i].off)))
            return magics[i].what; /* a magic further in counts only in binary data */
    return NULL;
}

/* Binary content: at least a tenth of the head's first bytes are neither
 * text nor whitespace (NUL and other control bytes, bytes of invalid UTF-8
 * sequences). JSONL holds no raw control byte at all, so a text corpus with
 * a few hostile lines stays far below; any real binary format is far above. */
static bool looks_binary(const unsigned char *h, size_t n)
{
    if (n > TF_SNIFF_BINARY_WIN)
        n = TF_SNIFF_BINARY_WIN;
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = h[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') ||
            c == 0x7f) {
            bad++;
            i++;
            continue;
        }
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t at = tf_utf8_invalid_at((const char *)h + i, n - i);
        if (at == 0) {
            bad++; /* an invalid sequence starts here */
            i++;
        } else {
            i += at; /* a run of valid text, up to the next invalid byte */
        }
    }
    return n > 0 && bad * 10 >= n;
}

/* A line of the head: [p, p + n), complete when its newline (or the end
 * of the whole file) was seen. */
typedef struct sniff_line {
    const char *p;
    size_t n;
    bool complete;
} sniff_line;

/* Whether the line is one JSON value with nothing but whitespace after. */
static bool is_json_value(const sniff_line *l)
{
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(l->p, l->n, &end, 0);
    if (!v)
        return false;
    cJSON_Delete(v);
    for (; end && end < l->p + l->n; end++)
        if (*end != ' ' && *end != '\t' && *end != '\r')
            return false;
    return true;
}

/* The first byte of the line that is not whitespace, or 0. */
static char first_char(const sniff_line *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strchr(" \t\r\f\v", l->p[i]))
            return l->p[i];
    return 0;
}

/* Whether a JSON value begun on this line is still open at its end (an
 * open bracket outside any string): the line is the start of a value that
 * spans lines. A JSON string cannot hold a raw newline, so a line ending
 * inside a string is just a broken line. */
static bool opens_value(const sniff_line *l)
{
    long depth = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < l->n; i++) {
        char c = l->p[i];
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth < 0)
                return false;
        }
    }
    return !in_str && depth > 0;
}

/* The start of a line for a message: printable ASCII, the rest as '?'. */
static void line_excerpt(const sniff_line *l, char *buf, size_t cap)
{
    size_t k = 0, i = 0;
    while (i < l->n && strchr(" \t\r\f\v", l->p[i]))
        i++;
    for (; i < l->n && k + 4 < cap && k < 40; i++)
        buf[k++] = (l->p[i] >= 0x20 && l->p[i] < 0x7f) ? l->p[i] : '?';
    if (i < l->n && k + 4 <= cap) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
}

/* Judge the head of a file (n bytes; whole: it is the whole content).
 * Returns NULL when it may be JSONL, else what it looks like. why is
 * scratch for a message that quotes the file. */
static const char *judge_head(const unsigned char *h, size_t n, bool whole, bool zstd_named,
                              char *why, size_t cap)
{
    if (n == 0)
        return NULL;
    const char *m = magic_of(h, n, zstd_named);
    if (m)
        return m;
    if (looks_binary(h, n))
        return "binary data (control bytes or invalid UTF-8 in its first bytes)";
    sniff_line lines[TF_SNIFF_LINES];
    size_t nl = 0;
    const char *p = (const char *)h, *lim = (const char *)h + n;
    while (p < lim && nl < TF_SNIFF_LINES) {
        const char *e = memchr(p, '\n', (size_t)(lim - p));
        sniff_line l = {p, e ? (size_t)(e - p) : (size_t)(lim - p), e != NULL || whole};
        p = e ? e + 1 : lim;
        if (first_char(&l))
            lines[nl++] = l;
    }
    if (nl == 0)
        return NULL; /* blank lines only: counted, never items */
    const sniff_line *l1 = &lines[0];
    char c1 = first_char(l1);
    /* a JSON value written over several lines: "[" or "{" opens it and the
     * next line is no JSON value of its own */
    if ((c1 == '[' || c1 == '{') && l1->complete && opens_value(l1) && !is_json_value(l1) &&
        (nl < 2 || !lines[1].complete || !is_json_value(&lines[1]))) {
        return c1 == '['
                   ? "a JSON array spanning several lines (pretty-printed JSON?), not one JSON "
                     "record per line"
                   : "a JSON object spanning several lines (pretty-printed JSON?), not one JSON "
                     "record per line";
    }
    /* a JSON array of records on one line: the whole file, or a first line
     * longer than the head */
    if (c1 == '[' && (!l1->complete || (nl == 1 && whole))) {
        const char *q = memchr(l1->p, '[', l1->n);
        for (q = q ? q + 1 : l1->p + l1->n; q < l1->p + l1->n && strchr(" \t\r\n", *q); q++)
            ;
        if (q < l1->p + l1->n && *q == '{')
            return "one JSON array of records on a single line (JSON, not JSONL: write one "
                   "record per line)";
    }
    size_t complete = 0, json = 0;
    for (size_t i = 0; i < nl; i++)
        if (lines[i].complete) {
            complete++;
            json += is_json_value(&lines[i]);
        }
    if (complete >= TF_SNIFF_MIN_TEXT_LINES && json == 0) {
        char ex[64];
        line_excerpt(l1, ex, sizeof ex);
        snprintf(why, cap,
                 "text that is not JSON: none of its first %zu lines is a JSON value "
                 "(the first begins \"%s\")",
                 complete, ex);
        return why;
    }
    return NULL;
}

/* Is path JSONL at all (corpus.h)? Its magic number, then its head: the
 * raw bytes, or for a .zst file the start of its first frames. Damaged or
 * non-zstd data in a .zst file is left to the reader, which reports it as
 * an item with its offset. */
tf_err tf_corpus_sniff(const char *path, tf_diag *what)
{
    int fd;
    uint64_t size;
    tf_err e = open_sized(path, &fd, &size, what);
    if (e != TF_OK)
        return e;
    bool zstd = tf_corpus_is_zstd(path);
    unsigned char *head = malloc(TF_SNIFF_BYTES);
    if (!head) {
        close(fd);
        return TF_ERR_NOMEM;
    }
    ssize_t got = pread_full(fd, head, TF_SNIFF_BYTES, 0);
    if (got < 0) {
        tf_diag_set(what, "%s: read failed at byte 0: %s", path, strerror(errno));
        free(head);
        close(fd);
        return TF_ERR_IO;
    }
    size_t n = (size_t)got;
    bool whole = (uint64_t)n == size;
    const char *verdict = magic_of(head, n, zstd);
    bool is_zstd_data =
        n >= 4 && (le32(head) == ZSTD_MAGIC || (le32(head) & SKIP_MASK) == SKIP_MAGIC);
    char why[TF_DIAG_LEN];
    why[0] = '\0';
    if (!verdict && zstd && is_zstd_data) {
        /* the decompressed start of the file, up to TF_SNIFF_BYTES */
        src s;
        e = src_init(&s, fd, path, true);
        if (e == TF_OK) {
            size_t have = 0;
            bool at_eof = false;
            src_start(&s, 0, UINT64_MAX, UINT64_MAX);
            while (have < TF_SNIFF_BYTES) {
                const unsigned char *p;
                size_t k;
                bool owned;
                tf_diag sd;
                sd.msg[0] = '\0';
                tf_err r = src_next(&s, &p, &k, &owned, &sd);
                if (r == TF_ERR_EOF)
                    at_eof = true;
                if (r != TF_OK)
                    break; /* damage ends the head: the reader reports it */
                if (k > TF_SNIFF_BYTES - have)
                    k = TF_SNIFF_BYTES - have;
                memcpy(head + have, p, k);
                have += k;
            }
            src_fini(&s);
            verdict = judge_head(head, have, at_eof, true, why, sizeof why);
        }
    } else if (!verdict && !zstd) {
        verdict = judge_head(head, n, whole, false, why, sizeof why);
    }
    free(head);
    close(fd);
    if (e != TF_OK)
        return e;
    if (verdict) {
        tf_diag_set(what, "%s", verdict);
        return TF_ERR_PARSE;
    }
    return TF_OK;
}
