/* config.c: the job's "endpoint" section (fetch.h): one key table that
 * checks it, fills its defaults and gives the client its default options.
 * docs/job.md and docs/endpoint.md describe every key. */
#include "tracefarm/fetch.h"
#include "tracefarm/schema.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const apis[] = {"completions", "chat", NULL}; /* tf_fetch_api order */

static tf_err parse_base_url(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d);
static tf_err parse_params(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d);
static tf_err parse_extra_params(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d);
static tf_err parse_template(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d);
static tf_err parse_prices(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d);

#define OFF(f) offsetof(tf_fetch_config, f)

/* The section, in the order docs/job.md lists it. cache_dir is handled by
 * tf_fetch_config_parse (its default depends on the job's output). */
static const tf_key keys[] = {
    {.name = "base_url",
     .type = TF_KEY_CUSTOM,
     .parse = parse_base_url,
     .help =
         "an http:// or https:// URL ending in /v1, or a list of replicas (worker k uses k % n)"},
    {.name = "api",
     .type = TF_KEY_CHOICE,
     .choices = apis,
     .dflt = "\"completions\"",
     .offset = OFF(api),
     .help = "POST {base}/completions with the prompt, or {base}/chat/completions with one user "
             "message"},
    {.name = "model",
     .type = TF_KEY_STRING,
     .offset = OFF(model),
     .help = "the \"model\" of each request"},
    {.name = "prompt_template",
     .type = TF_KEY_CUSTOM,
     .dflt = "\"{prompt}\"",
     .parse = parse_template,
     .help = "the prompt sent: {prompt} is the domain's prompt, {field:PATH} a record field, {{ "
             "and }} braces"},
    {.name = "params",
     .type = TF_KEY_CUSTOM,
     .flags = TF_KEY_OPTIONAL,
     .parse = parse_params,
     .help = "sampling parameters: temperature, top_p, max_tokens, stop, seed; other keys go "
             "into the request body as given, with a warning unless OpenAI or vLLM knows them"},
    {.name = "extra_params",
     .type = TF_KEY_CUSTOM,
     .flags = TF_KEY_OPTIONAL,
     .parse = parse_extra_params,
     .help = "more request body keys, sent as given without a warning (keys a server of "
             "your own knows); none of params' keys, nor model, prompt, messages, n, stream"},
    {.name = "samples",
     .type = TF_KEY_INT,
     .lo = 1,
     .hi = 1024,
     .dflt = "1",
     .offset = OFF(samples),
     .help = "samples per record, one request each"},
    {.name = "api_key_env",
     .type = TF_KEY_STRING,
     .flags = TF_KEY_NULLABLE,
     .dflt = "null",
     .offset = OFF(api_key_env),
     .help = "the environment variable holding the API key (sent as a Bearer token); null: none"},
    {.name = "concurrency",
     .type = TF_KEY_INT,
     .lo = 1,
     .hi = 4096,
     .dflt = "16",
     .offset = OFF(concurrency),
     .help = "requests in flight per worker"},
    {.name = "connect_timeout_s",
     .type = TF_KEY_NUMBER,
     .lo = 0.001,
     .hi = 86400,
     .dflt = "10",
     .offset = OFF(connect_timeout_s),
     .help = "connect timeout of one attempt"},
    {.name = "timeout_s",
     .type = TF_KEY_NUMBER,
     .lo = 0.001,
     .hi = 604800,
     .dflt = "600",
     .offset = OFF(timeout_s),
     .help = "whole-transfer timeout of one attempt"},
    {.name = "max_attempts",
     .type = TF_KEY_INT,
     .lo = 1,
     .hi = 100,
     .dflt = "5",
     .offset = OFF(max_attempts),
     .help = "attempts per sample, the first included"},
    {.name = "backoff_ms",
     .type = TF_KEY_INT,
     .lo = 0,
     .hi = 3600000,
     .dflt = "500",
     .offset = OFF(backoff_ms),
     .help = "cap of the first backoff (full jitter, doubling per attempt)"},
    {.name = "backoff_max_ms",
     .type = TF_KEY_INT,
     .lo = 0,
     .hi = 86400000,
     .dflt = "60000",
     .offset = OFF(backoff_max_ms),
     .help = "largest backoff, and largest Retry-After honoured"},
    {.name = "rate_limit_rps",
     .type = TF_KEY_NUMBER,
     .lo = 0,
     .hi = 1e9,
     .dflt = "0",
     .offset = OFF(rate_limit_rps),
     .help = "job-wide attempts per second, shared by the workers; 0: unlimited"},
    {.name = "cache_dir",
     .type = TF_KEY_STRING,
     .flags = TF_KEY_NULLABLE | TF_KEY_OPTIONAL,
     .offset = OFF(cache_dir),
     .help = "the response cache; default OUTPUT/cache; null: no cache"},
    {.name = "max_response_bytes",
     .type = TF_KEY_INT,
     .lo = 1024,
     .hi = 1L << 30,
     .dflt = "16777216",
     .offset = OFF(max_response_bytes),
     .help = "cap on one response body"},
    {.name = "price_per_million",
     .type = TF_KEY_CUSTOM,
     .dflt = "null",
     .parse = parse_prices,
     .help = "{\"prompt\": P, \"completion\": C} in any currency: the summary adds the cost"},
    {.name = "breaker_consecutive",
     .type = TF_KEY_INT,
     .lo = 0,
     .hi = 1000000,
     .dflt = "20",
     .offset = OFF(breaker_consecutive),
     .help = "stop the job (exit 75, resumable) when this many attempts of a worker in a row "
             "failed with one permanent cause (no connection, DNS, TLS, HTTP 400, 401, 403, 404, "
             "405, 407, 422); 0: off"},
    {.name = "breaker_failure_rate",
     .type = TF_KEY_NUMBER,
     .lo = 0,
     .hi = 1,
     .dflt = "0.9",
     .offset = OFF(breaker_failure_rate),
     .help = "stop the job (exit 75, resumable) when at least this fraction of a worker's last "
             "breaker_window attempts failed, whatever the cause; 0: off"},
    {.name = "breaker_window",
     .type = TF_KEY_INT,
     .lo = 1,
     .hi = 1000000,
     .dflt = "100",
     .offset = OFF(breaker_window),
     .help = "the attempts breaker_failure_rate is taken over"},
};
#define NKEYS (sizeof keys / sizeof *keys)

