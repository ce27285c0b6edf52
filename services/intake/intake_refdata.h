/*  intake_refdata — the reference data in intake's tables: the fields
 *  (intake.field) and regions (intake.region) of the files under
 *  GY_REFDATA_DIR, written at every start after the migrations, in one
 *  transaction: the files win; a field or region they no longer list is
 *  left as it was.
 *
 *      // the node's spec.prepare_db:
 *      return intake_refdata_sync(refdata, session);   // 0, or -1 (logged)
 */
#ifndef INTAKE_REFDATA_H
#define INTAKE_REFDATA_H

#include "gy_pg.h"
#include "gy_refdata.h"

/*  Upserts every field and region of refdata; 0, or -1 (logged, rolled
 *  back). */
int intake_refdata_sync(const gy_refdata_t *refdata, gy_pg_session_t *session);

#endif
