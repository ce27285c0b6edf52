/*  test_workflow_machines — the case machines, written out here as the
 *  specification (docs/workflow.md, "Case state machines"): every cell of
 *  the three tables (an allowed event gives its next state, a refused one
 *  the refusal that names the state and the events it allows), the role
 *  per event, the rules and documents per transition, a walk of every
 *  path, and the heroes-and-martyrs variant.  Nothing here is read from
 *  the module's own tables.
 *
 *  The program has two more modes, for docs/workflow.md:
 *      test_workflow_machines --check-doc docs/workflow.md   (CTest doc_workflow_machines)
 *      test_workflow_machines --write-doc docs/workflow.md   (regenerates the tables)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gy_text.h"
#include "gy_util.h"
#include "workflow_machines.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the specification -------------------------------------------------- */

static const char *const s_admin_states[] = {
    "opened",
    "investigating",
    "consulting",
    "suggestion_issued",
    "awaiting_reply",
    "following_up",
    "rectified",
    "review_for_suit",
    "suit_filed",
    "judgment",
    "appeal",
    "enforcement_supervision",
    "closed",
    "terminated",
    "investigating_suspended",
    "consulting_suspended",
    "following_up_suspended",
    "review_for_suit_suspended",
};
static const char *const s_admin_events[] = {
    "serve_opening_decision",
    "start_consultation",
    "issue_suggestion",
    "serve_suggestion",
    "record_reply",
    "reply_period_expired",
    "confirm_rectified",
    "enter_review_for_suit",
    "file_suit",
    "record_judgment",
    "record_ruling",
    "file_appeal",
    "other_party_appeals",
    "judgment_effective",
    "record_appeal_decision",
    "remand",
    "close",
    "suspend",
    "resume",
    "terminate",
    "reopen",
};
static const char *const s_civil_states[] = {
    "opened",
    "investigating",
    "announcement",
    "supporting_suit",
    "review_for_suit",
    "suit_filed",
    "judgment",
    "appeal",
    "enforcement_supervision",
    "closed",
    "terminated",
    "investigating_suspended",
    "review_for_suit_suspended",
    "asking_relatives",
};
static const char *const s_civil_events[] = {
    "start_investigation",
    "publish_announcement",
    "announcement_expired",
    "support_suit",
    "plaintiff_withdraws",
    "file_suit",
    "record_judgment",
    "record_ruling",
    "file_appeal",
    "other_party_appeals",
    "judgment_effective",
    "record_appeal_decision",
    "remand",
    "close",
    "suspend",
    "resume",
    "terminate",
    "ask_relatives",
    "relatives_decline",
};

typedef struct {
    const char *state, *event, *next;
} s_move_t;

/* Every allowed cell of the administrative case; every other is refused. */
static const s_move_t s_admin_moves[] = {
    {"opened", "serve_opening_decision", "investigating"},
    {"opened", "terminate", "terminated"},
    {"investigating", "start_consultation", "consulting"},
    {"investigating", "issue_suggestion", "suggestion_issued"},
    {"investigating", "confirm_rectified", "rectified"},
    {"investigating", "suspend", "investigating_suspended"},
    {"investigating", "terminate", "terminated"},
    {"consulting", "issue_suggestion", "suggestion_issued"},
    {"consulting", "confirm_rectified", "rectified"},
    {"consulting", "suspend", "consulting_suspended"},
    {"consulting", "terminate", "terminated"},
    {"suggestion_issued", "serve_suggestion", "awaiting_reply"},
    {"suggestion_issued", "terminate", "terminated"},
    {"awaiting_reply", "record_reply", "following_up"},
    {"awaiting_reply", "reply_period_expired", "following_up"},
    {"awaiting_reply", "terminate", "terminated"},
    {"following_up", "confirm_rectified", "rectified"},
    {"following_up", "enter_review_for_suit", "review_for_suit"},
    {"following_up", "suspend", "following_up_suspended"},
    {"following_up", "terminate", "terminated"},
    {"rectified", "close", "closed"},
    {"rectified", "terminate", "terminated"},
    {"review_for_suit", "confirm_rectified", "rectified"},
    {"review_for_suit", "file_suit", "suit_filed"},
    {"review_for_suit", "suspend", "review_for_suit_suspended"},
    {"review_for_suit", "terminate", "terminated"},
    {"suit_filed", "record_judgment", "judgment"},
    {"suit_filed", "record_ruling", "judgment"},
    {"suit_filed", "terminate", "terminated"},
    {"judgment", "file_appeal", "appeal"},
    {"judgment", "other_party_appeals", "appeal"},
    {"judgment", "judgment_effective", "enforcement_supervision"},
    {"judgment", "terminate", "terminated"},
    {"appeal", "record_appeal_decision", "enforcement_supervision"},
    {"appeal", "remand", "suit_filed"},
    {"appeal", "terminate", "terminated"},
    {"enforcement_supervision", "close", "closed"},
    {"enforcement_supervision", "terminate", "terminated"},
    {"closed", "reopen", "opened"},
    {"investigating_suspended", "resume", "investigating"},
    {"investigating_suspended", "terminate", "terminated"},
    {"consulting_suspended", "resume", "consulting"},
    {"consulting_suspended", "terminate", "terminated"},
    {"following_up_suspended", "resume", "following_up"},
    {"following_up_suspended", "terminate", "terminated"},
    {"review_for_suit_suspended", "resume", "review_for_suit"},
    {"review_for_suit_suspended", "terminate", "terminated"},
};

