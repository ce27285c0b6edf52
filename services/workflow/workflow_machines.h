/*  workflow_machines — the case workflows as constant data: the
 *  administrative (行政公益诉讼) and civil (民事公益诉讼) case as explicit
 *  state x event tables (gy_machine), who may take each event, the
 *  time-limit rules each transition starts and settles (rule ids of
 *  reference/time_limits.csv), whether it is a public step of the
 *  reporter's timeline, and the documents it issues or serves (the
 *  document kind ids the numbering keys on).  docs/workflow.md, "Case
 *  state machines", is printed from these tables.
 *
 *  Nothing here touches the database.  The service reads a case's kind,
 *  heroes flag, state (a state name below) and version; finds the machine;
 *  checks the role and the cell; and writes the next state with the step's
 *  effects, guarded by the state and version it decided on:
 *
 *      const gy_machine_t *m = workflow_case_machine(WORKFLOW_CASE_ADMINISTRATIVE, false);
 *      int s = gy_machine_state_of(m, "awaiting_reply");
 *      int e = gy_machine_event_of(m, "record_reply");
 *      if (s < 0 || e < 0) ... // a name the code does not know: 400 / stored row broken
 *      if (!workflow_event_allowed_for(WORKFLOW_CASE_ADMINISTRATIVE, e, role)) ... // 403
 *      const workflow_step_t *step = workflow_case_step(WORKFLOW_CASE_ADMINISTRATIVE, false, s, e);
 *      if (!step) {
 *          char why[300];
 *          gy_machine_refusal(m, s, e, why, sizeof why); // 409 invalid_state, nothing written
 *      }
 *      int next = gy_machine_next(m, s, e); // "following_up"
 *      // settle step->settles (or every open deadline when step->settles_all),
 *      // then start step->starts; issue step->issues; a public step when
 *      // step->public_label is set.
 *
 *  Opening a case is not a cell of the tables (the clue review decides it
 *  and the case is created in state "opened"): workflow_case_opening gives
 *  its step.  Extending a period, filing a document upward and serving the
 *  closing decision change no state: they are actions (workflow_action_t),
 *  each with its role and the rule it settles.
 */
#ifndef WORKFLOW_MACHINES_H
#define WORKFLOW_MACHINES_H

#include <stdbool.h>

#include "gy_machine.h"

typedef enum {
    WORKFLOW_CASE_ADMINISTRATIVE, /* "administrative": 行政公益诉讼 */
    WORKFLOW_CASE_CIVIL,          /* "civil": 民事公益诉讼 */
    WORKFLOW_CASE_NKINDS
} workflow_case_kind_t;

/*  The stored name of a kind, and the kind of a name (-1 when none). */
const char *workflow_case_kind_name(workflow_case_kind_t kind);
int workflow_case_kind_of(const char *name);

/*  The administrative case.  Suspension (中止) has one state per state it
 *  may happen in (investigating_suspended ...), whose only ways out are
 *  resume, back to that state, and terminate: see workflow_machines.c for
 *  why.  closed and terminated are final; a closed case may be reopened by
 *  the chief when the organ relapses. */
enum {
    WORKFLOW_ADMIN_OPENED,
    WORKFLOW_ADMIN_INVESTIGATING,
    WORKFLOW_ADMIN_CONSULTING,
    WORKFLOW_ADMIN_SUGGESTION_ISSUED,
    WORKFLOW_ADMIN_AWAITING_REPLY,
    WORKFLOW_ADMIN_FOLLOWING_UP,
    WORKFLOW_ADMIN_RECTIFIED,
    WORKFLOW_ADMIN_REVIEW_FOR_SUIT,
    WORKFLOW_ADMIN_SUIT_FILED,
    WORKFLOW_ADMIN_JUDGMENT,
    WORKFLOW_ADMIN_APPEAL,
    WORKFLOW_ADMIN_ENFORCEMENT_SUPERVISION,
    WORKFLOW_ADMIN_CLOSED,
    WORKFLOW_ADMIN_TERMINATED,
    WORKFLOW_ADMIN_INVESTIGATING_SUSPENDED,
    WORKFLOW_ADMIN_CONSULTING_SUSPENDED,
    WORKFLOW_ADMIN_FOLLOWING_UP_SUSPENDED,
    WORKFLOW_ADMIN_REVIEW_FOR_SUIT_SUSPENDED,
    WORKFLOW_ADMIN_NSTATES
};
enum {
    WORKFLOW_ADMIN_SERVE_OPENING_DECISION,
    WORKFLOW_ADMIN_START_CONSULTATION,
    WORKFLOW_ADMIN_ISSUE_SUGGESTION,
    WORKFLOW_ADMIN_SERVE_SUGGESTION,
    WORKFLOW_ADMIN_RECORD_REPLY,
    WORKFLOW_ADMIN_REPLY_PERIOD_EXPIRED,
    WORKFLOW_ADMIN_CONFIRM_RECTIFIED,
    WORKFLOW_ADMIN_ENTER_REVIEW_FOR_SUIT,
    WORKFLOW_ADMIN_FILE_SUIT,
    WORKFLOW_ADMIN_RECORD_JUDGMENT,
    WORKFLOW_ADMIN_RECORD_RULING,
    WORKFLOW_ADMIN_FILE_APPEAL,
    WORKFLOW_ADMIN_OTHER_PARTY_APPEALS,
    WORKFLOW_ADMIN_JUDGMENT_EFFECTIVE,
    WORKFLOW_ADMIN_RECORD_APPEAL_DECISION,
    WORKFLOW_ADMIN_REMAND,
    WORKFLOW_ADMIN_CLOSE,
    WORKFLOW_ADMIN_SUSPEND,
    WORKFLOW_ADMIN_RESUME,
    WORKFLOW_ADMIN_TERMINATE,
    WORKFLOW_ADMIN_REOPEN,
    WORKFLOW_ADMIN_NEVENTS
};

