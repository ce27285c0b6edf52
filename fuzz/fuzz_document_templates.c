/*  Document numbering (workflow_docnum_parse: document_templates.csv and
 *  procuratorate_abbr.csv, the input's two parts split at its first NUL)
 *  checked against the committed regions, and the number of every agreed
 *  kind at the procuratorates the abbreviations name. */
#include "fuzz_common.h"
#include "gy_text.h"
#include "workflow_docnum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    const char *abbrs = text + strlen(text) + (strlen(text) < size ? 1 : 0);
    workflow_docnum_t *docnum =
        workflow_docnum_parse(text, "templates", abbrs, "abbrs", fuzz_refdata(), NULL);
    if (docnum) {
        static const char *const case_kinds[] = {"administrative", "civil", NULL};
        for (size_t r = 0; r < gy_refdata_region_count(fuzz_refdata()); r++) {
            const char *code = gy_refdata_region_at(fuzz_refdata(), r)->code;
            for (size_t k = 0; WORKFLOW_DOC_KINDS[k]; k++)
                for (size_t c = 0; c < 3; c++) {
                    workflow_docnum_template_t t;
                    if (workflow_docnum_lookup(docnum, code, case_kinds[c], WORKFLOW_DOC_KINDS[k],
                                               &t, NULL) < 0)
                        continue;
                    /*  A number is one line of valid UTF-8 with its year. */
                    char *number = workflow_docnum_render(&t, 2026, 12);
                    if (gy_text_check(number, strlen(number), GY_TEXT_LINE) < 1 ||
                        !strstr(number, "2026"))
                        abort();
                    free(number);
                }
        }
        workflow_docnum_destroy(&docnum);
    }
    free(text);
    return 0;
}
