/* maze_rules.c: the maze trace verifier (reference and strict verdicts).
 *
 * One streaming pass over the model output: a filtering tokeniser, the
 * published operation parser (lookahead of 4 tokens after create/close, 2
 * after plan, resume at a keyword), and two simulations run in lockstep:
 *
 *   reference: the published rules; the open list is a multiset of
 *              (x, y, g, h) entries that are only ever removed one at a
 *              time by a close, so entries of closed cells stay and count
 *              for the lowest f;
 *   strict:    entries of closed cells are dead (as in A*), plus checks of
 *              g, h, the start, complete expansions and nothing after the
 *              goal.
 *
 * The plan verdict is computed on the fly for the current trailing run of
 * plan entries (any create/close action resets it), so nothing but the
 * open lists and per-cell state is stored: memory is O(creates + cells),
 * time O(n log n). See docs/maze.md for the rules and every code.
 */
#include "tracefarm/maze_verify.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ----- code names -------------------------------------------------------- */

static const char *const code_names[TF_MAZE_CODE_COUNT] = {
    [TF_MAZE_OK] = "ok",
    [TF_MAZE_OPERATION_SYNTAX_ERROR] = "operation_syntax_error",
    [TF_MAZE_INVALID_COORDINATES] = "invalid_coordinates",
    [TF_MAZE_CREATE_CLOSE_WALL] = "create_close_wall",
    [TF_MAZE_FIRST_CREATE_NOT_LAST_CLOSED] = "first_create_not_last_closed",
    [TF_MAZE_CREATE_NON_NEIGHBOR] = "create_non_neighbor",
    [TF_MAZE_CREATE_ALREADY_CLOSED] = "create_already_closed",
    [TF_MAZE_CLOSE_NOT_IN_OPEN_LIST] = "close_not_in_open_list",
    [TF_MAZE_CLOSE_NOT_LOWEST_F_VALUE] = "close_not_lowest_f_value",
    [TF_MAZE_GOAL_NOT_REACHED] = "goal_not_reached",
    [TF_MAZE_PLAN_EXTRACTION_ERROR] = "plan_extraction_error",
    [TF_MAZE_PLAN_LENGTH_MISMATCH] = "plan_length_mismatch",
    [TF_MAZE_EXTRACTED_PLAN_INVALID] = "extracted_plan_invalid",
    [TF_MAZE_STRICT_WRONG_G] = "wrong_g",
    [TF_MAZE_STRICT_WRONG_H] = "wrong_h",
    [TF_MAZE_STRICT_START_NOT_FIRST] = "start_not_first",
    [TF_MAZE_STRICT_CLOSE_ALREADY_CLOSED] = "close_already_closed",
    [TF_MAZE_STRICT_MISSING_NEIGHBOR] = "missing_neighbor",
    [TF_MAZE_STRICT_AFTER_GOAL] = "after_goal",
    [TF_MAZE_PLAN_SYNTAX_ERROR] = "plan_syntax_error",
    [TF_MAZE_ILLEGAL_START] = "illegal_start",
    [TF_MAZE_ILLEGAL_MOVE] = "illegal_move",
    [TF_MAZE_PLAN_GOAL_NOT_REACHED] = "plan_goal_not_reached",
};

const char *tf_maze_code_name(tf_maze_code c)
{
    if ((int)c < 0 || (int)c >= (int)TF_MAZE_CODE_COUNT)
        return NULL;
    return code_names[c];
}

/* ----- tokeniser ---------------------------------------------------------- */

typedef struct tok {
    const char *p;
    size_t n;
} tok;

enum { K_OTHER = 0, K_CREATE, K_CLOSE, K_PLAN };

#define LOOKAHEAD 5

typedef struct lexer {
    const char *s;
    size_t len;
    size_t pos;
    bool beyond;
    bool done; /* eos seen or end of text */
    /* beyond: the first solution and the first end were dropped; later
     * ones are ordinary tokens (the dialect has one of each) */
    bool seen_solution, seen_end;
    tok peek[LOOKAHEAD];
    int npeek;
} lexer;

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool tok_is(tok t, const char *w)
{
    size_t n = strlen(w);
    return t.n == n && memcmp(t.p, w, n) == 0;
}

/* The next whitespace-separated token of the raw text. */
static bool raw_next(const char *s, size_t len, size_t *pos, tok *t)
{
    size_t i = *pos;
    while (i < len && is_space((unsigned char)s[i]))
        i++;
    if (i >= len) {
        *pos = len;
        return false;
    }
    size_t b = i;
    while (i < len && !is_space((unsigned char)s[i]))
        i++;
    t->p = s + b;
    t->n = i - b;
    *pos = i;
    return true;
}