/* The keys of "params" that the farm reads; the others pass through. */
typedef struct params {
    double temperature, top_p;
    long max_tokens, seed;
} params;

static const tf_key param_keys[] = {
    {.name = "temperature",
     .type = TF_KEY_NUMBER,
     .lo = 0,
     .hi = 100,
     .flags = TF_KEY_OPTIONAL,
     .offset = offsetof(params, temperature)},
    {.name = "top_p",
     .type = TF_KEY_NUMBER,
     .lo = 0,
     .hi = 1,
     .flags = TF_KEY_OPTIONAL,
     .offset = offsetof(params, top_p)},
    {.name = "max_tokens",
     .type = TF_KEY_INT,
     .lo = 1,
     .hi = 1L << 30,
     .flags = TF_KEY_OPTIONAL,
     .offset = offsetof(params, max_tokens)},
    {.name = "seed",
     .type = TF_KEY_INT,
     .lo = 0,
     .hi = 9007199254740991.0,
     .flags = TF_KEY_OPTIONAL,
     .offset = offsetof(params, seed)},
};

/* params keys that the farm sets itself or that would break the one
 * response per sample contract. */
static const char *const reserved_params[] = {"model", "prompt", "messages", "n", "stream", NULL};

/* The request keys that OpenAI-compatible servers know (OpenAI's
 * completions and chat APIs; vLLM's extra sampling and chat parameters).
 * A "params" key outside this list draws a warning naming the nearest one:
 * a misspelt "temprature" would otherwise be sent, ignored by the server,
 * and leave every figure at the server's default temperature without a
 * word. Keys meant as written go in "extra_params". docs/endpoint.md lists
 * this table: keep them together. */
static const char *const known_params[] = {
    /* OpenAI */
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed",
    "frequency_penalty", "presence_penalty", "logit_bias", "logprobs", "top_logprobs", "best_of",
    "echo", "suffix", "user", "response_format", "tools", "tool_choice", "parallel_tool_calls",
    "functions", "function_call", "reasoning_effort", "verbosity", "service_tier", "store",
    "metadata", "modalities", "audio", "prediction", "web_search_options", "stream_options",
    /* vLLM */
    "top_k", "min_p", "repetition_penalty", "length_penalty", "use_beam_search", "min_tokens",
    "stop_token_ids", "include_stop_str_in_output", "ignore_eos", "skip_special_tokens",
    "spaces_between_special_tokens", "truncate_prompt_tokens", "allowed_token_ids", "bad_words",
    "prompt_logprobs", "logits_processors", "return_tokens_as_token_ids", "guided_json",
    "guided_regex", "guided_choice", "guided_grammar", "guided_decoding_backend",
    "guided_whitespace_pattern", "structured_outputs", "priority", "request_id", "cache_salt",
    "add_special_tokens", "add_generation_prompt", "continue_final_message", "chat_template",
    "chat_template_kwargs", "documents", "mm_processor_kwargs", "kv_transfer_params", "vllm_xargs",
    NULL};

