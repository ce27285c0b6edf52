/*  gy_config — typed reading of GY_* environment variables with defaults.
 *
 *  A service declares what it reads with these getters at start; a malformed
 *  value is logged with the variable's name and makes the getter return -1,
 *  so main can refuse to start instead of running on a guess.
 */
#ifndef GY_CONFIG_H
#define GY_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

/*  The value, or def when unset or empty.  Borrowed from the environment. */
const char *gy_config_str(const char *name, const char *def);

/*  Parses an integer in [min, max]; def when unset.  -1 (logged) when the
 *  value is not a number or out of range. */
int gy_config_int(const char *name, int64_t def, int64_t min, int64_t max, int64_t *out);

/*  An on/off switch: "on" or "off"; def when unset.  -1 (logged) for any
 *  other value. */
int gy_config_switch(const char *name, bool def, bool *out);

/*  The first line of the file named by variable `name` (e.g. GY_PG_PASSWORD_FILE),
 *  without the newline; NULL when unset.  *failed is set when the variable
 *  is set but the file cannot be read (logged).  The caller frees. */
char *gy_config_secret_file(const char *name, int *failed);

#endif