/* The civil case (the heroes variant is derived from it below). */
static const s_move_t s_civil_moves[] = {
    {"opened", "start_investigation", "investigating"},
    {"opened", "terminate", "terminated"},
    {"investigating", "publish_announcement", "announcement"},
    {"investigating", "close", "closed"},
    {"investigating", "suspend", "investigating_suspended"},
    {"investigating", "terminate", "terminated"},
    {"announcement", "announcement_expired", "review_for_suit"},
    {"announcement", "support_suit", "supporting_suit"},
    {"announcement", "close", "closed"},
    {"announcement", "terminate", "terminated"},
    {"supporting_suit", "plaintiff_withdraws", "review_for_suit"},
    {"supporting_suit", "close", "closed"},
    {"supporting_suit", "terminate", "terminated"},
    {"review_for_suit", "file_suit", "suit_filed"},
    {"review_for_suit", "close", "closed"},
    {"review_for_suit", "suspend", "review_for_suit_suspended"},
    {"review_for_suit", "terminate", "terminated"},
    {"suit_filed", "record_judgment", "judgment"},
    {"suit_filed", "record_ruling", "judgment"},
    {"suit_filed", "terminate", "terminated"},
    {"judgment", "file_appeal", "appeal"},
    {"judgment", "other_party_appeals", "appeal"},
    {"judgment", "judgment_effective", "enforcement_supervision"},
    {"judgment", "terminate", "terminated"},
    {"appeal", "record_appeal_decision", "enforcement_supervision"},
    {"appeal", "remand", "suit_filed"},
    {"appeal", "terminate", "terminated"},
    {"enforcement_supervision", "close", "closed"},
    {"enforcement_supervision", "terminate", "terminated"},
    {"investigating_suspended", "resume", "investigating"},
    {"investigating_suspended", "terminate", "terminated"},
    {"review_for_suit_suspended", "resume", "review_for_suit"},
    {"review_for_suit_suspended", "terminate", "terminated"},
};
/*  The heroes-and-martyrs case: the civil moves without this one, plus
 *  the relatives' step. */
static const s_move_t s_heroes_removed = {"investigating", "publish_announcement", NULL};
static const s_move_t s_heroes_added[] = {
    {"investigating", "ask_relatives", "asking_relatives"},
    {"asking_relatives", "publish_announcement", "announcement"},
    {"asking_relatives", "support_suit", "supporting_suit"},
    {"asking_relatives", "close", "closed"},
    {"asking_relatives", "terminate", "terminated"},
    {"asking_relatives", "relatives_decline", "review_for_suit"},
};

static const char *const s_admin_chief_events[] = {"issue_suggestion", "file_suit", "terminate",
                                                   "reopen"};
static const char *const s_civil_chief_events[] = {"file_suit", "terminate"};

/*  What each transition does: settles ("all": every open deadline),
 *  starts, public label ("" none), issues, serves; lists comma separated.
 *  State "*": the event's effect wherever it is allowed, unless a row for
 *  the state says otherwise. */
typedef struct {
    const char *state, *event, *settles, *starts, *label, *issues, *serves;
} s_effect_t;

static const s_effect_t s_admin_open = {
    "", "open", "", "serve_opening,investigation", "已立案", "opening_decision", ""};
static const s_effect_t s_civil_open = {
    "", "open", "", "investigation", "已立案", "opening_decision", ""};

static const s_effect_t s_admin_effects[] = {
    {"opened", "serve_opening_decision", "serve_opening", "", "", "", "opening_decision"},
    {"investigating", "start_consultation", "", "", "", "", ""},
    {"*", "issue_suggestion", "investigation", "file_upward_suggestion", "已发出检察建议",
     "suggestion", ""},
    {"suggestion_issued", "serve_suggestion", "", "organ_reply", "", "", "suggestion"},
    {"awaiting_reply", "record_reply", "organ_reply", "", "", "", ""},
    {"awaiting_reply", "reply_period_expired", "organ_reply", "", "", "", ""},
    {"investigating", "confirm_rectified", "investigation", "", "已整改", "", ""},
    {"consulting", "confirm_rectified", "investigation", "", "已整改", "", ""},
    {"following_up", "confirm_rectified", "", "", "已整改", "", ""},
    {"review_for_suit", "confirm_rectified", "review_for_suit", "", "已整改", "", ""},
    {"following_up", "enter_review_for_suit", "", "review_for_suit", "", "", ""},
    {"review_for_suit", "file_suit", "review_for_suit", "file_upward_suit,first_instance",
     "已提起公益诉讼", "indictment", ""},
    {"suit_filed", "record_judgment", "first_instance", "appeal_judgment", "", "", ""},
    {"suit_filed", "record_ruling", "first_instance", "appeal_ruling", "", "", ""},
    {"judgment", "file_appeal", "appeal_judgment,appeal_ruling", "", "", "appeal", ""},
    {"judgment", "other_party_appeals", "appeal_judgment,appeal_ruling", "", "", "", ""},
    {"judgment", "judgment_effective", "appeal_judgment,appeal_ruling", "", "", "", ""},
    {"appeal", "record_appeal_decision", "", "", "", "", ""},
    {"appeal", "remand", "", "first_instance", "", "", ""},
    {"*", "close", "all", "serve_closing", "已结案", "closing_decision", ""},
    {"*", "suspend", "", "", "", "", ""},
    {"*", "resume", "", "", "", "", ""},
    {"*", "terminate", "all", "serve_closing", "已终止办理", "closing_decision", ""},
    {"closed", "reopen", "serve_closing", "serve_opening,investigation", "已重新立案",
     "opening_decision", ""},
};