/*  The civil case.  A heroes-and-martyrs (英烈) case has a machine of its
 *  own: the close relatives are asked first (asking_relatives), so its
 *  investigation cannot go straight to the announcement.  asking_relatives
 *  and the two events only that case takes come last, so the plain civil
 *  machine is the same enums without them. */
enum {
    WORKFLOW_CIVIL_OPENED,
    WORKFLOW_CIVIL_INVESTIGATING,
    WORKFLOW_CIVIL_ANNOUNCEMENT,
    WORKFLOW_CIVIL_SUPPORTING_SUIT,
    WORKFLOW_CIVIL_REVIEW_FOR_SUIT,
    WORKFLOW_CIVIL_SUIT_FILED,
    WORKFLOW_CIVIL_JUDGMENT,
    WORKFLOW_CIVIL_APPEAL,
    WORKFLOW_CIVIL_ENFORCEMENT_SUPERVISION,
    WORKFLOW_CIVIL_CLOSED,
    WORKFLOW_CIVIL_TERMINATED,
    WORKFLOW_CIVIL_INVESTIGATING_SUSPENDED,
    WORKFLOW_CIVIL_REVIEW_FOR_SUIT_SUSPENDED,
    WORKFLOW_CIVIL_ASKING_RELATIVES, /* heroes and martyrs only */
    WORKFLOW_CIVIL_NSTATES
};
enum {
    WORKFLOW_CIVIL_START_INVESTIGATION,
    WORKFLOW_CIVIL_PUBLISH_ANNOUNCEMENT,
    WORKFLOW_CIVIL_ANNOUNCEMENT_EXPIRED,
    WORKFLOW_CIVIL_SUPPORT_SUIT,
    WORKFLOW_CIVIL_PLAINTIFF_WITHDRAWS,
    WORKFLOW_CIVIL_FILE_SUIT,
    WORKFLOW_CIVIL_RECORD_JUDGMENT,
    WORKFLOW_CIVIL_RECORD_RULING,
    WORKFLOW_CIVIL_FILE_APPEAL,
    WORKFLOW_CIVIL_OTHER_PARTY_APPEALS,
    WORKFLOW_CIVIL_JUDGMENT_EFFECTIVE,
    WORKFLOW_CIVIL_RECORD_APPEAL_DECISION,
    WORKFLOW_CIVIL_REMAND,
    WORKFLOW_CIVIL_CLOSE,
    WORKFLOW_CIVIL_SUSPEND,
    WORKFLOW_CIVIL_RESUME,
    WORKFLOW_CIVIL_TERMINATE,
    WORKFLOW_CIVIL_ASK_RELATIVES,     /* heroes and martyrs only */
    WORKFLOW_CIVIL_RELATIVES_DECLINE, /* heroes and martyrs only */
    WORKFLOW_CIVIL_NEVENTS
};
#define WORKFLOW_CIVIL_PLAIN_NSTATES WORKFLOW_CIVIL_ASKING_RELATIVES
#define WORKFLOW_CIVIL_PLAIN_NEVENTS WORKFLOW_CIVIL_ASK_RELATIVES

/*  The machine of a case: its kind and whether it is a heroes-and-martyrs
 *  case (only the civil machine differs; an administrative heroes case
 *  runs the administrative machine).  Its name is what refusals say: "the
 *  administrative case is ...". */