/* Most warnings kept (a spec of thousands of odd keys stays one screen). */
#define MAX_WARNINGS 32

const char *const *tf_fetch_known_params(void)
{
    return known_params;
}

/* Whether name is in the NULL-terminated list. */
static int listed(const char *const *list, const char *name)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0)
            return 1;
    return 0;
}

/* Add one line to the config's warnings (at most MAX_WARNINGS). */
static tf_err add_warning(tf_fetch_config *c, const char *line)
{
    size_t have = c->warnings ? strlen(c->warnings) : 0, n = strlen(line);
    size_t lines = 0;
    for (size_t i = 0; i < have; i++)
        lines += c->warnings[i] == '\n';
    if (lines >= MAX_WARNINGS)
        return TF_OK;
    char *w = realloc(c->warnings, have + n + 2);
    if (!w)
        return TF_ERR_NOMEM;
    memcpy(w + have, line, n);
    w[have + n] = '\n';
    w[have + n + 1] = '\0';
    c->warnings = w;
    return TF_OK;
}

/* Refuse a reserved key of "params" or "extra_params" (path names which). */
static tf_err refuse_reserved(const tf_key_ctx *x, const char *key, tf_diag *d)
{
    if (!listed(reserved_params, key))
        return TF_OK;
    tf_diag_set(d,
                "%s: key \"%s.%s\" cannot be set (the farm sends model, prompt or messages "
                "itself, one sample per request, no streaming)",
                x->origin, x->path, key);
    return TF_ERR_SPEC;
}

/* ----- custom keys ----------------------------------------------------------- */

static tf_err parse_base_url(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d)
{
    tf_fetch_config *c = target;
    size_t n = cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 1;
    if (!v) {
        tf_diag_set(d, "%s: missing required key \"%s\"", x->origin, x->path);
        return TF_ERR_SPEC;
    }
    int ok = (cJSON_IsArray(v) || cJSON_IsString(v)) && n > 0 && n <= 4096;
    if (ok && !c)
        return TF_OK;
    if (ok && !(c->base_urls = calloc(n, sizeof *c->base_urls)))
        return TF_ERR_NOMEM;
    for (size_t i = 0; ok && i < n; i++) {
        const cJSON *u = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, (int)i) : v;
        ok = cJSON_IsString(u) && (strncmp(u->valuestring, "http://", 7) == 0 ||
                                   strncmp(u->valuestring, "https://", 8) == 0);
        if (ok && !(c->base_urls[c->n_base_urls++] = strdup(u->valuestring)))
            return TF_ERR_NOMEM;
    }
    if (!ok) {
        tf_diag_set(d, "%s: key \"%s\" must be an http:// or https:// URL or a list of them",
                    x->origin, x->path);
        return TF_ERR_SPEC;
    }
    return TF_OK;
}

/* A prompt template is text with the placeholders "{prompt}" and
 * "{field:PATH}" (PATH non-empty, without braces) and the escapes "{{" and
 * "}}"; any other brace is an error. */