static const s_effect_t s_civil_effects[] = {
    {"opened", "start_investigation", "", "", "", "", ""},
    {"investigating", "publish_announcement", "investigation", "announcement", "已发布公告",
     "announcement", ""},
    {"asking_relatives", "publish_announcement", "", "announcement", "已发布公告", "announcement",
     ""},
    {"investigating", "ask_relatives", "investigation", "", "", "", ""},
    {"asking_relatives", "relatives_decline", "", "civil_review_for_suit", "", "", ""},
    {"announcement", "announcement_expired", "announcement", "civil_review_for_suit", "", "", ""},
    {"announcement", "support_suit", "announcement", "", "已支持起诉", "support_letter", ""},
    {"asking_relatives", "support_suit", "", "", "已支持起诉", "support_letter", ""},
    {"supporting_suit", "plaintiff_withdraws", "", "civil_review_for_suit", "", "", ""},
    {"review_for_suit", "file_suit", "civil_review_for_suit", "file_upward_suit,first_instance",
     "已提起公益诉讼", "indictment", ""},
    {"suit_filed", "record_judgment", "first_instance", "appeal_judgment", "", "", ""},
    {"suit_filed", "record_ruling", "first_instance", "appeal_ruling", "", "", ""},
    {"judgment", "file_appeal", "appeal_judgment,appeal_ruling", "", "", "appeal", ""},
    {"judgment", "other_party_appeals", "appeal_judgment,appeal_ruling", "", "", "", ""},
    {"judgment", "judgment_effective", "appeal_judgment,appeal_ruling", "", "", "", ""},
    {"appeal", "record_appeal_decision", "", "", "", "", ""},
    {"appeal", "remand", "", "first_instance", "", "", ""},
    {"*", "close", "all", "serve_closing", "已结案", "closing_decision", ""},
    {"*", "suspend", "", "", "", "", ""},
    {"*", "resume", "", "", "", "", ""},
    {"*", "terminate", "all", "serve_closing", "已终止办理", "closing_decision", ""},
};

/* The agreed rule ids (reference/time_limits.csv) and document kinds. */
static const char *const s_rules[] = {
    "serve_opening",  "investigation",   "file_upward_suggestion", "organ_reply",
    "announcement",   "review_for_suit", "civil_review_for_suit",  "file_upward_suit",
    "first_instance", "appeal_judgment", "appeal_ruling",          "serve_closing",
};
static const char *const s_documents[] = {
    "opening_decision", "suggestion",     "announcement", "closing_decision",
    "indictment",       "support_letter", "appeal"};

/* ---- helpers ------------------------------------------------------------ */

typedef struct {
    workflow_case_kind_t kind;
    bool heroes;
    const char *name;          /* the machine's name in refusals */
    const char *const *states; /* expected names, in index order */
    size_t nstates;
    const char *const *events;
    size_t nevents;
    s_move_t moves[64]; /* every allowed cell */
    size_t nmoves;
} s_spec_t;

static s_spec_t s_spec(workflow_case_kind_t kind, bool heroes)
{
    s_spec_t spec = {.kind = kind, .heroes = heroes};
    if (kind == WORKFLOW_CASE_ADMINISTRATIVE) {
        spec.name = "administrative case";
        spec.states = s_admin_states;
        spec.nstates = N(s_admin_states);
        spec.events = s_admin_events;
        spec.nevents = N(s_admin_events);
        memcpy(spec.moves, s_admin_moves, sizeof s_admin_moves);
        spec.nmoves = N(s_admin_moves);
        return spec;
    }
    spec.name = heroes ? "heroes and martyrs civil case" : "civil case";
    spec.states = s_civil_states;
    /* The plain civil case has neither asking_relatives nor its events. */
    spec.nstates = N(s_civil_states) - (heroes ? 0 : 1);
    spec.events = s_civil_events;
    spec.nevents = N(s_civil_events) - (heroes ? 0 : 2);
    for (size_t i = 0; i < N(s_civil_moves); i++) {
        if (heroes && strcmp(s_civil_moves[i].state, s_heroes_removed.state) == 0 &&
            strcmp(s_civil_moves[i].event, s_heroes_removed.event) == 0)
            continue;
        spec.moves[spec.nmoves++] = s_civil_moves[i];
    }
    for (size_t i = 0; heroes && i < N(s_heroes_added); i++)
        spec.moves[spec.nmoves++] = s_heroes_added[i];
    assert_true(spec.nmoves <= N(spec.moves));
    return spec;
}