const gy_machine_t *workflow_case_machine(workflow_case_kind_t kind, bool heroes);

/*  What a transition does besides moving the state.  Lists are rule ids
 *  of reference/time_limits.csv and document kind ids, NULL-terminated.
 *  Settling comes first: settles_all settles every open deadline of the
 *  case (the terminal events), after which starts may start a new one
 *  (closing starts serve_closing).  A rule in settles that the case has
 *  no open deadline of is no deadline to settle (the appeal windows:
 *  only one of appeal_judgment and appeal_ruling was started). */
typedef struct {
    const char *starts[3];
    const char *settles[3];
    bool settles_all;
    const char *issues[2];    /* documents this transition issues (numbered) */
    const char *serves[2];    /* documents this transition records as served */
    const char *public_label; /* the reporter's timeline, Chinese; NULL: not public */
} workflow_step_t;

/*  The step of (state, event) in a case's machine, NULL when the machine
 *  refuses it.  state and event must be in range of that machine. */
const workflow_step_t *workflow_case_step(workflow_case_kind_t kind, bool heroes, int state,
                                          int event);

/*  Opening a case (立案, the chief's decision): not a cell of the tables;
 *  the case is created in "opened" with this step's effects. */
const workflow_step_t *workflow_case_opening(workflow_case_kind_t kind);

/*  Roles (the token's role names).  A chief prosecutor may take every
 *  event a prosecutor may; the events the rules give to the chief only
 *  need "chief_prosecutor".  Any other role takes no event. */
#define WORKFLOW_ROLE_PROSECUTOR "prosecutor"
#define WORKFLOW_ROLE_CHIEF      "chief_prosecutor"

/*  The least role an event needs: WORKFLOW_ROLE_PROSECUTOR or
 *  WORKFLOW_ROLE_CHIEF. */
const char *workflow_event_role(workflow_case_kind_t kind, int event);
bool workflow_event_allowed_for(workflow_case_kind_t kind, int event, const char *role);
/*  Opening is the chief's decision. */
#define WORKFLOW_OPEN_ROLE WORKFLOW_ROLE_CHIEF

/*  Whether a state is final (closed, terminated): the case is no longer
 *  open, its deadlines are all settled.  A closed administrative case may
 *  still be reopened. */
bool workflow_case_state_final(workflow_case_kind_t kind, int state);

/*  For a suspended state, the state resume returns to; -1 when state is
 *  not a suspended one.  The stored state alone says where a suspended
 *  case resumes. */
int workflow_case_suspended_from(workflow_case_kind_t kind, int state);

/*  Actions: decisions that change no state.  Each is allowed while the
 *  case is open (not final) and has an open deadline of the rule it names
 *  (extend_period: a deadline whose rule allows extension, by the role
 *  the rule names; the size is the limits' business). */
typedef enum {
    WORKFLOW_ACTION_EXTEND_PERIOD,          /* 延长期限: the chief */
    WORKFLOW_ACTION_FILE_SUGGESTION_UPWARD, /* 检察建议 filed with the upper level */
    WORKFLOW_ACTION_FILE_SUIT_UPWARD,       /* 起诉书 filed with the upper level */
    WORKFLOW_ACTION_SERVE_CLOSING_DECISION, /* 终结审查决定书 served (on a closed case) */
    WORKFLOW_NACTIONS
} workflow_action_t;

typedef struct {
    const char *name;    /* stored and shown: "extend_period" */
    const char *role;    /* the least role */
    const char *settles; /* the rule it settles, NULL: none (extension moves a due date) */
    const char *serves;  /* the document it records as served, NULL: none */
    bool administrative; /* which kinds have it */
    bool civil;
    bool on_final; /* also allowed on a closed or terminated case */
} workflow_action_info_t;

const workflow_action_info_t *workflow_action_info(workflow_action_t action);
/*  The action of a name, -1 when none. */
int workflow_action_of(const char *name);
bool workflow_action_allowed_for(workflow_case_kind_t kind, workflow_action_t action,
                                 const char *role);

/*  Document kinds the transitions issue, in the order the flow meets them,
 *  with their Chinese names; NULL-terminated.  The numbering templates
 *  (reference/document_templates.csv) key on these ids. */
typedef struct {
    const char *id;
    const char *name_zh;
} workflow_document_kind_t;
extern const workflow_document_kind_t workflow_document_kinds[];

/*  The Markdown of docs/workflow.md's generated tables (between
 *  "<!-- machines:tables:begin -->" and "<!-- machines:tables:end -->"):
 *  one row per allowed transition.  The caller frees. */
char *workflow_machines_markdown(void);

#endif