static tf_err parse_template(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d)
{
    tf_fetch_config *c = target;
    if (!cJSON_IsString(v)) {
        tf_diag_set(d, "%s: key \"%s\" must be a string", x->origin, x->path);
        return TF_ERR_SPEC;
    }
    const char *t = v->valuestring;
    for (size_t i = 0; t[i]; i++) {
        if ((t[i] == '{' && t[i + 1] == '{') || (t[i] == '}' && t[i + 1] == '}')) {
            i++;
            continue;
        }
        if (t[i] == '}') {
            tf_diag_set(d,
                        "%s: key \"%s\": unmatched \"}\" at offset %zu (write \"}}\" for a "
                        "literal brace)",
                        x->origin, x->path, i);
            return TF_ERR_SPEC;
        }
        if (t[i] != '{')
            continue;
        const char *close = strchr(t + i, '}');
        const char *open2 = strchr(t + i + 1, '{');
        int ok = close && (!open2 || open2 > close);
        if (ok) {
            size_t n = (size_t)(close - (t + i)) + 1;
            ok = (n == 8 && strncmp(t + i, "{prompt}", 8) == 0) ||
                 (n > 8 && strncmp(t + i, "{field:", 7) == 0);
            if (ok)
                i += n - 1;
        }
        if (!ok) {
            tf_diag_set(d,
                        "%s: key \"%s\": bad placeholder at offset %zu (known: {prompt}, "
                        "{field:PATH}; write \"{{\" for a literal brace)",
                        x->origin, x->path, i);
            return TF_ERR_SPEC;
        }
    }
    if (c && !(c->prompt_template = strdup(t)))
        return TF_ERR_NOMEM;
    return TF_OK;
}

/* "stop": a non-empty string or a list of at most TF_FETCH_MAX_STOP. */
static tf_err parse_stop(const tf_key_ctx *x, const cJSON *stop, tf_fetch_config *c, tf_diag *d)
{
    size_t n = cJSON_IsArray(stop) ? (size_t)cJSON_GetArraySize(stop) : 1;
    int ok = (cJSON_IsString(stop) || cJSON_IsArray(stop)) && n <= TF_FETCH_MAX_STOP;
    if (ok && c && !(c->stop = calloc(n ? n : 1, sizeof *c->stop)))
        return TF_ERR_NOMEM;
    for (size_t i = 0; ok && i < n; i++) {
        const cJSON *s = cJSON_IsArray(stop) ? cJSON_GetArrayItem(stop, (int)i) : stop;
        ok = cJSON_IsString(s) && s->valuestring[0];
        if (ok && c && !(c->stop[c->n_stop++] = strdup(s->valuestring)))
            return TF_ERR_NOMEM;
    }
    if (!ok) {
        tf_diag_set(d, "%s: key \"%s.stop\" must be a non-empty string or a list of at most %d",
                    x->origin, x->path, TF_FETCH_MAX_STOP);
        return TF_ERR_SPEC;
    }
    return TF_OK;
}

/* "params": the keys the farm reads are checked by param_keys; the rest go
 * into the request body as given (extra_json), unless reserved. */
static tf_err parse_params(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d)
{
    tf_fetch_config *c = target;
    if (c) {
        c->temperature = -1;
        c->top_p = -1;
    }
    if (!v)
        return TF_OK;
    if (!cJSON_IsObject(v)) {
        tf_diag_set(d, "%s: key \"%s\" must be an object", x->origin, x->path);
        return TF_ERR_SPEC;
    }
    params p = {.temperature = -1, .top_p = -1};
    cJSON *known = cJSON_CreateObject();
    cJSON *extra = cJSON_CreateObject();
    tf_err err = known && extra ? TF_OK : TF_ERR_NOMEM;
    const cJSON *m;
    cJSON_ArrayForEach(m, v)
    {
        if (err != TF_OK)
            break;
        int typed = 0;
        for (size_t k = 0; k < sizeof param_keys / sizeof *param_keys; k++)
            typed |= strcmp(m->string, param_keys[k].name) == 0;
        if (typed || strcmp(m->string, "stop") == 0) {
            if (typed && !cJSON_AddItemReferenceToObject(known, m->string, (cJSON *)m))
                err = TF_ERR_NOMEM;
            continue;
        }
        err = refuse_reserved(x, m->string, d);
        if (err == TF_OK && c && !listed(known_params, m->string)) {
            const char *near = tf_schema_nearest_name(known_params, m->string);
            char line[TF_DIAG_LEN], hint[128] = "";
            if (near)
                snprintf(hint, sizeof hint, " (did you mean \"%s\"?)", near);
            snprintf(line, sizeof line,
                     "%s: key \"%s.%s\" is not a known OpenAI or vLLM sampling parameter%s; it is "
                     "sent as given (put it in \"endpoint.extra_params\" if it is meant: "
                     "docs/endpoint.md lists the known ones)",
                     x->origin, x->path, m->string, hint);
            err = add_warning(c, line);
        }
        cJSON *dup = err == TF_OK ? cJSON_Duplicate(m, 1) : NULL;
        if (err == TF_OK && (!dup || !cJSON_AddItemToObject(extra, m->string, dup))) {
            cJSON_Delete(dup);
            err = TF_ERR_NOMEM;
        }
    }
    tf_schema table = {param_keys, sizeof param_keys / sizeof *param_keys, &p};
    if (err == TF_OK) /* the typed keys, by reference (nothing is added to known) */
        err = tf_schema_apply(&table, 1, known, x->path, x->origin, d);
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(v, "stop");
    if (err == TF_OK && stop)
        err = parse_stop(x, stop, c, d);
    if (err == TF_OK && c) {
        c->temperature = p.temperature;
        c->top_p = p.top_p;
        c->max_tokens = p.max_tokens;
        c->seed = (uint64_t)p.seed;
        c->has_seed = cJSON_GetObjectItemCaseSensitive(v, "seed") != NULL;
        if (extra->child && !(c->extra_json = cJSON_PrintUnformatted(extra)))
            err = TF_ERR_NOMEM;
    }
    cJSON_Delete(known);
    cJSON_Delete(extra);
    return err;
}