static const char *s_expected_next(const s_spec_t *spec, const char *state, const char *event)
{
    for (size_t i = 0; i < spec->nmoves; i++)
        if (strcmp(spec->moves[i].state, state) == 0 && strcmp(spec->moves[i].event, event) == 0)
            return spec->moves[i].next;
    return NULL;
}

/* The allowed events of a state, in the events' order, as the refusal lists them. */
static void s_expected_allowed(const s_spec_t *spec, const char *state, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t e = 0; e < spec->nevents; e++)
        if (s_expected_next(spec, state, spec->events[e])) {
            if (buf[0])
                strncat(buf, ", ", size - strlen(buf) - 1);
            strncat(buf, spec->events[e], size - strlen(buf) - 1);
        }
    if (!buf[0])
        snprintf(buf, size, "none");
}

static void s_join(const char *const *items, size_t n, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n && items[i]; i++) {
        if (i)
            strncat(buf, ",", size - strlen(buf) - 1);
        strncat(buf, items[i], size - strlen(buf) - 1);
    }
}

static void s_check_effect(const workflow_step_t *step, const s_effect_t *want)
{
    char got[200];
    if (strcmp(want->settles, "all") == 0) {
        assert_true(step->settles_all);
        assert_null(step->settles[0]);
    } else {
        assert_false(step->settles_all);
        s_join(step->settles, N(step->settles), got, sizeof got);
        assert_string_equal(got, want->settles);
    }
    s_join(step->starts, N(step->starts), got, sizeof got);
    assert_string_equal(got, want->starts);
    assert_string_equal(step->public_label ? step->public_label : "", want->label);
    s_join(step->issues, N(step->issues), got, sizeof got);
    assert_string_equal(got, want->issues);
    s_join(step->serves, N(step->serves), got, sizeof got);
    assert_string_equal(got, want->serves);
}

static const s_effect_t *s_expected_effect(workflow_case_kind_t kind, const char *state,
                                           const char *event)
{
    const s_effect_t *list =
        kind == WORKFLOW_CASE_ADMINISTRATIVE ? s_admin_effects : s_civil_effects;
    size_t n = kind == WORKFLOW_CASE_ADMINISTRATIVE ? N(s_admin_effects) : N(s_civil_effects);
    const s_effect_t *any = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].event, event) != 0)
            continue;
        if (strcmp(list[i].state, state) == 0)
            return &list[i];
        if (strcmp(list[i].state, "*") == 0)
            any = &list[i];
    }
    return any;
}

/* ---- every cell --------------------------------------------------------- */

static void s_check_every_cell(workflow_case_kind_t kind, bool heroes)
{
    s_spec_t spec = s_spec(kind, heroes);
    const gy_machine_t *m = workflow_case_machine(kind, heroes);
    assert_string_equal(m->name, spec.name);
    assert_int_equal(m->nstates, (int)spec.nstates);
    assert_int_equal(m->nevents, (int)spec.nevents);
    /* The stored names, at their enum indexes. */
    for (size_t s = 0; s < spec.nstates; s++)
        assert_int_equal(gy_machine_state_of(m, spec.states[s]), (int)s);
    for (size_t e = 0; e < spec.nevents; e++)
        assert_int_equal(gy_machine_event_of(m, spec.events[e]), (int)e);
    /* Every move in the specification names a real state and event. */
    for (size_t i = 0; i < spec.nmoves; i++) {
        assert_true(gy_machine_state_of(m, spec.moves[i].state) >= 0);
        assert_true(gy_machine_event_of(m, spec.moves[i].event) >= 0);
        assert_true(gy_machine_state_of(m, spec.moves[i].next) >= 0);
    }
    size_t allowed_cells = 0;
    for (size_t s = 0; s < spec.nstates; s++)
        for (size_t e = 0; e < spec.nevents; e++) {
            const char *want = s_expected_next(&spec, spec.states[s], spec.events[e]);
            int next = gy_machine_next(m, (int)s, (int)e);
            const workflow_step_t *step = workflow_case_step(kind, heroes, (int)s, (int)e);
            if (want) {
                allowed_cells++;
                assert_int_not_equal(next, GY_MACHINE_REFUSED);
                assert_string_equal(gy_machine_state_name(m, next), want);
                assert_non_null(step);
                const s_effect_t *effect = s_expected_effect(kind, spec.states[s], spec.events[e]);
                assert_non_null(effect);
                s_check_effect(step, effect);
                continue;
            }
            assert_int_equal(next, GY_MACHINE_REFUSED);
            assert_null(step);
            char allowed[300], want_text[400], got[400];
            s_expected_allowed(&spec, spec.states[s], allowed, sizeof allowed);
            snprintf(want_text, sizeof want_text, "the %s is %s; %s is not allowed (allowed: %s)",
                     spec.name, spec.states[s], spec.events[e], allowed);
            gy_machine_refusal(m, (int)s, (int)e, got, sizeof got);
            assert_string_equal(got, want_text);
        }
    assert_int_equal(allowed_cells, spec.nmoves); /* no move listed twice */
}

