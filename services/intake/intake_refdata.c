/*  intake_refdata — see intake_refdata.h. */
#include "intake_refdata.h"

#include <stddef.h>

static const char s_sql_upsert_field[] =
    "INSERT INTO intake.field (code, name_zh, name_en, active) VALUES ($1, $2, $3, true)"
    " ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh,"
    " name_en = EXCLUDED.name_en, active = true";
static const char s_sql_upsert_region[] =
    "INSERT INTO intake.region (code, parent_code, level, name_zh, procuratorate_zh)"
    " VALUES ($1, NULLIF($2, ''), $3, $4, $5) ON CONFLICT (code) DO UPDATE SET"
    " parent_code = EXCLUDED.parent_code, level = EXCLUDED.level,"
    " name_zh = EXCLUDED.name_zh, procuratorate_zh = EXCLUDED.procuratorate_zh";

int intake_refdata_sync(const gy_refdata_t *refdata, gy_pg_session_t *session)
{
    if (gy_pg_session_exec(session, "BEGIN", 0, NULL, NULL) < 0)
        return -1;
    for (size_t i = 0; i < gy_refdata_field_count(refdata); i++) {
        const gy_field_t *f = gy_refdata_field_at(refdata, i);
        const char *params[] = {f->code, f->name_zh, f->name_en};
        if (gy_pg_session_exec(session, s_sql_upsert_field, 3, params, NULL) < 0)
            goto fail;
    }
    for (size_t i = 0; i < gy_refdata_region_count(refdata); i++) {
        const gy_region_t *r = gy_refdata_region_at(refdata, i);
        const char *params[] = {r->code, r->parent, r->level, r->name_zh, r->procuratorate_zh};
        if (gy_pg_session_exec(session, s_sql_upsert_region, 5, params, NULL) < 0)
            goto fail;
    }
    return gy_pg_session_exec(session, "COMMIT", 0, NULL, NULL);
fail:
    gy_pg_session_exec(session, "ROLLBACK", 0, NULL, NULL);
    return -1;
}