/* "extra_params": request body keys meant as written (a server's own
 * extensions), sent without a warning after the untyped keys of "params".
 * A key of "params"' table belongs there, where it is checked; a key in
 * both would be ambiguous; reserved keys are refused as in "params". */
static tf_err parse_extra_params(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d)
{
    tf_fetch_config *c = target;
    if (!v)
        return TF_OK;
    if (!cJSON_IsObject(v)) {
        tf_diag_set(d, "%s: key \"%s\" must be an object", x->origin, x->path);
        return TF_ERR_SPEC;
    }
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(x->section, "params");
    cJSON *extra = c && c->extra_json ? cJSON_Parse(c->extra_json) : cJSON_CreateObject();
    tf_err err = extra ? TF_OK : TF_ERR_NOMEM;
    const cJSON *m;
    cJSON_ArrayForEach(m, v)
    {
        if (err != TF_OK)
            break;
        err = refuse_reserved(x, m->string, d);
        int typed = strcmp(m->string, "stop") == 0;
        for (size_t k = 0; k < sizeof param_keys / sizeof *param_keys; k++)
            typed |= strcmp(m->string, param_keys[k].name) == 0;
        if (err == TF_OK && typed) {
            tf_diag_set(d, "%s: key \"%s.%s\" belongs in \"endpoint.params\", where it is checked",
                        x->origin, x->path, m->string);
            err = TF_ERR_SPEC;
        }
        if (err == TF_OK && cJSON_IsObject(given) &&
            cJSON_GetObjectItemCaseSensitive(given, m->string)) {
            tf_diag_set(d, "%s: key \"%s.%s\" is given in \"endpoint.params\" too; give it once",
                        x->origin, x->path, m->string);
            err = TF_ERR_SPEC;
        }
        cJSON *dup = err == TF_OK ? cJSON_Duplicate(m, 1) : NULL;
        if (err == TF_OK && (!dup || !cJSON_AddItemToObject(extra, m->string, dup))) {
            cJSON_Delete(dup);
            err = TF_ERR_NOMEM;
        }
    }
    if (err == TF_OK && c && extra->child) {
        char *text = cJSON_PrintUnformatted(extra);
        if (!text) {
            err = TF_ERR_NOMEM;
        } else {
            free(c->extra_json);
            c->extra_json = text;
        }
    }
    cJSON_Delete(extra);
    return err;
}

/* "price_per_million": {"prompt": P, "completion": C}, both required and
 * non-negative, or null. */
static tf_err parse_prices(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d)
{
    tf_fetch_config *c = target;
    if (!v || cJSON_IsNull(v))
        return TF_OK;
    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(v, "prompt");
    const cJSON *pc = cJSON_GetObjectItemCaseSensitive(v, "completion");
    if (!cJSON_IsObject(v) || cJSON_GetArraySize(v) != 2 || !cJSON_IsNumber(pp) ||
        !cJSON_IsNumber(pc) || !(pp->valuedouble >= 0) || !(pc->valuedouble >= 0) ||
        pp->valuedouble > 1e12 || pc->valuedouble > 1e12) {
        tf_diag_set(d,
                    "%s: key \"%s\" must be an object {\"prompt\": number, \"completion\": "
                    "number} (non-negative), or null",
                    x->origin, x->path);
        return TF_ERR_SPEC;
    }
    if (c) {
        c->has_prices = 1;
        c->price_prompt = pp->valuedouble;
        c->price_completion = pc->valuedouble;
    }
    return TF_OK;
}