static void test_admin_cells(void **state)
{
    (void)state;
    s_check_every_cell(WORKFLOW_CASE_ADMINISTRATIVE, false);
    /* The heroes flag does not change the administrative case. */
    assert_ptr_equal(workflow_case_machine(WORKFLOW_CASE_ADMINISTRATIVE, true),
                     workflow_case_machine(WORKFLOW_CASE_ADMINISTRATIVE, false));
}

static void test_civil_cells(void **state)
{
    (void)state;
    s_check_every_cell(WORKFLOW_CASE_CIVIL, false);
    const gy_machine_t *m = workflow_case_machine(WORKFLOW_CASE_CIVIL, false);
    assert_int_equal(gy_machine_state_of(m, "asking_relatives"), -1);
    assert_int_equal(gy_machine_event_of(m, "ask_relatives"), -1);
}

static void test_heroes_cells(void **state)
{
    (void)state;
    s_check_every_cell(WORKFLOW_CASE_CIVIL, true);
}

/* ---- the heroes-and-martyrs variant, as a prosecutor meets it ----------- */

static void test_heroes_relatives_first(void **state)
{
    (void)state;
    const gy_machine_t *m = workflow_case_machine(WORKFLOW_CASE_CIVIL, true);
    int inv = gy_machine_state_of(m, "investigating");
    char why[300];
    gy_machine_refusal(m, inv, gy_machine_event_of(m, "publish_announcement"), why, sizeof why);
    assert_string_equal(why, "the heroes and martyrs civil case is investigating; "
                             "publish_announcement is not allowed "
                             "(allowed: close, suspend, terminate, ask_relatives)");
    /* Relatives asked, then they decline: the procuratorate reviews for suit. */
    int ask = gy_machine_next(m, inv, gy_machine_event_of(m, "ask_relatives"));
    assert_string_equal(gy_machine_state_name(m, ask), "asking_relatives");
    int rfs = gy_machine_next(m, ask, gy_machine_event_of(m, "relatives_decline"));
    assert_string_equal(gy_machine_state_name(m, rfs), "review_for_suit");
    const workflow_step_t *step =
        workflow_case_step(WORKFLOW_CASE_CIVIL, true, ask, WORKFLOW_CIVIL_RELATIVES_DECLINE);
    assert_string_equal(step->starts[0], "civil_review_for_suit");
    /* They sue: supported, or the case closes. */
    assert_string_equal(
        gy_machine_state_name(m, gy_machine_next(m, ask, WORKFLOW_CIVIL_SUPPORT_SUIT)),
        "supporting_suit");
    assert_string_equal(gy_machine_state_name(m, gy_machine_next(m, ask, WORKFLOW_CIVIL_CLOSE)),
                        "closed");
    /* In the plain civil case the investigation goes straight to the announcement. */
    const gy_machine_t *plain = workflow_case_machine(WORKFLOW_CASE_CIVIL, false);
    assert_string_equal(
        gy_machine_state_name(plain,
                              gy_machine_next(plain, inv, WORKFLOW_CIVIL_PUBLISH_ANNOUNCEMENT)),
        "announcement");
}

/* ---- roles -------------------------------------------------------------- */