static void lex_init(lexer *L, tf_maze_dialect d, const char *s, size_t len)
{
    L->s = s ? s : "";
    L->len = s ? len : 0;
    L->pos = 0;
    L->beyond = d == TF_MAZE_BEYOND;
    L->done = false;
    L->seen_solution = false;
    L->seen_end = false;
    L->npeek = 0;
    if (L->beyond) {
        /* Skip everything up to and including the first "reasoning". */
        size_t p = 0;
        tok t;
        while (raw_next(L->s, L->len, &p, &t)) {
            if (tok_is(t, "reasoning")) {
                L->pos = p;
                break;
            }
        }
    }
}

/* The next token after filtering: bos skipped, eos ends the output, and
 * in the beyond dialect the first solution and the first end are dropped. */
static bool filtered_next(lexer *L, tok *t)
{
    while (!L->done) {
        if (!raw_next(L->s, L->len, &L->pos, t)) {
            L->done = true;
            break;
        }
        if (tok_is(*t, "bos"))
            continue;
        if (tok_is(*t, "eos")) {
            L->done = true;
            break;
        }
        if (L->beyond && !L->seen_solution && tok_is(*t, "solution")) {
            L->seen_solution = true;
            continue;
        }
        if (L->beyond && !L->seen_end && tok_is(*t, "end")) {
            L->seen_end = true;
            continue;
        }
        return true;
    }
    return false;
}

/* Token k (0-based) ahead of the cursor, without consuming it. */
static bool lex_peek(lexer *L, int k, tok *t)
{
    while (L->npeek <= k) {
        if (!filtered_next(L, &L->peek[L->npeek]))
            return false;
        L->npeek++;
    }
    *t = L->peek[k];
    return true;
}

static void lex_drop(lexer *L, int k)
{
    if (k > L->npeek)
        k = L->npeek;
    memmove(L->peek, L->peek + k, (size_t)(L->npeek - k) * sizeof L->peek[0]);
    L->npeek -= k;
}

static bool lex_take(lexer *L, tok *t)
{
    if (!lex_peek(L, 0, t))
        return false;
    lex_drop(L, 1);
    return true;
}

static int keyword(tok t)
{
    if (tok_is(t, "create"))
        return K_CREATE;
    if (tok_is(t, "close"))
        return K_CLOSE;
    if (tok_is(t, "plan"))
        return K_PLAN;
    return K_OTHER;
}

/* Decimal integer in int32 range; an optional sign when allow_sign. */
static bool parse_i32(const char *p, size_t n, bool allow_sign, int32_t *out)
{
    bool neg = false;
    if (n > 0 && allow_sign && (p[0] == '-' || p[0] == '+')) {
        neg = p[0] == '-';
        p++;
        n--;
    }
    if (n == 0)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
        if (v > (int64_t)INT32_MAX + 1)
            return false;
    }
    if (neg)
        v = -v;
    if (v < INT32_MIN || v > INT32_MAX)
        return false;
    *out = (int32_t)v;
    return true;
}

static bool parse_cost(tok t, int32_t *out)
{
    return t.n >= 2 && t.p[0] == 'c' && parse_i32(t.p + 1, t.n - 1, false, out);
}

/* ----- parser --------------------------------------------------------------- */

typedef enum item_kind {
    IT_END = 0,
    IT_OP,       /* a well-formed create/close */
    IT_OP_BAD,   /* a garbled create/close: counts as an operation */
    IT_PLAN,     /* a well-formed plan x y */
    IT_PLAN_BAD, /* a garbled plan entry */
    IT_STRAY,    /* any other token */
} item_kind;

typedef struct item {
    item_kind kind;
    bool close;
    int32_t x, y, g, h;
    const char *at; /* where its first token starts (NULL for IT_END) */
} item;

/* Look at up to want tokens after the keyword: if one is a keyword, drop
 * the ones before it and return false (parsing resumes at the keyword);
 * if fewer than want remain, drop them and return false. */
static bool take_args(lexer *L, int want, tok *a)
{
    for (int i = 0; i < want; i++) {
        if (!lex_peek(L, i, &a[i]) || keyword(a[i]) != K_OTHER) {
            lex_drop(L, i);
            return false;
        }
    }
    lex_drop(L, want);
    return true;
}

