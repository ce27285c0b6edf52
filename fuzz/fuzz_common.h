/*  fuzz_common — what the libFuzzer harnesses in fuzz/ share: the reference
 *  data of the source tree (loaded once) and a fixed clock, so a crash
 *  found on one day reproduces on any other.
 *
 *  Each harness is one LLVMFuzzerTestOneInput over one parser of outside
 *  input; docs/fuzzing.md lists them and how to run them.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gy_refdata.h"
#include "gy_util.h"

/*  2026-03-16T08:00:00Z, a Monday: occurred_at and expiry are checked
 *  against it. */
#define FUZZ_NOW_MS INT64_C(1773648000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*  The committed reference data (GY_SOURCE_DIR/reference), loaded on first
 *  use; aborts if it cannot be read, which is a broken tree, not a finding. */
static inline const gy_refdata_t *fuzz_refdata(void)
{
    static gy_refdata_t *ref;
    if (!ref) {
        ref = gy_refdata_new(GY_SOURCE_DIR "/reference");
        if (!ref)
            abort();
    }
    return ref;
}

/*  A NUL-terminated copy of the input (parsers of text files take C
 *  strings); the caller frees. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *text = gy_malloc(size + 1);
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

#endif