static bool s_in(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

static void s_check_roles(workflow_case_kind_t kind, const char *const *chief, size_t nchief)
{
    s_spec_t spec = s_spec(kind, true);
    for (size_t e = 0; e < spec.nevents; e++) {
        bool chief_only = s_in(chief, nchief, spec.events[e]);
        assert_string_equal(workflow_event_role(kind, (int)e),
                            chief_only ? "chief_prosecutor" : "prosecutor");
        assert_true(workflow_event_allowed_for(kind, (int)e, "chief_prosecutor"));
        assert_int_equal(workflow_event_allowed_for(kind, (int)e, "prosecutor"), !chief_only);
        assert_false(workflow_event_allowed_for(kind, (int)e, "volunteer"));
        assert_false(workflow_event_allowed_for(kind, (int)e, "admin"));
        assert_false(workflow_event_allowed_for(kind, (int)e, "integrator"));
        assert_false(workflow_event_allowed_for(kind, (int)e, "Prosecutor"));
        assert_false(workflow_event_allowed_for(kind, (int)e, ""));
        assert_false(workflow_event_allowed_for(kind, (int)e, NULL));
    }
}

static void test_roles(void **state)
{
    (void)state;
    s_check_roles(WORKFLOW_CASE_ADMINISTRATIVE, s_admin_chief_events, N(s_admin_chief_events));
    s_check_roles(WORKFLOW_CASE_CIVIL, s_civil_chief_events, N(s_civil_chief_events));
    assert_string_equal(WORKFLOW_OPEN_ROLE, "chief_prosecutor");
}

static void test_actions(void **state)
{
    (void)state;
    static const struct {
        const char *name, *role, *settles, *serves;
        bool administrative, civil, on_final;
    } want[] = {
        {"extend_period", "chief_prosecutor", NULL, NULL, true, true, false},
        {"file_suggestion_upward", "prosecutor", "file_upward_suggestion", NULL, true, false,
         false},
        {"file_suit_upward", "prosecutor", "file_upward_suit", NULL, true, true, false},
        {"serve_closing_decision", "prosecutor", "serve_closing", "closing_decision", true, true,
         true},
    };
    assert_int_equal(WORKFLOW_NACTIONS, N(want));
    for (size_t i = 0; i < N(want); i++) {
        int a = workflow_action_of(want[i].name);
        assert_int_equal(a, (int)i);
        const workflow_action_info_t *info = workflow_action_info(a);
        assert_string_equal(info->role, want[i].role);
        if (want[i].settles)
            assert_string_equal(info->settles, want[i].settles);
        else
            assert_null(info->settles);
        if (want[i].serves)
            assert_string_equal(info->serves, want[i].serves);
        else
            assert_null(info->serves);
        assert_int_equal(info->on_final, want[i].on_final);
        bool chief_only = strcmp(want[i].role, "chief_prosecutor") == 0;
        assert_int_equal(
            workflow_action_allowed_for(WORKFLOW_CASE_ADMINISTRATIVE, a, "chief_prosecutor"),
            want[i].administrative);
        assert_int_equal(workflow_action_allowed_for(WORKFLOW_CASE_CIVIL, a, "chief_prosecutor"),
                         want[i].civil);
        assert_int_equal(workflow_action_allowed_for(WORKFLOW_CASE_ADMINISTRATIVE, a, "prosecutor"),
                         want[i].administrative && !chief_only);
        assert_false(workflow_action_allowed_for(WORKFLOW_CASE_CIVIL, a, "volunteer"));
    }
    assert_int_equal(workflow_action_of("extend"), -1);
    assert_int_equal(workflow_action_of(NULL), -1);
}

/* ---- opening, kinds, final and suspended states, documents --------------- */

static void test_opening_and_kinds(void **state)
{
    (void)state;
    s_check_effect(workflow_case_opening(WORKFLOW_CASE_ADMINISTRATIVE), &s_admin_open);
    s_check_effect(workflow_case_opening(WORKFLOW_CASE_CIVIL), &s_civil_open);
    assert_string_equal(workflow_case_kind_name(WORKFLOW_CASE_ADMINISTRATIVE), "administrative");
    assert_string_equal(workflow_case_kind_name(WORKFLOW_CASE_CIVIL), "civil");
    assert_int_equal(workflow_case_kind_of("administrative"), WORKFLOW_CASE_ADMINISTRATIVE);
    assert_int_equal(workflow_case_kind_of("civil"), WORKFLOW_CASE_CIVIL);
    assert_int_equal(workflow_case_kind_of("criminal"), -1);
    assert_int_equal(workflow_case_kind_of("Civil"), -1);
    assert_int_equal(workflow_case_kind_of(NULL), -1);
}

static void test_final_and_suspended(void **state)
{
    (void)state;
    for (int k = 0; k < WORKFLOW_CASE_NKINDS; k++) {
        s_spec_t spec = s_spec(k, true);
        const gy_machine_t *m = workflow_case_machine(k, true);
        for (size_t s = 0; s < spec.nstates; s++) {
            const char *name = spec.states[s];
            bool final = strcmp(name, "closed") == 0 || strcmp(name, "terminated") == 0;
            assert_int_equal(workflow_case_state_final(k, (int)s), final);
            /* A suspended state resumes to the state its name starts with. */
            const char *suffix = strstr(name, "_suspended");
            int from = workflow_case_suspended_from(k, (int)s);
            if (!suffix) {
                assert_int_equal(from, -1);
                continue;
            }
            char base[64];
            snprintf(base, sizeof base, "%.*s", (int)(suffix - name), name);
            assert_string_equal(gy_machine_state_name(m, from), base);
        }
    }
}

static void test_documents(void **state)
{
    (void)state;
    size_t n = 0;
    for (const workflow_document_kind_t *d = workflow_document_kinds; d->id; d++, n++) {
        assert_true(s_in(s_documents, N(s_documents), d->id));
        assert_true(d->name_zh && d->name_zh[0]);
    }
    assert_int_equal(n, N(s_documents));
}

/* ---- paths: reachability, and the deadlines along every path ------------- */

static int s_rule_bit(const char *rule)
{
    for (size_t i = 0; i < N(s_rules); i++)
        if (strcmp(s_rules[i], rule) == 0)
            return (int)i;
    fail_msg("rule \"%s\" is not an agreed rule id", rule);
    return -1;
}

/*  The open deadlines after step, from open (a bit per agreed rule);
 *  checks that what it settles was open (one of, for the appeal windows)
 *  and that what it starts was not. */
static unsigned s_apply(const workflow_step_t *step, unsigned open, const char *where)
{
    if (step->settles_all) {
        open = 0;
    } else if (step->settles[0]) {
        unsigned settled = 0;
        for (size_t i = 0; i < N(step->settles) && step->settles[i]; i++)
            settled |= 1u << s_rule_bit(step->settles[i]);
        if (!(open & settled))
            fail_msg("%s settles nothing open", where);
        open &= ~settled;
    }
    for (size_t i = 0; i < N(step->starts) && step->starts[i]; i++) {
        unsigned bit = 1u << s_rule_bit(step->starts[i]);
        if (open & bit)
            fail_msg("%s starts %s while it is open", where, step->starts[i]);
        open |= bit;
    }
    for (size_t i = 0; i < N(step->issues) && step->issues[i]; i++)
        assert_true(s_in(s_documents, N(s_documents), step->issues[i]));
    return open;
}

/*  A walk of every (state, open deadlines) pair reachable from a new case:
 *  every state is reached, a final state is reachable from each, a final
 *  state leaves only serve_closing open, every agreed rule is started
 *  somewhere and none settled that was not running. */
static void s_walk(workflow_case_kind_t kind, bool heroes)
{
    const gy_machine_t *m = workflow_case_machine(kind, heroes);
    enum { MAX_STATES = 32, MAX_OPEN = 1 << 12 };
    assert_true(m->nstates <= MAX_STATES && N(s_rules) <= 12);
    static bool seen[MAX_STATES][MAX_OPEN];
    memset(seen, 0, sizeof seen);
    static struct {
        int state;
        unsigned open;
    } queue[MAX_STATES * MAX_OPEN];
    size_t head = 0, tail = 0;
    unsigned started = 0;
    char where[200];

    unsigned open = s_apply(workflow_case_opening(kind), 0, "open");
    started |= open;
    queue[tail].state = WORKFLOW_ADMIN_OPENED; /* "opened" is state 0 in both */
    queue[tail++].open = open;
    seen[0][open] = true;
    assert_string_equal(m->states[0], "opened");
    bool reached[MAX_STATES] = {false};
    bool edge[MAX_STATES][MAX_STATES];
    memset(edge, 0, sizeof edge);
    while (head < tail) {
        int s = queue[head].state;
        unsigned o = queue[head++].open;
        reached[s] = true;
        if (workflow_case_state_final(kind, s))
            assert_int_equal(o & ~(1u << s_rule_bit("serve_closing")), 0);
        for (int e = 0; e < m->nevents; e++) {
            int next = gy_machine_next(m, s, e);
            if (next == GY_MACHINE_REFUSED)
                continue;
            edge[s][next] = true;
            snprintf(where, sizeof where, "%s: %s in %s", m->name, m->events[e], m->states[s]);
            unsigned after = s_apply(workflow_case_step(kind, heroes, s, e), o, where);
            started |= after;
            if (!seen[next][after]) {
                seen[next][after] = true;
                queue[tail].state = next;
                queue[tail++].open = after;
            }
        }
    }
    for (int s = 0; s < m->nstates; s++)
        if (!reached[s])
            fail_msg("%s: %s is not reachable from opened", m->name, m->states[s]);
    /* A final state is reachable from every state (backwards from the finals). */
    bool ends[MAX_STATES] = {false};
    for (int s = 0; s < m->nstates; s++)
        ends[s] = workflow_case_state_final(kind, s);
    for (bool changed = true; changed;) {
        changed = false;
        for (int s = 0; s < m->nstates; s++)
            for (int t = 0; t < m->nstates && !ends[s]; t++)
                if (edge[s][t] && ends[t])
                    ends[s] = changed = true;
    }
    for (int s = 0; s < m->nstates; s++)
        if (!ends[s])
            fail_msg("%s: no final state is reachable from %s", m->name, m->states[s]);
    /* The rules a kind never starts: the other kind's review, the civil
     * announcement and the administrative ones. */
    static const char *const admin_only[] = {"serve_opening", "file_upward_suggestion",
                                             "organ_reply", "review_for_suit"};
    static const char *const civil_only[] = {"announcement", "civil_review_for_suit"};
    for (size_t i = 0; i < N(s_rules); i++) {
        bool other = kind == WORKFLOW_CASE_ADMINISTRATIVE
                         ? s_in(civil_only, N(civil_only), s_rules[i])
                         : s_in(admin_only, N(admin_only), s_rules[i]);
        if (((started >> i) & 1u) == other)
            fail_msg("%s: rule %s %s", m->name, s_rules[i],
                     other ? "is started but belongs to the other kind" : "is never started");
    }
}

static void test_walk_admin(void **state)
{
    (void)state;
    s_walk(WORKFLOW_CASE_ADMINISTRATIVE, false);
}

static void test_walk_civil(void **state)
{
    (void)state;
    s_walk(WORKFLOW_CASE_CIVIL, false);
    s_walk(WORKFLOW_CASE_CIVIL, true);
}

/*  One administrative case from opening to closing, the way the issue
 *  tells it, with the deadlines it leaves open at each step. */
static void test_admin_story(void **state)
{
    (void)state;
    static const struct {
        const char *event, *state, *label;
    } story[] = {
        {"serve_opening_decision", "investigating", NULL},
        {"start_consultation", "consulting", NULL},
        {"suspend", "consulting_suspended", NULL},
        {"resume", "consulting", NULL},
        {"issue_suggestion", "suggestion_issued", "已发出检察建议"},
        {"serve_suggestion", "awaiting_reply", NULL},
        {"reply_period_expired", "following_up", NULL},
        {"enter_review_for_suit", "review_for_suit", NULL},
        {"file_suit", "suit_filed", "已提起公益诉讼"},
        {"record_ruling", "judgment", NULL},
        {"file_appeal", "appeal", NULL},
        {"remand", "suit_filed", NULL},
        {"record_judgment", "judgment", NULL},
        {"judgment_effective", "enforcement_supervision", NULL},
        {"close", "closed", "已结案"},
        {"reopen", "opened", "已重新立案"},
    };
    const gy_machine_t *m = workflow_case_machine(WORKFLOW_CASE_ADMINISTRATIVE, false);
    int s = gy_machine_state_of(m, "opened");
    for (size_t i = 0; i < N(story); i++) {
        int e = gy_machine_event_of(m, story[i].event);
        assert_true(e >= 0);
        const workflow_step_t *step = workflow_case_step(WORKFLOW_CASE_ADMINISTRATIVE, false, s, e);
        assert_non_null(step);
        if (story[i].label)
            assert_string_equal(step->public_label, story[i].label);
        else
            assert_null(step->public_label);
        s = gy_machine_next(m, s, e);
        assert_string_equal(gy_machine_state_name(m, s), story[i].state);
    }
}

/* ---- docs/workflow.md --------------------------------------------------- */

static const char s_begin[] = "<!-- machines:tables:begin -->\n";
static const char s_end[] = "<!-- machines:tables:end -->";

static void test_markdown(void **state)
{
    (void)state;
    char *md = workflow_machines_markdown();
    assert_non_null(md);
    assert_non_null(strstr(md, "| awaiting_reply | record_reply | following_up | prosecutor | "
                               "`organ_reply` |  |  |  |\n"));
    assert_non_null(strstr(md, "| (new) | open | opened | chief |  | `serve_opening`, "
                               "`investigation` | 已立案 | `opening_decision` |\n"));
    assert_non_null(strstr(md, "| rectified | close | closed | prosecutor | all open | "
                               "`serve_closing` | 已结案 | `closing_decision` |\n"));
    assert_non_null(strstr(md, "| investigating | publish_announcement | refused | | | | | |\n"));
    assert_non_null(strstr(md, "| extend_period | chief | both |  |  | no |\n"));
    assert_true(gy_text_utf8_valid(md, strlen(md)));
    gy_free(md);
}

/*  The part of a doc between the markers: [*from, *to). */
static bool s_section(const char *doc, size_t *from, size_t *to)
{
    const char *b = strstr(doc, s_begin);
    const char *e = b ? strstr(b, s_end) : NULL;
    if (!b || !e)
        return false;
    *from = (size_t)(b - doc) + strlen(s_begin);
    *to = (size_t)(e - doc);
    return true;
}

static int s_doc_mode(const char *mode, const char *path)
{
    size_t len = 0;
    char *doc = gy_read_file(path, &len);
    if (!doc)
        return 2;
    size_t from, to;
    if (!s_section(doc, &from, &to)) {
        fprintf(stderr, "%s: no \"%.*s\" ... \"%s\" section\n", path, (int)strlen(s_begin) - 1,
                s_begin, s_end);
        gy_free(doc);
        return 2;
    }
    char *md = workflow_machines_markdown();
    int rc = 0;
    if (strcmp(mode, "--check-doc") == 0) {
        if (to - from != strlen(md) || memcmp(doc + from, md, to - from) != 0) {
            fprintf(stderr,
                    "%s: the case state tables differ from workflow_machines.c; regenerate "
                    "them with build/services/workflow/test_workflow_machines --write-doc %s\n",
                    path, path);
            rc = 1;
        }
    } else {
        FILE *f = fopen(path, "w");
        if (!f || fwrite(doc, 1, from, f) != from || fputs(md, f) < 0 ||
            fwrite(doc + to, 1, len - to, f) != len - to) {
            fprintf(stderr, "%s: could not write\n", path);
            rc = 2;
        }
        if (f && fclose(f) != 0)
            rc = 2;
    }
    gy_free(md);
    gy_free(doc);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 3 && (strcmp(argv[1], "--check-doc") == 0 || strcmp(argv[1], "--write-doc") == 0))
        return s_doc_mode(argv[1], argv[2]);
    if (argc > 1) {
        fprintf(stderr, "usage: %s [--check-doc|--write-doc docs/workflow.md]\n", argv[0]);
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admin_cells),
        cmocka_unit_test(test_civil_cells),
        cmocka_unit_test(test_heroes_cells),
        cmocka_unit_test(test_heroes_relatives_first),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_opening_and_kinds),
        cmocka_unit_test(test_final_and_suspended),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_walk_admin),
        cmocka_unit_test(test_walk_civil),
        cmocka_unit_test(test_admin_story),
        cmocka_unit_test(test_markdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
