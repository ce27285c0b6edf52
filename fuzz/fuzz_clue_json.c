/*  The clue JSON of POST /api/v1/clues (intake_clue_from_json): any body is
 *  refused with an error or accepted; an accepted clue also packs its
 *  ClueReceived event and its attachments' JSON, as intake does next. */
#include "fuzz_common.h"
#include "intake_clue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const gy_refdata_t *ref = fuzz_refdata();
    intake_clue_t clue;
    intake_error_t err;
    if (intake_clue_from_json(&clue, (const char *)data, size, ref, FUZZ_NOW_MS, &err) != 0) {
        /*  A refusal names a status and a code, and its message is text. */
        if (err.http_status < 400 || err.http_status > 499 || !err.code[0] ||
            strlen(err.message) >= sizeof err.message)
            abort();
        return 0;
    }
    uint8_t *event = NULL;
    size_t len = 0;
    intake_clue_event(&clue, "5b4f0b4e-0000-4000-8000-000000000001", FUZZ_NOW_MS, &event, &len);
    free(event);
    free(intake_clue_attachments_json(&clue));
    intake_clue_clear(&clue);
    return 0;
}
