/*  gy-token — creates the token signing keys, issues tokens and checks them.
 *
 *    gy-token keygen SECRET_FILE PUBLIC_FILE
 *    gy-token issue SECRET_FILE --sub ID --role ROLE --proc REGION [--ttl SECONDS]
 *    gy-token verify PUBLIC_FILE TOKEN
 *
 *  Exit status: 0 done, 1 failed (the reason is on stderr), 2 bad arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gy_token.h"
#include "gy_util.h"

#define S_MAX_TTL (366LL * 86400) /* a longer-lived token is more likely a typo than a plan */

static const char *s_usage =
    "usage:\n"
    "  gy-token keygen SECRET_FILE PUBLIC_FILE\n"
    "      Writes a new Ed25519 key pair as hex.  The secret file gets mode 0600;\n"
    "      existing files are never overwritten.\n"
    "  gy-token issue SECRET_FILE --sub ID --role ROLE --proc REGION [--ttl SECONDS]\n"
    "      Prints a token.  ROLE is volunteer, prosecutor, chief_prosecutor, admin or\n"
    "      integrator; --ttl defaults to 3600 and is at most 31622400 (366 days).\n"
    "  gy-token verify PUBLIC_FILE TOKEN\n"
    "      Prints the token's claims as JSON, or why it is refused (exit status 1).\n"
    "      TOKEN \"-\" reads the token from standard input.\n";

static const char *s_roles[] = {"volunteer", "prosecutor", "chief_prosecutor", "admin",
                                "integrator"};

static int s_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int s_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gy-token: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n%s", s_usage);
    va_end(ap);
    return 2;
}

/*  Creates path holding text, refusing to replace an existing file. */
static int s_write_new_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        fprintf(stderr, "gy-token: could not create \"%s\": %s\n", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    /*  The key must be on disk before anyone is told it exists. */
    int rc = (n == (ssize_t)len && fsync(fd) == 0) ? 0 : -1;
    if (close(fd) < 0)
        rc = -1;
    if (rc < 0) {
        fprintf(stderr, "gy-token: could not write \"%s\": %s\n", path, strerror(errno));
        unlink(path);
    }
    return rc;
}

static int s_keygen(int argc, char **argv)
{
    if (argc != 2)
        return s_usage_error("keygen takes SECRET_FILE PUBLIC_FILE");
    const char *secret_path = argv[0];
    const char *public_path = argv[1];
    /*  Both names are checked first so a refusal leaves nothing behind. */
    for (int i = 0; i < 2; i++) {
        if (access(argv[i], F_OK) == 0) {
            fprintf(stderr, "gy-token: \"%s\" already exists; refusing to overwrite it\n", argv[i]);
            return 1;
        }
    }
    uint8_t pk[GY_TOKEN_PUBLIC_KEY_BYTES];
    uint8_t sk[GY_TOKEN_SECRET_KEY_BYTES];
    gy_token_keygen(pk, sk);
    char text[2 * GY_TOKEN_SECRET_KEY_BYTES + 2];
    gy_hex(sk, sizeof sk, text);
    text[2 * sizeof sk] = '\n';
    text[2 * sizeof sk + 1] = '\0';
    int rc = s_write_new_file(secret_path, text, 0600);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(text, sizeof text);
    if (rc < 0)
        return 1;
    gy_hex(pk, sizeof pk, text);
    text[2 * sizeof pk] = '\n';
    text[2 * sizeof pk + 1] = '\0';
    if (s_write_new_file(public_path, text, 0644) < 0) {
        unlink(secret_path); /* half a key pair is no use to anyone */
        return 1;
    }
    return 0;
}

/*  Claim values are printable ASCII without spaces and must fit the claim. */
static int s_claim_arg(const char *option, const char *value, char *out, size_t cap)
{
    size_t len = strlen(value);
    if (len == 0 || len >= cap)
        return s_usage_error("%s must be 1 to %zu characters", option, cap - 1);
    for (const char *c = value; *c; c++)
        if (*c <= ' ' || *c > '~')
            return s_usage_error("%s must be printable ASCII without spaces", option);
    memcpy(out, value, len + 1);
    return 0;
}

