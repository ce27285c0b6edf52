/*  gy_config — see gy_config.h. */
#include "gy_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gy_util.h"

const char *gy_config_str(const char *name, const char *def)
{
    const char *value = getenv(name);
    return value && *value ? value : def;
}

int gy_config_int(const char *name, int64_t def, int64_t min, int64_t max, int64_t *out)
{
    const char *value = getenv(name);
    if (!value || !*value) {
        *out = def;
        return 0;
    }
    errno = 0;
    char *end = NULL;
    long long n = strtoll(value, &end, 10);
    if (errno || *end != '\0' || n < min || n > max) {
        gy_log_error("invalid value for %s: \"%s\"", name, value);
        gy_log_error("detail: %s must be an integer from %lld to %lld.", name, (long long)min,
                     (long long)max);
        return -1;
    }
    *out = n;
    return 0;
}

int gy_config_switch(const char *name, bool def, bool *out)
{
    const char *value = gy_config_str(name, def ? "on" : "off");
    if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
        gy_log_error("invalid value for %s: \"%s\"", name, value);
        gy_log_error("detail: %s must be on or off.", name);
        return -1;
    }
    *out = strcmp(value, "on") == 0;
    return 0;
}

char *gy_config_secret_file(const char *name, int *failed)
{
    *failed = 0;
    const char *path = gy_config_str(name, NULL);
    if (!path)
        return NULL;
    char *text = gy_read_file(path, NULL);
    if (!text) {
        gy_log_error("could not read the file named by %s", name);
        *failed = 1;
        return NULL;
    }
    text[strcspn(text, "\r\n")] = '\0';
    return text;
}
