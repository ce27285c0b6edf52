/*  gy_scope — see gy_scope.h. */
#include "gy_scope.h"

#include <assert.h>
#include <string.h>

bool gy_scope_code_valid(const char *s)
{
    return s && strlen(s) == 6 && strspn(s, "0123456789") == 6;
}

int gy_scope_prefix(const char *procuratorate, char prefix[7])
{
    assert(prefix);
    if (!gy_scope_code_valid(procuratorate))
        return -1;
    size_t n = 6;
    if (strcmp(procuratorate + 2, "0000") == 0)
        n = 2; /* province */
    else if (strcmp(procuratorate + 4, "00") == 0)
        n = 4; /* city */
    memcpy(prefix, procuratorate, n);
    prefix[n] = '\0';
    return 0;
}

bool gy_scope_within(const char *code, const char *prefix)
{
    return strncmp(code, prefix, strlen(prefix)) == 0;
}
