/*  mini — the smallest service on the kit (docs/kit.md): it takes every
 *  ClueReceived from the intakes exactly once, sends the clue to the
 *  procuratorate of its region (ClueRouted, queue "triage", in the same
 *  transaction) and answers GET /api/v1/mini/{clue_id}.  A spec for
 *  gy_node plus its own logic; mini_main.c runs it. */
#ifndef MINI_H
#define MINI_H

#include "gy_node.h"

typedef struct {
    gy_node_t *node;
} mini_t;

extern const gy_node_spec_t mini_spec; /* gy_node_new(loop, &mini_spec, &mini) */

#endif