static int s_issue(int argc, char **argv)
{
    if (argc < 1)
        return s_usage_error("issue takes SECRET_FILE and options");
    const char *secret_path = argv[0];
    const char *sub = NULL, *role = NULL, *proc = NULL, *ttl_text = "3600";
    for (int i = 1; i < argc; i += 2) {
        const char **slot = strcmp(argv[i], "--sub") == 0    ? &sub
                            : strcmp(argv[i], "--role") == 0 ? &role
                            : strcmp(argv[i], "--proc") == 0 ? &proc
                            : strcmp(argv[i], "--ttl") == 0  ? &ttl_text
                                                             : NULL;
        if (!slot)
            return s_usage_error("unknown option \"%s\"", argv[i]);
        if (i + 1 >= argc)
            return s_usage_error("%s needs a value", argv[i]);
        *slot = argv[i + 1];
    }
    if (!sub || !role || !proc)
        return s_usage_error("issue needs --sub, --role and --proc");

    gy_token_claims_t claims;
    memset(&claims, 0, sizeof claims);
    if (s_claim_arg("--sub", sub, claims.sub, sizeof claims.sub) ||
        s_claim_arg("--role", role, claims.role, sizeof claims.role) ||
        s_claim_arg("--proc", proc, claims.proc, sizeof claims.proc))
        return 2;
    size_t nroles = sizeof s_roles / sizeof s_roles[0];
    size_t r = 0;
    while (r < nroles && strcmp(role, s_roles[r]) != 0)
        r++;
    if (r == nroles)
        return s_usage_error("unknown role \"%s\"", role);
    char *end = NULL;
    errno = 0;
    long long ttl = strtoll(ttl_text, &end, 10);
    if (errno || end == ttl_text || *end || ttl < 1 || ttl > S_MAX_TTL)
        return s_usage_error("--ttl must be a whole number of seconds, 1 to %lld, not \"%s\"",
                             S_MAX_TTL, ttl_text);

    uint8_t sk[GY_TOKEN_SECRET_KEY_BYTES];
    if (gy_token_load_key(secret_path, sk, sizeof sk) < 0)
        return 1;
    claims.iat = gy_now_ms() / 1000;
    claims.exp = claims.iat + ttl;
    char *token = gy_token_issue(sk, &claims);
    sodium_memzero(sk, sizeof sk);
    if (!token)
        return 1;
    printf("%s\n", token);
    free(token);
    return 0;
}

static int s_verify(int argc, char **argv)
{
    if (argc != 2)
        return s_usage_error("verify takes PUBLIC_FILE TOKEN");
    uint8_t pk[GY_TOKEN_PUBLIC_KEY_BYTES];
    if (gy_token_load_key(argv[0], pk, sizeof pk) < 0)
        return 1;
    char line[4096];
    const char *token = argv[1];
    if (strcmp(token, "-") == 0) {
        /*  Reading from stdin keeps the token out of `ps` and shell history. */
        if (!fgets(line, sizeof line, stdin)) {
            fprintf(stderr, "gy-token: no token on standard input\n");
            return 1;
        }
        line[strcspn(line, "\r\n")] = '\0';
        token = line;
    }
    gy_token_claims_t claims;
    int64_t now = gy_now_ms() / 1000;
    switch (gy_token_verify(pk, token, now, &claims)) {
    case GY_TOKEN_OK: break;
    case GY_TOKEN_MALFORMED: fprintf(stderr, "gy-token: token is malformed\n"); return 1;
    case GY_TOKEN_BAD_SIGNATURE:
        fprintf(stderr, "gy-token: token signature does not verify with this public key\n");
        return 1;
    case GY_TOKEN_EXPIRED: fprintf(stderr, "gy-token: token has expired\n"); return 1;
    }
    json_t *json =
        json_pack("{s:s, s:s, s:s, s:I, s:I}", "sub", claims.sub, "role", claims.role, "proc",
                  claims.proc, "iat", (json_int_t)claims.iat, "exp", (json_int_t)claims.exp);
    char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
    json_decref(json);
    if (!text) {
        fprintf(stderr, "gy-token: could not print the claims\n");
        return 1;
    }
    printf("%s\n", text);
    free(text);
    return 0;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} s_commands[] = {{"keygen", s_keygen}, {"issue", s_issue}, {"verify", s_verify}};

int main(int argc, char **argv)
{
    gy_log_init("gy-token", "warning");
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
        printf("%s", s_usage);
        return 0;
    }
    if (argc < 2)
        return s_usage_error("missing command");
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        if (strcmp(argv[1], s_commands[i].name) == 0)
            return s_commands[i].run(argc - 2, argv + 2);
    return s_usage_error("unknown command \"%s\"", argv[1]);
}