/* ----- the section ------------------------------------------------------------ */

void tf_fetch_config_free(tf_fetch_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_base_urls; i++)
        free(c->base_urls[i]);
    free(c->base_urls);
    for (size_t i = 0; i < c->n_stop; i++)
        free(c->stop[i]);
    free(c->stop);
    free(c->prompt_template);
    free(c->extra_json);
    free(c->warnings);
    tf_schema_free(keys, NKEYS, c);
    memset(c, 0, sizeof *c);
}

tf_err tf_fetch_config_parse(cJSON *section, const char *origin, const char *default_cache_dir,
                             int check_env, tf_fetch_config *c, tf_diag *d)
{
    memset(c, 0, sizeof *c);
    if (!cJSON_IsObject(section)) {
        tf_diag_set(d, "%s: key \"endpoint\" must be an object", origin);
        return TF_ERR_SPEC;
    }
    /* absent: the default directory (written down); null: no cache */
    if (!cJSON_GetObjectItemCaseSensitive(section, "cache_dir") &&
        !cJSON_AddStringToObject(section, "cache_dir", default_cache_dir))
        return TF_ERR_NOMEM;
    tf_schema table = {keys, NKEYS, c};
    tf_err err = tf_schema_apply(&table, 1, section, "endpoint", origin, d);
    if (err == TF_OK && c->api_key_env && check_env && !getenv(c->api_key_env)) {
        tf_diag_set(d, "%s: key \"endpoint.api_key_env\": environment variable \"%s\" is not set",
                    origin, c->api_key_env);
        err = TF_ERR_SPEC;
    }
    return err;
}

const tf_key *tf_fetch_config_keys(size_t *n)
{
    *n = NKEYS;
    return keys;
}

/* A default of the table as a number (the keys named here have one). */
static double default_of(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0 && keys[i].dflt)
            return strtod(keys[i].dflt, NULL);
    return 0;
}

void tf_fetch_opts_default(tf_fetch_opts *o)
{
    memset(o, 0, sizeof *o);
    o->api = TF_FETCH_COMPLETIONS;
    o->temperature = -1; /* params: absent */
    o->top_p = -1;
    o->samples = (unsigned)default_of("samples");
    o->concurrency = (unsigned)default_of("concurrency");
    o->connect_timeout_ms = (long)(default_of("connect_timeout_s") * 1000 + 0.5);
    o->timeout_ms = (long)(default_of("timeout_s") * 1000 + 0.5);
    o->max_attempts = (unsigned)default_of("max_attempts");
    o->backoff_base_ms = (long)default_of("backoff_ms");
    o->backoff_max_ms = (long)default_of("backoff_max_ms");
    o->max_response_bytes = (size_t)default_of("max_response_bytes");
    o->http2 = 1;
}

void tf_fetch_opts_from_config(const tf_fetch_config *c, unsigned ordinal, unsigned nworkers,
                               const char *api_key, tf_fetch_opts *o)
{
    tf_fetch_opts_default(o);
    o->base_urls = (const char *const *)c->base_urls;
    o->n_base_urls = c->n_base_urls;
    o->ordinal = ordinal;
    o->api = (tf_fetch_api)c->api;
    o->model = c->model;
    o->api_key = api_key;
    o->temperature = c->temperature;
    o->top_p = c->top_p;
    o->max_tokens = c->max_tokens;
    o->stop = (const char *const *)c->stop;
    o->n_stop = c->n_stop;
    o->extra_json = c->extra_json;
    o->samples = (unsigned)c->samples;
    o->concurrency = (unsigned)c->concurrency;
    o->max_pending = 4 * o->concurrency > o->samples ? 4 * o->concurrency : o->samples;
    o->connect_timeout_ms = (long)(c->connect_timeout_s * 1000 + 0.5);
    o->timeout_ms = (long)(c->timeout_s * 1000 + 0.5);
    o->max_attempts = (unsigned)c->max_attempts;
    o->backoff_base_ms = c->backoff_ms;
    o->backoff_max_ms = c->backoff_max_ms;
    o->rate_per_s = c->rate_limit_rps / (nworkers ? nworkers : 1);
    o->max_response_bytes = (size_t)c->max_response_bytes;
    o->cache_dir = c->cache_dir;
}
