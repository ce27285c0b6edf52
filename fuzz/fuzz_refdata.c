/*  The reference CSVs (gy_refdata_new): fields.csv, then a NUL byte, then
 *  regions.csv; without a NUL the input is fields.csv and regions.csv is
 *  the tree's.  gy_refdata reads files from a folder, so the harness writes
 *  them to a folder of its own (under TMPDIR) for each input. */
#include <stdio.h>
#include <unistd.h>

#include "fuzz_common.h"

static char s_dir[] = "/tmp/gy-fuzz-refdata-XXXXXX";
static char *s_tree_regions;
static size_t s_tree_regions_len;

static void s_write(const char *name, const void *data, size_t len)
{
    char path[sizeof s_dir + 32];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
        abort(); /* the machine, not a finding */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_tree_regions) {
        if (!mkdtemp(s_dir))
            abort();
        s_tree_regions = gy_read_file(GY_SOURCE_DIR "/reference/regions.csv", &s_tree_regions_len);
        if (!s_tree_regions)
            abort();
    }
    const uint8_t *nul = memchr(data, '\0', size);
    if (nul) {
        s_write("fields.csv", data, (size_t)(nul - data));
        s_write("regions.csv", nul + 1, size - (size_t)(nul - data) - 1);
    } else {
        s_write("fields.csv", data, size);
        s_write("regions.csv", s_tree_regions, s_tree_regions_len);
    }
    gy_refdata_t *ref = gy_refdata_new(s_dir);
    if (ref) {
        /*  Whatever loaded can be looked up, by index and by code. */
        for (size_t i = 0; i < gy_refdata_field_count(ref); i++) {
            const gy_field_t *f = gy_refdata_field_at(ref, i);
            if (gy_refdata_field(ref, f->code) != f)
                abort();
        }
        for (size_t i = 0; i < gy_refdata_region_count(ref); i++) {
            const gy_region_t *r = gy_refdata_region_at(ref, i);
            if (gy_refdata_region(ref, r->code) != r)
                abort();
        }
        gy_refdata_destroy(&ref);
    }
    return 0;
}