static item next_item(lexer *L)
{
    item it = {0};
    tok t;
    tok a[4];
    if (!lex_take(L, &t))
        return it;
    it.at = t.p;
    int k = keyword(t);
    if (k == K_CREATE || k == K_CLOSE) {
        it.close = k == K_CLOSE;
        it.kind = IT_OP_BAD;
        if (take_args(L, 4, a) && parse_i32(a[0].p, a[0].n, true, &it.x) &&
            parse_i32(a[1].p, a[1].n, true, &it.y) && parse_cost(a[2], &it.g) &&
            parse_cost(a[3], &it.h))
            it.kind = IT_OP;
        return it;
    }
    if (k == K_PLAN) {
        it.kind = IT_PLAN_BAD;
        if (take_args(L, 2, a) && parse_i32(a[0].p, a[0].n, true, &it.x) &&
            parse_i32(a[1].p, a[1].n, true, &it.y))
            it.kind = IT_PLAN;
        return it;
    }
    it.kind = IT_STRAY;
    return it;
}

long tf_maze_count_ops(tf_maze_dialect d, const char *output, size_t len)
{
    lexer L;
    lex_init(&L, d, output, len);
    long n = 0;
    for (;;) {
        item it = next_item(&L);
        if (it.kind == IT_END)
            break;
        if (it.kind == IT_OP || it.kind == IT_OP_BAD)
            n++;
    }
    return n;
}

/* The next well-formed plan entry at or after the cursor. */
static bool next_plan(lexer *L, item *it)
{
    for (;;) {
        *it = next_item(L);
        if (it->kind == IT_END)
            return false;
        if (it->kind == IT_PLAN)
            return true;
    }
}

void tf_maze_scan_parts(tf_maze_dialect d, const char *output, size_t len, size_t at,
                        tf_maze_parts *out)
{
    memset(out, 0, sizeof *out);
    out->plans_differ = -1;
    const char *cut = output ? output + (at < len ? at : len) : NULL;
    lexer L;
    lex_init(&L, d, output, len);
    /* per part: where its last plan run starts (the lexer before its first
     * entry), its entries, and whether a garbled entry follows its last
     * action (then the part has no usable plan) */
    lexer run[2];
    memset(run, 0, sizeof run);
    long runlen[2] = {0, 0};
    bool garbled[2] = {false, false};
    for (;;) {
        lexer before = L;
        item it = next_item(&L);
        if (it.kind == IT_END)
            break;
        int part = it.at < cut ? 0 : 1;
        if (part == 0 && (it.kind == IT_OP || it.kind == IT_OP_BAD))
            out->reasoning_ops++;
        if (part == 0 && (it.kind == IT_OP_BAD || it.kind == IT_PLAN_BAD || it.kind == IT_STRAY))
            out->reasoning_syntax++;
        if (it.kind == IT_OP) {
            runlen[part] = 0; /* an action ends the part's plan run */
            garbled[part] = false;
        } else if (it.kind == IT_PLAN) {
            if (runlen[part]++ == 0)
                run[part] = before;
        } else if (it.kind == IT_PLAN_BAD) {
            garbled[part] = true;
        }
    }
    if (runlen[0] == 0 || runlen[1] == 0 || garbled[0] || garbled[1])
        return;
    out->plans_differ = runlen[0] != runlen[1];
    for (long i = 0; !out->plans_differ && i < runlen[0]; i++) {
        item a, b;
        if (!next_plan(&run[0], &a) || !next_plan(&run[1], &b))
            break; /* cannot happen: the entries were counted */
        out->plans_differ = a.x != b.x || a.y != b.y;
    }
}

/* ----- open list: a multiset of (cell, g, h) with two sets of counts ------ */

typedef struct entry {
    int32_t cell, g, h;
    uint32_t rcount;  /* reference: live copies */
    uint32_t rinheap; /* reference: heap nodes that name this entry */
    uint32_t scount;  /* strict: copies */
} entry;

typedef struct mset {
    entry *e;
    size_t n, cap;
    uint32_t *slot; /* id + 1, 0 = empty */
    size_t mask;
} mset;

static uint64_t mix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

static uint64_t key_hash(int32_t cell, int32_t g, int32_t h)
{
    uint64_t a = ((uint64_t)(uint32_t)cell << 32) | (uint32_t)g;
    return mix64(a ^ mix64((uint64_t)(uint32_t)h + 0x9e3779b97f4a7c15ULL));
}

static void mset_free(mset *s)
{
    free(s->e);
    free(s->slot);
}

static tf_err mset_rehash(mset *s, size_t nslots)
{
    uint32_t *slot = calloc(nslots, sizeof *slot);
    if (!slot)
        return TF_ERR_NOMEM;
    size_t mask = nslots - 1;
    for (size_t id = 0; id < s->n; id++) {
        const entry *e = &s->e[id];
        size_t i = (size_t)key_hash(e->cell, e->g, e->h) & mask;
        while (slot[i])
            i = (i + 1) & mask;
        slot[i] = (uint32_t)id + 1;
    }
    free(s->slot);
    s->slot = slot;
    s->mask = mask;
    return TF_OK;
}

