/*  gy_hold — see gy_hold.h. */
#include "gy_hold.h"

#include <assert.h>

void gy_holds_init(gy_holds_t *holds, gy_holds_free_fn *free_owner, void *owner)
{
    assert(holds && free_owner);
    holds->pending = 0;
    holds->stopped = false;
    holds->free_owner = free_owner;
    holds->owner = owner;
}

void gy_hold(gy_holds_t *holds)
{
    assert(holds && !holds->stopped);
    holds->pending++;
}

bool gy_hold_gone(gy_holds_t *holds, gy_http_request_t *req)
{
    assert(holds && holds->pending > 0);
    holds->pending--;
    if (!holds->stopped)
        return false;
    if (req)
        gy_http_respond_error(req, 503, "unavailable", "the service is stopping", NULL);
    /*  holds may live inside the owner: nothing touches it after this. */
    if (holds->pending == 0)
        holds->free_owner(holds->owner);
    return true;
}

void gy_holds_stop(gy_holds_t *holds)
{
    assert(holds && !holds->stopped);
    holds->stopped = true;
    if (holds->pending == 0)
        holds->free_owner(holds->owner);
}
