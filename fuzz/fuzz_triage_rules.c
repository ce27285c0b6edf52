/*  The router's triage rules CSV (router_rules_parse) and the triage of a
 *  clue's text with them.  The input is the rules text, a NUL, the title, a
 *  NUL, the description; empty rules text means the tree's
 *  reference/triage_rules.csv, so the fuzzer also works on the text alone. */
#include "fuzz_common.h"
#include "router_rules.h"

static router_rules_t *s_tree_rules(void)
{
    static router_rules_t *rules;
    if (!rules) {
        rules = router_rules_new(GY_SOURCE_DIR "/reference/triage_rules.csv", fuzz_refdata());
        if (!rules)
            abort();
    }
    return rules;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    /*  Three NUL-separated parts; a missing one is empty. */
    const char *parts[3] = {"", "", ""};
    char *p = text;
    for (int i = 0; i < 3; i++) {
        parts[i] = p;
        size_t len = strlen(p);
        if (p + len >= text + size) {
            p = text + size; /* the terminator the copy added */
            continue;
        }
        p += len + 1;
    }
    router_rules_t *own = NULL;
    router_rules_t *rules = s_tree_rules();
    if (*parts[0]) {
        own = router_rules_parse(parts[0], "fuzz", fuzz_refdata());
        if (own)
            rules = own;
    }
    router_triage_t out;
    router_rules_triage(rules, parts[1], parts[2], "ecology", &out);
    if (out.confidence < 0 || out.confidence > 1 || !memchr(out.reason, '\0', sizeof out.reason))
        abort();
    router_rules_triage(rules, parts[1], parts[2], NULL, &out);
    router_rules_destroy(&own);
    free(text);
    return 0;
}