static long mset_find(const mset *s, int32_t cell, int32_t g, int32_t h)
{
    if (!s->slot)
        return -1;
    size_t i = (size_t)key_hash(cell, g, h) & s->mask;
    while (s->slot[i]) {
        const entry *e = &s->e[s->slot[i] - 1];
        if (e->cell == cell && e->g == g && e->h == h)
            return (long)s->slot[i] - 1;
        i = (i + 1) & s->mask;
    }
    return -1;
}

/* The id of (cell, g, h), inserted with zero counts if absent. */
static tf_err mset_get(mset *s, int32_t cell, int32_t g, int32_t h, uint32_t *id)
{
    long f = mset_find(s, cell, g, h);
    if (f >= 0) {
        *id = (uint32_t)f;
        return TF_OK;
    }
    if (!s->slot || (s->n + 1) * 2 > s->mask + 1) {
        tf_err err = mset_rehash(s, s->slot ? (s->mask + 1) * 2 : 64);
        if (err)
            return err;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        entry *e = realloc(s->e, cap * sizeof *e);
        if (!e)
            return TF_ERR_NOMEM;
        s->e = e;
        s->cap = cap;
    }
    entry *e = &s->e[s->n];
    e->cell = cell;
    e->g = g;
    e->h = h;
    e->rcount = e->rinheap = e->scount = 0;
    size_t i = (size_t)key_hash(cell, g, h) & s->mask;
    while (s->slot[i])
        i = (i + 1) & s->mask;
    s->slot[i] = (uint32_t)s->n + 1;
    *id = (uint32_t)s->n++;
    return TF_OK;
}

/* ----- min-heap of (f, entry id) with lazy deletion ------------------------- */

typedef struct hnode {
    int64_t f;
    uint32_t id;
} hnode;

typedef struct heap {
    hnode *a;
    size_t n, cap;
} heap;

static tf_err heap_push(heap *hp, int64_t f, uint32_t id)
{
    if (hp->n == hp->cap) {
        size_t cap = hp->cap ? hp->cap * 2 : 32;
        hnode *a = realloc(hp->a, cap * sizeof *a);
        if (!a)
            return TF_ERR_NOMEM;
        hp->a = a;
        hp->cap = cap;
    }
    size_t i = hp->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (hp->a[p].f <= f)
            break;
        hp->a[i] = hp->a[p];
        i = p;
    }
    hp->a[i].f = f;
    hp->a[i].id = id;
    return TF_OK;
}

static void heap_pop(heap *hp)
{
    hnode last = hp->a[--hp->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= hp->n)
            break;
        if (c + 1 < hp->n && hp->a[c + 1].f < hp->a[c].f)
            c++;
        if (hp->a[c].f >= last.f)
            break;
        hp->a[i] = hp->a[c];
        i = c;
    }
    if (hp->n > 0)
        hp->a[i] = last;
}

/* ----- verdict accumulation ------------------------------------------------- */

typedef struct acc {
    long errors;
    tf_maze_code first;
    long first_step;
} acc;

static void acc_add(acc *a, tf_maze_code c, long step)
{
    if (a->errors++ == 0) {
        a->first = c;
        a->first_step = step;
    }
}

/* ----- the verifier ------------------------------------------------------------ */

#define G_NONE UINT32_MAX
#define CLOSED_REF 1u
#define CLOSED_STRICT 2u

/* One simulation's per-trace state (reference or strict). */
typedef struct sim {
    acc a;
    bool any_closed;
    int32_t last_cell; /* most recently closed cell */
    int32_t last_g;    /* g of the entry that closed it (strict) */
    uint32_t *best;    /* per cell: lowest g created, G_NONE if none */
    int32_t *parent;   /* per cell: parent cell, -1 if none */
    heap hp;
} sim;

typedef struct verifier {
    const tf_maze *m;
    tf_maze_dialect d;
    int rows, cols;
    long cells;
    int sx, sy, gx, gy;
    int32_t start, goal;
    uint8_t *closed; /* CLOSED_REF | CLOSED_STRICT */
    mset open;
    sim ref, st;
    acc ref_syntax; /* reference: syntax errors (they take precedence) */
    /* strict only */
    bool start_created; /* searchformer: the pre-close create happened */
    bool goal_closed;
    uint32_t exp;      /* current expansion number (strict closes) */
    uint32_t *created; /* per cell: expansion number of its last create */
    bool pending;      /* an expansion awaits its completeness check */
    int32_t pend_cell;
    int32_t pend_g;
    uint32_t pend_exp;
    /* plan: the current trailing run */
    bool plan_syntax;
    long plan_n;
    tf_maze_code plan_err;
    int32_t plan_lx, plan_ly;
} verifier;

