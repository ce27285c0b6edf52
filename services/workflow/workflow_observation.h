/*  workflow_observation — supervision of rectification (跟踪观察), the pure
 *  part: what a supervisor's observation and a supervisor's appointment
 *  must look like.  The routes are workflow_volunteer_api's.
 *
 *  An observation: {"observed_on": "YYYY-MM-DD" (a Beijing day, not after
 *  today by the process clock), "place" (1-200 characters), "text" (1-4000,
 *  lines allowed), "finding": rectified | partly | not_rectified,
 *  "photos": [{"name" (1-255, no "/"), "content_type" (image/jpeg,
 *  image/png, image/heic, image/webp), "size" (1 byte to 50 MiB), "sha256"
 *  (64 lower-case hex digits), "taken_at"? (an instant, not in the future),
 *  "lat"? (-90..90), "lon"? (-180..180)}] (up to 20; the files stay with
 *  the supervisor: their metadata and hash are the record)}.
 *
 *      workflow_observation_t o;
 *      if (workflow_observation_parse(body, len, gy_now_ms(), &o, &err) < 0)
 *          -> gy_reply_error(req, &err);
 *      ... o.photos_json (normalised), o.photos ...
 *      workflow_observation_clear(&o);
 */
#ifndef WORKFLOW_OBSERVATION_H
#define WORKFLOW_OBSERVATION_H

#include <stddef.h>
#include <stdint.h>

#include "gy_route.h"

#define WORKFLOW_PHOTOS_MAX     20
#define WORKFLOW_PHOTO_SIZE_MAX (50LL * 1024 * 1024)

typedef struct {
    void *root;
    char observed_on[11];
    const char *place, *text, *finding; /* borrowed from root */
    char *photos_json;                  /* the photos as stored; the caller frees (clear) */
    size_t photos;
} workflow_observation_t;

int workflow_observation_parse(const char *body, size_t len, int64_t now_ms,
                               workflow_observation_t *o, gy_error_t *err);
void workflow_observation_clear(workflow_observation_t *o);

/*  POST /cases/{id}/supervisors: {"volunteer_id" (a UUID), "reason"?
 *  (up to 1000 characters)}; volunteer_id written lower-case. */
typedef struct {
    void *root;
    char volunteer_id[37];
    const char *reason; /* "" when absent */
} workflow_supervisor_t;

int workflow_supervisor_parse(const char *body, size_t len, workflow_supervisor_t *s,
                              gy_error_t *err);
void workflow_supervisor_clear(workflow_supervisor_t *s);

#endif
