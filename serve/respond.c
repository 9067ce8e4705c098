/* respond.c: queueing a response of "tracefarm serve", and the OpenAI
 * error shape (serve_internal.h). The bottom of the server's files: the
 * routing (http.c), the faults (faults.c) and the protocol (proto.c) all
 * answer through it. */
#include "serve_internal.h"

#include <cjson/cJSON.h>

#include <stdint.h>
#include <string.h>

/* Queue a response with a body copied from body[0..len). */
enum MHD_Result tf_srv_respond(struct MHD_Connection *c, req *r, int status, const char *ctype,
                               const char *body, size_t len, const char *hname, const char *hval)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (hname)
        MHD_add_response_header(resp, hname, hval);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES)
        r->status = status;
    return ret;
}

/* The body of an OpenAI-style error, {"error":{"message","type","param",
 * "code"}}; NULL on allocation failure. */
char *tf_srv_error_json(const char *msg, const char *type, const char *code)
{
    cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
    char *s = NULL;
    if (e && cJSON_AddStringToObject(e, "message", msg) &&
        cJSON_AddStringToObject(e, "type", type) && cJSON_AddNullToObject(e, "param") &&
        (code ? cJSON_AddStringToObject(e, "code", code) : cJSON_AddNullToObject(e, "code")))
        s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* See serve_internal.h. */
enum MHD_Result tf_srv_respond_error(struct MHD_Connection *c, req *r, int status, const char *msg,
                                     const char *type, const char *code, const char *hname,
                                     const char *hval)
{
    char *s = tf_srv_error_json(msg, type, code);
    if (!s)
        return MHD_NO;
    enum MHD_Result ret =
        tf_srv_respond(c, r, status, "application/json", s, strlen(s), hname, hval);
    cJSON_free(s);
    return ret;
}