static int64_t manhattan(const verifier *V, int64_t x, int64_t y)
{
    int64_t dx = x - V->gx, dy = y - V->gy;
    return (dx < 0 ? -dx : dx) + (dy < 0 ? -dy : dy);
}

static bool adjacent(int64_t ax, int64_t ay, int64_t bx, int64_t by)
{
    int64_t dx = ax - bx, dy = ay - by;
    return (dx < 0 ? -dx : dx) + (dy < 0 ? -dy : dy) == 1;
}

static bool cells_adjacent(const verifier *V, int32_t a, int32_t b)
{
    return adjacent(a % V->cols, a / V->cols, b % V->cols, b / V->cols);
}

static void verifier_free(verifier *V)
{
    free(V->closed);
    free(V->created);
    mset_free(&V->open);
    free(V->ref.best);
    free(V->ref.parent);
    free(V->ref.hp.a);
    free(V->st.best);
    free(V->st.parent);
    free(V->st.hp.a);
}

static tf_err sim_init(sim *s, long cells)
{
    s->best = malloc((size_t)cells * sizeof *s->best);
    s->parent = malloc((size_t)cells * sizeof *s->parent);
    if (!s->best || !s->parent)
        return TF_ERR_NOMEM;
    memset(s->best, 0xff, (size_t)cells * sizeof *s->best);     /* G_NONE */
    memset(s->parent, 0xff, (size_t)cells * sizeof *s->parent); /* -1 */
    s->last_cell = -1;
    return TF_OK;
}

/* Record a new open entry (cell, g, h) in simulation s (ref or strict). */
static tf_err sim_open(verifier *V, sim *s, bool is_ref, int32_t cell, int32_t g, int32_t h)
{
    uint32_t id;
    tf_err err = mset_get(&V->open, cell, g, h, &id);
    if (err)
        return err;
    entry *e = &V->open.e[id];
    if (is_ref) {
        e->rcount++;
        e->rinheap++;
    } else {
        e->scount++;
    }
    if (s->best[cell] == G_NONE || (uint32_t)g < s->best[cell]) {
        s->best[cell] = (uint32_t)g;
        s->parent[cell] = s->any_closed ? s->last_cell : -1;
    }
    return heap_push(&s->hp, (int64_t)g + h, id);
}

/* Lowest f over the reference's live entries (all entries with copies). */
static int64_t ref_min_f(verifier *V)
{
    heap *hp = &V->ref.hp;
    while (hp->n > 0) {
        entry *e = &V->open.e[hp->a[0].id];
        if (e->rinheap <= e->rcount)
            return hp->a[0].f;
        e->rinheap--;
        heap_pop(hp);
    }
    return INT64_MAX;
}

/* Lowest f over the strict live entries: entries of cells not closed. */
static int64_t strict_min_f(verifier *V)
{
    heap *hp = &V->st.hp;
    while (hp->n > 0) {
        const entry *e = &V->open.e[hp->a[0].id];
        if (!(V->closed[e->cell] & CLOSED_STRICT) && e->scount > 0)
            return hp->a[0].f;
        heap_pop(hp);
    }
    return INT64_MAX;
}

static void plan_reset(verifier *V)
{
    V->plan_n = 0;
    V->plan_err = TF_MAZE_OK;
}

static void plan_add(verifier *V, int32_t x, int32_t y)
{
    if (V->plan_n == 0) {
        if (x != V->sx || y != V->sy)
            V->plan_err = TF_MAZE_ILLEGAL_START;
    } else if (V->plan_err == TF_MAZE_OK) {
        if (!tf_maze_in_grid(V->m, x, y) || tf_maze_is_wall(V->m, x, y) ||
            !adjacent(x, y, V->plan_lx, V->plan_ly))
            V->plan_err = TF_MAZE_ILLEGAL_MOVE;
    }
    V->plan_lx = x;
    V->plan_ly = y;
    V->plan_n++;
}

