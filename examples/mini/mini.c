/*  mini — see mini.h. */
#include "mini.h"

#include "gy_util.h"

extern const gy_pg_migration_t mini_migrations[];
extern const size_t mini_migrations_count;

/*  The consumed event: one row and the emitted event, in one transaction. */
static void s_apply(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    mini_t *self = arg;
    const Gongyi__V1__Envelope *env = event->envelope;
    if (env->body_case != GONGYI__V1__ENVELOPE__BODY_CLUE_RECEIVED)
        return;
    Gongyi__V1__ClueReceived *clue = env->clue_received;
    const char *values[] = {clue->clue_id, clue->region_code};
    gy_pg_tx_add(tx, "mini_route", 2, values, NULL);
    Gongyi__V1__ClueRouted routed = GONGYI__V1__CLUE_ROUTED__INIT;
    routed.clue_id = clue->clue_id;
    routed.procuratorate = clue->region_code;
    routed.queue = "triage";
    routed.source_producer = (char *)event->producer;
    routed.source_sequence = event->sequence;
    gy_outbox_tx_append_msg(tx, gy_node_producer(self->node), &routed.base, env->trace_id,
                            clue->region_code);
}

/*  The route. */
static void s_get(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    mini_t *self = arg;
    const char *values[] = {gy_route_param(match, "clue_id")};
    gy_reply_row(gy_node_reader(self->node), req, "mini_get", 1, values, "no clue has this id");
}

static const gy_route_t s_routes[] = {
    {"GET", "/api/v1/mini/{clue_id}", "mini_get", s_get},
    {NULL, NULL, NULL, NULL},
};

static int s_start(void *arg, gy_node_t *node)
{
    mini_t *self = arg;
    self->node = node;
    gy_outbox_prepare("mini", NULL, NULL, gy_node_writer(node));
    gy_pg_prepare(gy_node_writer(node), "mini_route",
                  "INSERT INTO mini.routed (clue_id, procuratorate) VALUES ($1, $2)");
    gy_pg_prepare(gy_node_reader(node), "mini_get",
                  "SELECT clue_id, procuratorate FROM mini.routed WHERE clue_id = $1");
    return 0;
}

const gy_node_spec_t mini_spec = {
    .name = "mini",
    .schema = "mini",
    .migrations = mini_migrations,
    .migrations_count = &mini_migrations_count,
    .http_port = 8071,
    .events = "tcp://127.0.0.1:7171",
    .replay = "tcp://127.0.0.1:7172",
    .outbox = true,
    .sources = "tcp://127.0.0.1:7101|tcp://127.0.0.1:7102",
    .apply = s_apply,
    .routes = s_routes,
    .start = s_start,
};
