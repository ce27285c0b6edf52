/*  The holiday calendar loader (gy_calendar_parse: reference/holidays.csv,
 *  read by every service that computes legal periods), the JSON handed to
 *  the database, and the legal periods computed on whatever calendar
 *  loaded. */
#include <jansson.h>

#include "fuzz_common.h"
#include "gy_calendar.h"

/*  Due dates of a few periods from a few instants around the calendar's
 *  years: each must end on or after its nominal day, on a working day. */
static void s_periods(const gy_calendar_t *cal)
{
    static const gy_period_t periods[] = {
        {GY_PERIOD_DAYS, 7}, {GY_PERIOD_DAYS, 15}, {GY_PERIOD_MONTHS, 1}, {GY_PERIOD_MONTHS, 2}};
    int64_t starts[3] = {FUZZ_NOW_MS, INT64_C(1790000000000), INT64_C(1759276800000)};
    if (gy_calendar_day_count(cal) > 0)
        starts[2] = gy_day_start_ms(gy_calendar_day_at(cal, 0, NULL, NULL));
    gy_suspension_t pause = {gy_day_of_ms(starts[0]) + 2, gy_day_of_ms(starts[0]) + 4};
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
        for (size_t p = 0; p < sizeof periods / sizeof periods[0]; p++) {
            gy_due_date_t due;
            if (gy_period_due(cal, starts[s], periods[p], &pause, s == 0, &due) != 0)
                continue;
            if (due.last_day < due.nominal_day || due.nreasons > GY_DUE_MAX_REASONS)
                abort();
            if (!due.provisional &&
                gy_calendar_kind(cal, due.last_day, NULL, NULL) != GY_DAY_WORKING)
                abort();
            free(gy_due_reasons_json(&due));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    gy_calendar_t *cal = gy_calendar_parse(text, "fuzz");
    if (cal) {
        /*  The database parses this: JSON, one entry per year and per day
         *  (a day that fell out of it went unnoticed once). */
        char *json = gy_calendar_json(cal);
        json_error_t jerr;
        json_t *root = json_loads(json, 0, &jerr);
        if (!root || json_array_size(json_object_get(root, "days")) != gy_calendar_day_count(cal) ||
            json_array_size(json_object_get(root, "years")) != gy_calendar_year_count(cal))
            abort();
        json_decref(root);
        free(json);
        s_periods(cal);
        gy_calendar_destroy(&cal);
    }
    free(text);
    return 0;
}