static tf_err ref_op(verifier *V, const item *it, long step)
{
    sim *s = &V->ref;
    int32_t cell = it->y * V->cols + it->x;
    if (!it->close) {
        if (!s->any_closed) {
            if (V->d == TF_MAZE_BEYOND) {
                acc_add(&s->a, TF_MAZE_FIRST_CREATE_NOT_LAST_CLOSED, step);
                return TF_OK;
            }
        } else if (!cells_adjacent(V, cell, s->last_cell)) {
            acc_add(&s->a, TF_MAZE_CREATE_NON_NEIGHBOR, step);
            return TF_OK;
        } else if (V->closed[cell] & CLOSED_REF) {
            acc_add(&s->a, TF_MAZE_CREATE_ALREADY_CLOSED, step);
            return TF_OK;
        }
        return sim_open(V, s, true, cell, it->g, it->h);
    }
    long id = mset_find(&V->open, cell, it->g, it->h);
    if (id < 0 || V->open.e[id].rcount == 0) {
        acc_add(&s->a, TF_MAZE_CLOSE_NOT_IN_OPEN_LIST, step);
        return TF_OK;
    }
    if ((int64_t)it->g + it->h != ref_min_f(V)) {
        acc_add(&s->a, TF_MAZE_CLOSE_NOT_LOWEST_F_VALUE, step);
        return TF_OK;
    }
    V->open.e[id].rcount--;
    V->closed[cell] |= CLOSED_REF;
    s->any_closed = true;
    s->last_cell = cell;
    s->last_g = it->g;
    return TF_OK;
}

/* Strict: the expansion of the last non-goal closed node must have created
 * every improvable free neighbour; checked at the next close keyword. */
static void strict_check_expansion(verifier *V, long step)
{
    if (!V->pending)
        return;
    V->pending = false;
    static const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
    int px = V->pend_cell % V->cols, py = V->pend_cell / V->cols;
    for (int k = 0; k < 4; k++) {
        int nx = px + dx[k], ny = py + dy[k];
        if (!tf_maze_in_grid(V->m, nx, ny) || tf_maze_is_wall(V->m, nx, ny))
            continue;
        int32_t c = ny * V->cols + nx;
        if (V->closed[c] & CLOSED_STRICT)
            continue;
        if (V->created[c] == V->pend_exp)
            continue;
        uint32_t best = V->st.best[c];
        if (best != G_NONE && (int64_t)best <= (int64_t)V->pend_g + 1)
            continue;
        acc_add(&V->st.a, TF_MAZE_STRICT_MISSING_NEIGHBOR, step);
    }
}

static tf_err strict_op(verifier *V, const item *it, long step)
{
    sim *s = &V->st;
    int32_t cell = it->y * V->cols + it->x;
    if (!it->close) {
        if (!s->any_closed) {
            if (V->d == TF_MAZE_BEYOND) {
                acc_add(&s->a, TF_MAZE_FIRST_CREATE_NOT_LAST_CLOSED, step);
                return TF_OK;
            }
            if (V->start_created || cell != V->start) {
                acc_add(&s->a, TF_MAZE_STRICT_START_NOT_FIRST, step);
                return TF_OK;
            }
            if (it->g != 0) {
                acc_add(&s->a, TF_MAZE_STRICT_WRONG_G, step);
                return TF_OK;
            }
        } else {
            if (!cells_adjacent(V, cell, s->last_cell)) {
                acc_add(&s->a, TF_MAZE_CREATE_NON_NEIGHBOR, step);
                return TF_OK;
            }
            if (V->closed[cell] & CLOSED_STRICT) {
                acc_add(&s->a, TF_MAZE_CREATE_ALREADY_CLOSED, step);
                return TF_OK;
            }
            if ((int64_t)it->g != (int64_t)s->last_g + 1) {
                acc_add(&s->a, TF_MAZE_STRICT_WRONG_G, step);
                return TF_OK;
            }
        }
        if ((int64_t)it->h != manhattan(V, it->x, it->y)) {
            acc_add(&s->a, TF_MAZE_STRICT_WRONG_H, step);
            return TF_OK;
        }
        if (!s->any_closed)
            V->start_created = true;
        V->created[cell] = V->exp;
        return sim_open(V, s, false, cell, it->g, it->h);
    }
    if (V->closed[cell] & CLOSED_STRICT) {
        acc_add(&s->a, TF_MAZE_STRICT_CLOSE_ALREADY_CLOSED, step);
        return TF_OK;
    }
    long id = mset_find(&V->open, cell, it->g, it->h);
    if (id < 0 || V->open.e[id].scount == 0) {
        acc_add(&s->a, TF_MAZE_CLOSE_NOT_IN_OPEN_LIST, step);
        return TF_OK;
    }
    if ((int64_t)it->g + it->h != strict_min_f(V)) {
        acc_add(&s->a, TF_MAZE_CLOSE_NOT_LOWEST_F_VALUE, step);
        return TF_OK;
    }
    V->open.e[id].scount--;
    V->closed[cell] |= CLOSED_STRICT;
    s->any_closed = true;
    s->last_cell = cell;
    s->last_g = it->g;
    V->exp++;
    if (cell == V->goal) {
        V->goal_closed = true;
    } else {
        V->pending = true;
        V->pend_cell = cell;
        V->pend_g = it->g;
        V->pend_exp = V->exp;
    }
    return TF_OK;
}

