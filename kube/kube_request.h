/*
 * One JSON request and its JSON answer, over kube_http: the body is dumped
 * from a jansson value, the response parsed back (NULL when it is not JSON,
 * as with a transport error). The writes (kube_status, kube_lease,
 * kube_event) are built on it.
 */
#ifndef VIPCAST_KUBE_REQUEST_H
#define VIPCAST_KUBE_REQUEST_H

#include <jansson.h>

#include "kube_http.h"

#define KUBE_CT_JSON "application/json"
#define KUBE_CT_MERGE_PATCH "application/merge-patch+json"
#define KUBE_CT_STRATEGIC_PATCH "application/strategic-merge-patch+json"
#define KUBE_CT_APPLY_PATCH "application/apply-patch+yaml"  /* server-side apply takes JSON too */

/* body: the parsed response (borrowed), or NULL. r: status, error, Retry-After. */
typedef void (*kube_json_fn)(void *arg, const struct kube_resp *r, json_t *body);

struct kube_call;

/* body may be NULL; content_type NULL means KUBE_CT_JSON when there is a body. */
struct kube_call *kube_json_request(struct kube_http *h, const char *method, const char *path, const json_t *body,
				    const char *content_type, kube_json_fn fn, void *arg);
/* Before fn ran: fn will not run. NULL is fine. */
void kube_call_cancel(struct kube_call *c);

/* The message of a Status object ({"kind":"Status","message":...}), or the HTTP status/transport error. */
const char *kube_resp_message(const struct kube_resp *r, const json_t *body, char *buf, size_t len);

/* Now as metav1.Time ("2006-01-02T15:04:05Z") or, micro, as metav1.MicroTime (".000000Z"). */
void kube_timestamp(char buf[40], int micro);

/* parent[key] as an object, made (replacing anything else there) when it is not one; for building writes. */
json_t *kube_json_object_at(json_t *parent, const char *key);

#endif