/* One create/close, well-formed or not, at operation index step. */
static tf_err do_op(verifier *V, const item *it, long step)
{
    if (it->close)
        strict_check_expansion(V, step);
    if (it->kind == IT_OP_BAD) {
        acc_add(&V->ref_syntax, TF_MAZE_OPERATION_SYNTAX_ERROR, step);
        acc_add(&V->st.a, TF_MAZE_OPERATION_SYNTAX_ERROR, step);
        return TF_OK;
    }
    plan_reset(V); /* an action ends any plan run before it */
    bool strict_after = V->goal_closed;
    if (!tf_maze_in_grid(V->m, it->x, it->y)) {
        acc_add(&V->ref.a, TF_MAZE_INVALID_COORDINATES, step);
        acc_add(&V->st.a, strict_after ? TF_MAZE_STRICT_AFTER_GOAL : TF_MAZE_INVALID_COORDINATES,
                step);
        return TF_OK;
    }
    if (tf_maze_is_wall(V->m, it->x, it->y)) {
        acc_add(&V->ref.a, TF_MAZE_CREATE_CLOSE_WALL, step);
        acc_add(&V->st.a, strict_after ? TF_MAZE_STRICT_AFTER_GOAL : TF_MAZE_CREATE_CLOSE_WALL,
                step);
        return TF_OK;
    }
    tf_err err = ref_op(V, it, step);
    if (err)
        return err;
    if (strict_after) {
        acc_add(&V->st.a, TF_MAZE_STRICT_AFTER_GOAL, step);
        return TF_OK;
    }
    return strict_op(V, it, step);
}

/* End-of-trace checks of one simulation. */
static void end_checks(verifier *V, sim *s, unsigned closed_bit, long step)
{
    long extracted = 0;
    bool legal = true;
    if (!(V->closed[V->goal] & closed_bit)) {
        acc_add(&s->a, TF_MAZE_GOAL_NOT_REACHED, step);
    } else {
        int32_t c = V->goal;
        long n = 1;
        while (c != V->start) {
            int32_t p = s->parent[c];
            if (p < 0 || n > V->cells) {
                n = -1;
                break;
            }
            int px = p % V->cols, py = p / V->cols;
            if (!cells_adjacent(V, p, c) || tf_maze_is_wall(V->m, px, py))
                legal = false;
            c = p;
            n++;
        }
        if (n < 0)
            acc_add(&s->a, TF_MAZE_PLAN_EXTRACTION_ERROR, step);
        else
            extracted = n;
    }
    if (V->plan_syntax)
        return;
    if (extracted != V->plan_n)
        acc_add(&s->a, TF_MAZE_PLAN_LENGTH_MISMATCH, step);
    else if (!legal)
        acc_add(&s->a, TF_MAZE_EXTRACTED_PLAN_INVALID, step);
}

/* A verdict from its errors (a: count and first error) and the first error
 * in trace order (order). */
static void finish_check(tf_maze_check *c, const acc *a, const acc *order)
{
    c->valid = a->errors == 0;
    c->errors = a->errors;
    c->first = c->valid ? TF_MAZE_OK : a->first;
    c->first_step = c->valid ? -1 : a->first_step;
    c->first_in_order = c->valid ? TF_MAZE_OK : order->first;
    c->first_in_order_step = c->valid ? -1 : order->first_step;
}

static tf_err verify_run(verifier *V, const char *output, size_t len, tf_maze_verdict *v)
{
    int x, y;
    V->rows = tf_maze_rows(V->m);
    V->cols = tf_maze_cols(V->m);
    if (V->rows < 1 || V->cols < 1)
        return TF_ERR_INTERNAL;
    V->cells = (long)V->rows * V->cols;
    tf_maze_start(V->m, &x, &y);
    V->sx = x;
    V->sy = y;
    tf_maze_goal(V->m, &x, &y);
    V->gx = x;
    V->gy = y;
    if (!tf_maze_in_grid(V->m, V->sx, V->sy) || !tf_maze_in_grid(V->m, V->gx, V->gy))
        return TF_ERR_INTERNAL;
    V->start = V->sy * V->cols + V->sx;
    V->goal = V->gy * V->cols + V->gx;

    V->closed = calloc((size_t)V->cells, 1);
    V->created = malloc((size_t)V->cells * sizeof *V->created);
    if (!V->closed || !V->created)
        return TF_ERR_NOMEM;
    memset(V->created, 0xff, (size_t)V->cells * sizeof *V->created);
    tf_err err = sim_init(&V->ref, V->cells);
    if (!err)
        err = sim_init(&V->st, V->cells);
    if (err)
        return err;

    if (V->d == TF_MAZE_BEYOND) {
        /* The start is implicitly open with g 0 and h Manhattan. */
        int32_t h = (int32_t)manhattan(V, V->sx, V->sy);
        err = sim_open(V, &V->ref, true, V->start, 0, h);
        if (!err)
            err = sim_open(V, &V->st, false, V->start, 0, h);
        if (err)
            return err;
    }

    lexer L;
    lex_init(&L, V->d, output, len);
    long ops = 0;
    for (;;) {
        item it = next_item(&L);
        if (it.kind == IT_END)
            break;
        switch (it.kind) {
        case IT_OP:
        case IT_OP_BAD:
            if (ops >= TF_MAZE_MAX_OPS)
                return TF_ERR_TOO_BIG;
            err = do_op(V, &it, ops);
            if (err)
                return err;
            ops++;
            break;
        case IT_PLAN:
            plan_add(V, it.x, it.y);
            break;
        case IT_PLAN_BAD:
            /* A malformed part of the response, like a garbled operation:
             * the reference verdict counts it (published precedence);
             * strict leaves it to the plan verdict. */
            acc_add(&V->ref_syntax, TF_MAZE_OPERATION_SYNTAX_ERROR, ops);
            V->plan_syntax = true;
            break;
        case IT_STRAY:
            acc_add(&V->ref_syntax, TF_MAZE_OPERATION_SYNTAX_ERROR, ops);
            acc_add(&V->st.a, TF_MAZE_OPERATION_SYNTAX_ERROR, ops);
            break;
        case IT_END:
            break;
        }
    }
    if (V->plan_n == 0)
        V->plan_syntax = true;

    v->trace_len = ops;
    end_checks(V, &V->ref, CLOSED_REF, ops);
    end_checks(V, &V->st, CLOSED_STRICT, ops);

    /* Published precedence: the validators parse the whole response before
     * simulating it, so any syntax error is their first error. The first
     * error in trace order is kept too; at equal steps the syntax error
     * came first, being that very operation (garbled, so not simulated) or
     * a token before it, and end checks come after everything. */
    acc ref = V->ref.a, order = V->ref.a;
    if (V->ref_syntax.errors > 0) {
        ref.first = V->ref_syntax.first;
        ref.first_step = V->ref_syntax.first_step;
        ref.errors += V->ref_syntax.errors;
        if (V->ref.a.errors == 0 || V->ref_syntax.first_step <= V->ref.a.first_step)
            order = V->ref_syntax;
    }
    finish_check(&v->ref, &ref, &order);
    finish_check(&v->strict, &V->st.a, &V->st.a);

    v->optimal_plan_len = tf_maze_optimal_plan_len(V->m);
    if (V->plan_syntax) {
        v->plan_error = TF_MAZE_PLAN_SYNTAX_ERROR;
        v->plan_len = 0;
    } else {
        v->plan_len = V->plan_n;
        v->plan_error = V->plan_err;
        if (v->plan_error == TF_MAZE_OK && (V->plan_lx != V->gx || V->plan_ly != V->gy))
            v->plan_error = TF_MAZE_PLAN_GOAL_NOT_REACHED;
    }
    v->plan_valid = v->plan_error == TF_MAZE_OK;
    v->plan_optimal = v->plan_valid && v->plan_len == v->optimal_plan_len;
    return TF_OK;
}

tf_err tf_maze_verify(const tf_maze *m, tf_maze_dialect d, const char *output, size_t len,
                      tf_maze_verdict *v)
{
    if (!v)
        return TF_ERR_INTERNAL;
    memset(v, 0, sizeof *v);
    if (!m || (d != TF_MAZE_SEARCHFORMER && d != TF_MAZE_BEYOND))
        return TF_ERR_INTERNAL;
    verifier V;
    memset(&V, 0, sizeof V);
    V.m = m;
    V.d = d;
    tf_err err = verify_run(&V, output, len, v);
    verifier_free(&V);
    if (err) {
        memset(v, 0, sizeof *v);
        return err;
    }
    return TF_OK;
}
