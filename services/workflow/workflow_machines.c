/*  workflow_machines — see workflow_machines.h.
 *
 *  Every cell of the three tables is written out: a refusal is as much a
 *  decision as a transition.  The flow follows DESIGN.md ("Domain
 *  reference") and issue 9; the choices the sources leave open are said
 *  here, next to the cells that make them.
 *
 *  Suspension (中止, for 鉴定 / 评估 / 审计 or another proceeding) is one
 *  state per state it may happen in, not one "suspended" state plus a
 *  stored suspended_from: resume's next state is then a cell like any
 *  other, a refusal names exactly where the case stands
 *  ("investigating_suspended"), and no second column can disagree with
 *  the state.  A case is suspended only in the stages whose work is the
 *  procuratorate's own (investigating, consulting, following_up,
 *  review_for_suit; civil: investigating, review_for_suit): serving a
 *  document is a few days' errand, the organ's reply period is the organ's
 *  time, and a suit in court is suspended by the court.
 *
 *  Terminate (with a reason, the chief's decision) is allowed in every
 *  open state, suspended ones included; it settles every open deadline.
 *
 *  Reopen: only a closed administrative case, by the chief, when the organ
 *  relapses after the case was closed as rectified: the matter, its clues
 *  and its history are the same, so it continues as a case opened anew
 *  (a new opening decision served on the organ, a new investigation)
 *  rather than a second case.  A terminated case is not reopened (its
 *  reason — the organ abolished, no public interest harmed — is a finding
 *  of its own; new facts are a new clue), nor is a civil case (a judgment
 *  binds, and an announcement round that ended is a new matter).
 */
#include "workflow_machines.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "gy_util.h"

#define NO GY_MACHINE_REFUSED

/* ---- administrative ---------------------------------------------------- */

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

/* Short names for the cells, so a row fits on three lines. */
#define OPN WORKFLOW_ADMIN_OPENED
#define INV WORKFLOW_ADMIN_INVESTIGATING
#define CON WORKFLOW_ADMIN_CONSULTING
#define SGI WORKFLOW_ADMIN_SUGGESTION_ISSUED
#define AWR WORKFLOW_ADMIN_AWAITING_REPLY
#define FOL WORKFLOW_ADMIN_FOLLOWING_UP
#define RCT WORKFLOW_ADMIN_RECTIFIED
#define RFS WORKFLOW_ADMIN_REVIEW_FOR_SUIT
#define SUI WORKFLOW_ADMIN_SUIT_FILED
#define JDG WORKFLOW_ADMIN_JUDGMENT
#define APL WORKFLOW_ADMIN_APPEAL
#define ENF WORKFLOW_ADMIN_ENFORCEMENT_SUPERVISION
#define CLO WORKFLOW_ADMIN_CLOSED
#define TRM WORKFLOW_ADMIN_TERMINATED
#define INS WORKFLOW_ADMIN_INVESTIGATING_SUSPENDED
#define COS WORKFLOW_ADMIN_CONSULTING_SUSPENDED
#define FOS WORKFLOW_ADMIN_FOLLOWING_UP_SUSPENDED
#define RFX WORKFLOW_ADMIN_REVIEW_FOR_SUIT_SUSPENDED

/*  Choices: the opening decision is served before the investigation
 *  proper (the 7-day rule); an organ that rectifies during the
 *  investigation, the consultation (磋商) or the review for suit is
 *  confirmed as rectified and the case then closes (终结审查), as after
 *  the follow-up; a reply received and a reply period expired both lead
 *  to the follow-up (跟进调查), which alone decides between rectified and
 *  review for suit; a suit is reviewed only after a suggestion (诉前程序);
 *  a remand (发回重审) returns the suit to first instance. */
/* clang-format off */
static const int s_admin[WORKFLOW_ADMIN_NSTATES][WORKFLOW_ADMIN_NEVENTS] = {
    /*      serve_opening  start_consult  issue_sugg  serve_sugg  record_reply  reply_expired  confirm_rect
     *      enter_review   file_suit      judgment    ruling      file_appeal   other_appeals  effective
     *      appeal_decis   remand         close       suspend     resume        terminate      reopen */
    [OPN] = {INV, NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  TRM, NO},
    [INV] = {NO,  CON, SGI, NO,  NO,  NO,  RCT,
             NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  INS, NO,  TRM, NO},
    [CON] = {NO,  NO,  SGI, NO,  NO,  NO,  RCT,
             NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  COS, NO,  TRM, NO},
    [SGI] = {NO,  NO,  NO,  AWR, NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  TRM, NO},
    [AWR] = {NO,  NO,  NO,  NO,  FOL, FOL, NO,
             NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  TRM, NO},
    [FOL] = {NO,  NO,  NO,  NO,  NO,  NO,  RCT,
             RFS, NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  FOS, NO,  TRM, NO},
    [RCT] = {NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  CLO, NO,  NO,  TRM, NO},
    [RFS] = {NO,  NO,  NO,  NO,  NO,  NO,  RCT,
             NO,  SUI, NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  RFX, NO,  TRM, NO},
    [SUI] = {NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  JDG, JDG, NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  TRM, NO},
    [JDG] = {NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  APL, APL, ENF,
             NO,  NO,  NO,  NO,  NO,  TRM, NO},
    [APL] = {NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,  NO,
             ENF, SUI, NO,  NO,  NO,  TRM, NO},
    [ENF] = {NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  CLO, NO,  NO,  TRM, NO},
    [CLO] = {NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,  OPN},
    [TRM] = {NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,  NO},
    [INS] = {NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  INV, TRM, NO},
    [COS] = {NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  CON, TRM, NO},
    [FOS] = {NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  FOL, TRM, NO},
    [RFX] = {NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  RFS, TRM, NO},
};
/* clang-format on */
static const gy_machine_t s_admin_machine = {"administrative case",  s_admin_states,
                                             WORKFLOW_ADMIN_NSTATES, s_admin_events,
                                             WORKFLOW_ADMIN_NEVENTS, &s_admin[0][0]};

#undef OPN
#undef INV
#undef CON
#undef SGI
#undef AWR
#undef FOL
#undef RCT
#undef RFS
#undef SUI
#undef JDG
#undef APL
#undef ENF
#undef CLO
#undef TRM
#undef INS
#undef COS
#undef FOS
#undef RFX

/* ---- civil ------------------------------------------------------------- */

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

#define OPN WORKFLOW_CIVIL_OPENED
#define INV WORKFLOW_CIVIL_INVESTIGATING
#define ANN WORKFLOW_CIVIL_ANNOUNCEMENT
#define SUP WORKFLOW_CIVIL_SUPPORTING_SUIT
#define RFS WORKFLOW_CIVIL_REVIEW_FOR_SUIT
#define SUI WORKFLOW_CIVIL_SUIT_FILED
#define JDG WORKFLOW_CIVIL_JUDGMENT
#define APL WORKFLOW_CIVIL_APPEAL
#define ENF WORKFLOW_CIVIL_ENFORCEMENT_SUPERVISION
#define CLO WORKFLOW_CIVIL_CLOSED
#define TRM WORKFLOW_CIVIL_TERMINATED
#define INS WORKFLOW_CIVIL_INVESTIGATING_SUSPENDED
#define RFX WORKFLOW_CIVIL_REVIEW_FOR_SUIT_SUSPENDED
#define ASK WORKFLOW_CIVIL_ASKING_RELATIVES

/*  Choices: a civil case has no organ to serve the opening decision on, so
 *  the investigation simply starts; the announcement (公告, 30 days) ends
 *  with a qualified organ or organisation suing (the procuratorate
 *  supports its suit, 支持起诉, or closes) or with none suing
 *  (announcement_expired: review for suit, 3 months); a supported
 *  plaintiff that withdraws leaves the procuratorate to review for suit
 *  itself (民事诉讼法 art. 58: it sues when no one else does); the harm
 *  repaired during the investigation or the review closes the case. */
/* clang-format off */
static const int s_civil[WORKFLOW_CIVIL_PLAIN_NSTATES][WORKFLOW_CIVIL_PLAIN_NEVENTS] = {
    /*      start_invest  publish_ann  ann_expired  support_suit  plaintiff_wd  file_suit
     *      judgment      ruling       file_appeal  other_appeals effective     appeal_decis
     *      remand        close        suspend      resume        terminate */
    [OPN] = {INV, NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  TRM},
    [INV] = {NO,  ANN, NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  CLO, INS, NO,  TRM},
    [ANN] = {NO,  NO,  RFS, SUP, NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  CLO, NO,  NO,  TRM},
    [SUP] = {NO,  NO,  NO,  NO,  RFS, NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  CLO, NO,  NO,  TRM},
    [RFS] = {NO,  NO,  NO,  NO,  NO,  SUI,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  CLO, RFX, NO,  TRM},
    [SUI] = {NO,  NO,  NO,  NO,  NO,  NO,
             JDG, JDG, NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  TRM},
    [JDG] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  APL, APL, ENF, NO,
             NO,  NO,  NO,  NO,  TRM},
    [APL] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  ENF,
             SUI, NO,  NO,  NO,  TRM},
    [ENF] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  CLO, NO,  NO,  TRM},
    [CLO] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO},
    [TRM] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO},
    [INS] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  INV, TRM},
    [RFX] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  RFS, TRM},
};

/*  The heroes-and-martyrs civil case (英雄烈士保护法 art. 25): the close
 *  relatives have the first right to sue, so the investigation ends by
 *  asking them (ask_relatives), never straight with an announcement.
 *  Asked, the relatives decline (the procuratorate reviews for suit
 *  itself), sue (the procuratorate supports them, or closes when they
 *  need no support), or cannot all be found or answered (the prosecutor
 *  publishes the announcement after all). */
static const int s_heroes[WORKFLOW_CIVIL_NSTATES][WORKFLOW_CIVIL_NEVENTS] = {
    /*      start_invest  publish_ann  ann_expired  support_suit  plaintiff_wd  file_suit
     *      judgment      ruling       file_appeal  other_appeals effective     appeal_decis
     *      remand        close        suspend      resume        terminate
     *      ask_relatives relatives_decline */
    [OPN] = {INV, NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  TRM,
             NO,  NO},
    [INV] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  CLO, INS, NO,  TRM,
             ASK, NO},
    [ANN] = {NO,  NO,  RFS, SUP, NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  CLO, NO,  NO,  TRM,
             NO,  NO},
    [SUP] = {NO,  NO,  NO,  NO,  RFS, NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  CLO, NO,  NO,  TRM,
             NO,  NO},
    [RFS] = {NO,  NO,  NO,  NO,  NO,  SUI,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  CLO, RFX, NO,  TRM,
             NO,  NO},
    [SUI] = {NO,  NO,  NO,  NO,  NO,  NO,
             JDG, JDG, NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  TRM,
             NO,  NO},
    [JDG] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  APL, APL, ENF, NO,
             NO,  NO,  NO,  NO,  TRM,
             NO,  NO},
    [APL] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  ENF,
             SUI, NO,  NO,  NO,  TRM,
             NO,  NO},
    [ENF] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  CLO, NO,  NO,  TRM,
             NO,  NO},
    [CLO] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,
             NO,  NO},
    [TRM] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,
             NO,  NO},
    [INS] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  INV, TRM,
             NO,  NO},
    [RFX] = {NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  NO,  NO,  RFS, TRM,
             NO,  NO},
    [ASK] = {NO,  ANN, NO,  SUP, NO,  NO,
             NO,  NO,  NO,  NO,  NO,  NO,
             NO,  CLO, NO,  NO,  TRM,
             NO,  RFS},
};
/* clang-format on */
static const gy_machine_t s_civil_machine = {"civil case",
                                             s_civil_states,
                                             WORKFLOW_CIVIL_PLAIN_NSTATES,
                                             s_civil_events,
                                             WORKFLOW_CIVIL_PLAIN_NEVENTS,
                                             &s_civil[0][0]};
static const gy_machine_t s_heroes_machine = {"heroes and martyrs civil case", s_civil_states,
                                              WORKFLOW_CIVIL_NSTATES,          s_civil_events,
                                              WORKFLOW_CIVIL_NEVENTS,          &s_heroes[0][0]};

#undef OPN
#undef INV
#undef ANN
#undef SUP
#undef RFS
#undef SUI
#undef JDG
#undef APL
#undef ENF
#undef CLO
#undef TRM
#undef INS
#undef RFX
#undef ASK

/* ---- steps: rules, documents, public labels ----------------------------- */

/*  A step applies to (state, event); ANY_STATE: the event's step in every
 *  state the table allows it in (terminate, suspend, resume, close where
 *  nothing more is said).  An exact entry wins over ANY_STATE. */
#define ANY_STATE (-1)

typedef struct {
    int state;
    int event;
    workflow_step_t step;
} s_step_entry_t;

/* The rule ids of reference/time_limits.csv (agreed names). */
#define R_SERVE_OPENING          "serve_opening"
#define R_INVESTIGATION          "investigation"
#define R_FILE_UPWARD_SUGGESTION "file_upward_suggestion"
#define R_ORGAN_REPLY            "organ_reply"
#define R_ANNOUNCEMENT           "announcement"
#define R_REVIEW_FOR_SUIT        "review_for_suit"
#define R_CIVIL_REVIEW_FOR_SUIT  "civil_review_for_suit"
#define R_FILE_UPWARD_SUIT       "file_upward_suit"
#define R_FIRST_INSTANCE         "first_instance"
#define R_APPEAL_JUDGMENT        "appeal_judgment"
#define R_APPEAL_RULING          "appeal_ruling"
#define R_SERVE_CLOSING          "serve_closing"

/* The document kind ids (workflow_document_kinds). */
#define D_OPENING    "opening_decision"
#define D_SUGGESTION "suggestion"
#define D_ANNOUNCE   "announcement"
#define D_CLOSING    "closing_decision"
#define D_INDICTMENT "indictment"
#define D_SUPPORT    "support_letter"
#define D_APPEAL     "appeal"

const workflow_document_kind_t workflow_document_kinds[] = {
    {D_OPENING, "立案决定书"},
    {D_SUGGESTION, "检察建议书"},
    {D_ANNOUNCE, "公告"},
    {D_SUPPORT, "支持起诉意见书"},
    {D_INDICTMENT, "起诉书（行政公益诉讼起诉书 / 民事公益诉讼起诉书）"},
    {D_APPEAL, "上诉状"},
    {D_CLOSING, "终结审查决定书"},
    {NULL, NULL},
};

/* Public labels (the reporter's timeline). */
#define P_OPENED     "已立案"
#define P_SUGGESTION "已发出检察建议"
#define P_ANNOUNCED  "已发布公告"
#define P_RECTIFIED  "已整改"
#define P_SUIT       "已提起公益诉讼"
#define P_SUPPORT    "已支持起诉"
#define P_CLOSED     "已结案"
#define P_TERMINATED "已终止办理"
#define P_REOPENED   "已重新立案"

/*  Closing and terminating settle every open deadline and start the
 *  service of the 终结审查决定书, which states the outcome or the reason. */
#define S_CLOSE                                                                                    \
    {                                                                                              \
        .settles_all = true, .starts = {R_SERVE_CLOSING}, .issues = {D_CLOSING},                   \
        .public_label = P_CLOSED                                                                   \
    }
#define S_TERMINATE                                                                                \
    {                                                                                              \
        .settles_all = true, .starts = {R_SERVE_CLOSING}, .issues = {D_CLOSING},                   \
        .public_label = P_TERMINATED                                                               \
    }
/* Court steps, the same in both kinds. */
#define S_JUDGMENT                                                                                 \
    {                                                                                              \
        .settles = {R_FIRST_INSTANCE}, .starts = { R_APPEAL_JUDGMENT }                             \
    }
#define S_RULING                                                                                   \
    {                                                                                              \
        .settles = {R_FIRST_INSTANCE}, .starts = { R_APPEAL_RULING }                               \
    }
/*  Whoever appeals, and when the window passes without one, the appeal
 *  window has done its work: a party's appeal brings the whole case
 *  before the second instance. */
#define S_APPEAL_WINDOW_ENDS                                                                       \
    {                                                                                              \
        .settles = { R_APPEAL_JUDGMENT, R_APPEAL_RULING }                                          \
    }
#define S_FILE_APPEAL                                                                              \
    {                                                                                              \
        .settles = {R_APPEAL_JUDGMENT, R_APPEAL_RULING}, .issues = { D_APPEAL }                    \
    }
#define S_REMAND                                                                                   \
    {                                                                                              \
        .starts = { R_FIRST_INSTANCE }                                                             \
    }
#define S_NOTHING                                                                                  \
    {                                                                                              \
        .starts = { NULL }                                                                         \
    }

static const workflow_step_t s_admin_opening = {
    .starts = {R_SERVE_OPENING, R_INVESTIGATION}, .issues = {D_OPENING}, .public_label = P_OPENED};
static const workflow_step_t s_civil_opening = {
    .starts = {R_INVESTIGATION}, .issues = {D_OPENING}, .public_label = P_OPENED};

static const s_step_entry_t s_admin_steps[] = {
    {WORKFLOW_ADMIN_OPENED,
     WORKFLOW_ADMIN_SERVE_OPENING_DECISION,
     {.settles = {R_SERVE_OPENING}, .serves = {D_OPENING}}},
    {WORKFLOW_ADMIN_INVESTIGATING, WORKFLOW_ADMIN_START_CONSULTATION, S_NOTHING},
    {ANY_STATE,
     WORKFLOW_ADMIN_ISSUE_SUGGESTION,
     {.settles = {R_INVESTIGATION},
      .starts = {R_FILE_UPWARD_SUGGESTION},
      .issues = {D_SUGGESTION},
      .public_label = P_SUGGESTION}},
    {WORKFLOW_ADMIN_SUGGESTION_ISSUED,
     WORKFLOW_ADMIN_SERVE_SUGGESTION,
     {.starts = {R_ORGAN_REPLY}, .serves = {D_SUGGESTION}}},
    {WORKFLOW_ADMIN_AWAITING_REPLY, WORKFLOW_ADMIN_RECORD_REPLY, {.settles = {R_ORGAN_REPLY}}},
    {WORKFLOW_ADMIN_AWAITING_REPLY,
     WORKFLOW_ADMIN_REPLY_PERIOD_EXPIRED,
     {.settles = {R_ORGAN_REPLY}}},
    /*  Rectified during the investigation or the consultation ends the
     *  investigation; during the review for suit, the review. */
    {WORKFLOW_ADMIN_INVESTIGATING,
     WORKFLOW_ADMIN_CONFIRM_RECTIFIED,
     {.settles = {R_INVESTIGATION}, .public_label = P_RECTIFIED}},
    {WORKFLOW_ADMIN_CONSULTING,
     WORKFLOW_ADMIN_CONFIRM_RECTIFIED,
     {.settles = {R_INVESTIGATION}, .public_label = P_RECTIFIED}},
    {WORKFLOW_ADMIN_FOLLOWING_UP, WORKFLOW_ADMIN_CONFIRM_RECTIFIED, {.public_label = P_RECTIFIED}},
    {WORKFLOW_ADMIN_REVIEW_FOR_SUIT,
     WORKFLOW_ADMIN_CONFIRM_RECTIFIED,
     {.settles = {R_REVIEW_FOR_SUIT}, .public_label = P_RECTIFIED}},
    {WORKFLOW_ADMIN_FOLLOWING_UP,
     WORKFLOW_ADMIN_ENTER_REVIEW_FOR_SUIT,
     {.starts = {R_REVIEW_FOR_SUIT}}},
    {WORKFLOW_ADMIN_REVIEW_FOR_SUIT,
     WORKFLOW_ADMIN_FILE_SUIT,
     {.settles = {R_REVIEW_FOR_SUIT},
      .starts = {R_FILE_UPWARD_SUIT, R_FIRST_INSTANCE},
      .issues = {D_INDICTMENT},
      .public_label = P_SUIT}},
    {WORKFLOW_ADMIN_SUIT_FILED, WORKFLOW_ADMIN_RECORD_JUDGMENT, S_JUDGMENT},
    {WORKFLOW_ADMIN_SUIT_FILED, WORKFLOW_ADMIN_RECORD_RULING, S_RULING},
    {WORKFLOW_ADMIN_JUDGMENT, WORKFLOW_ADMIN_FILE_APPEAL, S_FILE_APPEAL},
    {WORKFLOW_ADMIN_JUDGMENT, WORKFLOW_ADMIN_OTHER_PARTY_APPEALS, S_APPEAL_WINDOW_ENDS},
    {WORKFLOW_ADMIN_JUDGMENT, WORKFLOW_ADMIN_JUDGMENT_EFFECTIVE, S_APPEAL_WINDOW_ENDS},
    {WORKFLOW_ADMIN_APPEAL, WORKFLOW_ADMIN_RECORD_APPEAL_DECISION, S_NOTHING},
    {WORKFLOW_ADMIN_APPEAL, WORKFLOW_ADMIN_REMAND, S_REMAND},
    {ANY_STATE, WORKFLOW_ADMIN_CLOSE, S_CLOSE},
    {ANY_STATE, WORKFLOW_ADMIN_SUSPEND, S_NOTHING},
    {ANY_STATE, WORKFLOW_ADMIN_RESUME, S_NOTHING},
    {ANY_STATE, WORKFLOW_ADMIN_TERMINATE, S_TERMINATE},
    /*  Reopening withdraws the closing decision (its service is moot) and
     *  opens the case anew. */
    {WORKFLOW_ADMIN_CLOSED,
     WORKFLOW_ADMIN_REOPEN,
     {.settles = {R_SERVE_CLOSING},
      .starts = {R_SERVE_OPENING, R_INVESTIGATION},
      .issues = {D_OPENING},
      .public_label = P_REOPENED}},
};

/*  One list for the civil machine and the heroes one: an entry applies
 *  where the case's machine allows its cell. */
static const s_step_entry_t s_civil_steps[] = {
    {WORKFLOW_CIVIL_OPENED, WORKFLOW_CIVIL_START_INVESTIGATION, S_NOTHING},
    {WORKFLOW_CIVIL_INVESTIGATING,
     WORKFLOW_CIVIL_PUBLISH_ANNOUNCEMENT,
     {.settles = {R_INVESTIGATION},
      .starts = {R_ANNOUNCEMENT},
      .issues = {D_ANNOUNCE},
      .public_label = P_ANNOUNCED}},
    /* The relatives were asked: the investigation was settled then. */
    {WORKFLOW_CIVIL_ASKING_RELATIVES,
     WORKFLOW_CIVIL_PUBLISH_ANNOUNCEMENT,
     {.starts = {R_ANNOUNCEMENT}, .issues = {D_ANNOUNCE}, .public_label = P_ANNOUNCED}},
    /*  Asking the relatives is not public: who they are and what they
     *  answer is theirs. */
    {WORKFLOW_CIVIL_INVESTIGATING, WORKFLOW_CIVIL_ASK_RELATIVES, {.settles = {R_INVESTIGATION}}},
    {WORKFLOW_CIVIL_ASKING_RELATIVES,
     WORKFLOW_CIVIL_RELATIVES_DECLINE,
     {.starts = {R_CIVIL_REVIEW_FOR_SUIT}}},
    {WORKFLOW_CIVIL_ANNOUNCEMENT,
     WORKFLOW_CIVIL_ANNOUNCEMENT_EXPIRED,
     {.settles = {R_ANNOUNCEMENT}, .starts = {R_CIVIL_REVIEW_FOR_SUIT}}},
    {WORKFLOW_CIVIL_ANNOUNCEMENT,
     WORKFLOW_CIVIL_SUPPORT_SUIT,
     {.settles = {R_ANNOUNCEMENT}, .issues = {D_SUPPORT}, .public_label = P_SUPPORT}},
    {WORKFLOW_CIVIL_ASKING_RELATIVES,
     WORKFLOW_CIVIL_SUPPORT_SUIT,
     {.issues = {D_SUPPORT}, .public_label = P_SUPPORT}},
    {WORKFLOW_CIVIL_SUPPORTING_SUIT,
     WORKFLOW_CIVIL_PLAINTIFF_WITHDRAWS,
     {.starts = {R_CIVIL_REVIEW_FOR_SUIT}}},
    {WORKFLOW_CIVIL_REVIEW_FOR_SUIT,
     WORKFLOW_CIVIL_FILE_SUIT,
     {.settles = {R_CIVIL_REVIEW_FOR_SUIT},
      .starts = {R_FILE_UPWARD_SUIT, R_FIRST_INSTANCE},
      .issues = {D_INDICTMENT},
      .public_label = P_SUIT}},
    {WORKFLOW_CIVIL_SUIT_FILED, WORKFLOW_CIVIL_RECORD_JUDGMENT, S_JUDGMENT},
    {WORKFLOW_CIVIL_SUIT_FILED, WORKFLOW_CIVIL_RECORD_RULING, S_RULING},
    {WORKFLOW_CIVIL_JUDGMENT, WORKFLOW_CIVIL_FILE_APPEAL, S_FILE_APPEAL},
    {WORKFLOW_CIVIL_JUDGMENT, WORKFLOW_CIVIL_OTHER_PARTY_APPEALS, S_APPEAL_WINDOW_ENDS},
    {WORKFLOW_CIVIL_JUDGMENT, WORKFLOW_CIVIL_JUDGMENT_EFFECTIVE, S_APPEAL_WINDOW_ENDS},
    {WORKFLOW_CIVIL_APPEAL, WORKFLOW_CIVIL_RECORD_APPEAL_DECISION, S_NOTHING},
    {WORKFLOW_CIVIL_APPEAL, WORKFLOW_CIVIL_REMAND, S_REMAND},
    {ANY_STATE, WORKFLOW_CIVIL_CLOSE, S_CLOSE},
    {ANY_STATE, WORKFLOW_CIVIL_SUSPEND, S_NOTHING},
    {ANY_STATE, WORKFLOW_CIVIL_RESUME, S_NOTHING},
    {ANY_STATE, WORKFLOW_CIVIL_TERMINATE, S_TERMINATE},
};

#define S_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- roles -------------------------------------------------------------- */

/*  The chief's decisions (DESIGN.md, issue 9): open, issue a suggestion,
 *  file suit, terminate, reopen (and extend a period, an action).  The
 *  rest is the handling prosecutor's. */
static const bool s_admin_chief[WORKFLOW_ADMIN_NEVENTS] = {
    [WORKFLOW_ADMIN_ISSUE_SUGGESTION] = true,
    [WORKFLOW_ADMIN_FILE_SUIT] = true,
    [WORKFLOW_ADMIN_TERMINATE] = true,
    [WORKFLOW_ADMIN_REOPEN] = true,
};
static const bool s_civil_chief[WORKFLOW_CIVIL_NEVENTS] = {
    [WORKFLOW_CIVIL_FILE_SUIT] = true,
    [WORKFLOW_CIVIL_TERMINATE] = true,
};

static const workflow_action_info_t s_actions[WORKFLOW_NACTIONS] = {
    [WORKFLOW_ACTION_EXTEND_PERIOD] = {"extend_period", WORKFLOW_ROLE_CHIEF, NULL, NULL, true, true,
                                       false},
    [WORKFLOW_ACTION_FILE_SUGGESTION_UPWARD] = {"file_suggestion_upward", WORKFLOW_ROLE_PROSECUTOR,
                                                R_FILE_UPWARD_SUGGESTION, NULL, true, false, false},
    [WORKFLOW_ACTION_FILE_SUIT_UPWARD] = {"file_suit_upward", WORKFLOW_ROLE_PROSECUTOR,
                                          R_FILE_UPWARD_SUIT, NULL, true, true, false},
    [WORKFLOW_ACTION_SERVE_CLOSING_DECISION] = {"serve_closing_decision", WORKFLOW_ROLE_PROSECUTOR,
                                                R_SERVE_CLOSING, D_CLOSING, true, true, true},
};

/* ---- API ---------------------------------------------------------------- */

static const char *const s_kind_names[WORKFLOW_CASE_NKINDS] = {"administrative", "civil"};

const char *workflow_case_kind_name(workflow_case_kind_t kind)
{
    assert(kind >= 0 && kind < WORKFLOW_CASE_NKINDS);
    return s_kind_names[kind];
}

int workflow_case_kind_of(const char *name)
{
    for (int k = 0; name && k < WORKFLOW_CASE_NKINDS; k++)
        if (strcmp(s_kind_names[k], name) == 0)
            return k;
    return -1;
}

const gy_machine_t *workflow_case_machine(workflow_case_kind_t kind, bool heroes)
{
    assert(kind >= 0 && kind < WORKFLOW_CASE_NKINDS);
    if (kind == WORKFLOW_CASE_ADMINISTRATIVE)
        return &s_admin_machine;
    return heroes ? &s_heroes_machine : &s_civil_machine;
}

const workflow_step_t *workflow_case_step(workflow_case_kind_t kind, bool heroes, int state,
                                          int event)
{
    const gy_machine_t *m = workflow_case_machine(kind, heroes);
    if (gy_machine_next(m, state, event) == GY_MACHINE_REFUSED)
        return NULL;
    const s_step_entry_t *steps =
        kind == WORKFLOW_CASE_ADMINISTRATIVE ? s_admin_steps : s_civil_steps;
    size_t n =
        kind == WORKFLOW_CASE_ADMINISTRATIVE ? S_COUNT(s_admin_steps) : S_COUNT(s_civil_steps);
    const workflow_step_t *any = NULL;
    for (size_t i = 0; i < n; i++) {
        if (steps[i].event != event)
            continue;
        if (steps[i].state == state)
            return &steps[i].step;
        if (steps[i].state == ANY_STATE)
            any = &steps[i].step;
    }
    /* Every allowed cell has a step (unit_workflow_machines checks it). */
    assert(any);
    return any;
}

const workflow_step_t *workflow_case_opening(workflow_case_kind_t kind)
{
    assert(kind >= 0 && kind < WORKFLOW_CASE_NKINDS);
    return kind == WORKFLOW_CASE_ADMINISTRATIVE ? &s_admin_opening : &s_civil_opening;
}

const char *workflow_event_role(workflow_case_kind_t kind, int event)
{
    const gy_machine_t *m = workflow_case_machine(kind, true);
    assert(event >= 0 && event < m->nevents);
    bool chief = kind == WORKFLOW_CASE_ADMINISTRATIVE ? s_admin_chief[event] : s_civil_chief[event];
    return chief ? WORKFLOW_ROLE_CHIEF : WORKFLOW_ROLE_PROSECUTOR;
}

static bool s_role_covers(const char *need, const char *role)
{
    if (!role)
        return false;
    if (strcmp(role, WORKFLOW_ROLE_CHIEF) == 0)
        return true;
    return strcmp(need, WORKFLOW_ROLE_PROSECUTOR) == 0 &&
           strcmp(role, WORKFLOW_ROLE_PROSECUTOR) == 0;
}

bool workflow_event_allowed_for(workflow_case_kind_t kind, int event, const char *role)
{
    return s_role_covers(workflow_event_role(kind, event), role);
}

bool workflow_case_state_final(workflow_case_kind_t kind, int state)
{
    const gy_machine_t *m = workflow_case_machine(kind, true);
    assert(state >= 0 && state < m->nstates);
    if (kind == WORKFLOW_CASE_ADMINISTRATIVE)
        return state == WORKFLOW_ADMIN_CLOSED || state == WORKFLOW_ADMIN_TERMINATED;
    return state == WORKFLOW_CIVIL_CLOSED || state == WORKFLOW_CIVIL_TERMINATED;
}

int workflow_case_suspended_from(workflow_case_kind_t kind, int state)
{
    /* The heroes machine is the civil one plus asking_relatives, which
     * cannot be suspended: its resume cells are the civil ones. */
    const gy_machine_t *m = workflow_case_machine(kind, true);
    int resume =
        kind == WORKFLOW_CASE_ADMINISTRATIVE ? WORKFLOW_ADMIN_RESUME : WORKFLOW_CIVIL_RESUME;
    int next = gy_machine_next(m, state, resume);
    return next == GY_MACHINE_REFUSED ? -1 : next;
}

const workflow_action_info_t *workflow_action_info(workflow_action_t action)
{
    assert(action >= 0 && action < WORKFLOW_NACTIONS);
    return &s_actions[action];
}

int workflow_action_of(const char *name)
{
    for (int a = 0; name && a < WORKFLOW_NACTIONS; a++)
        if (strcmp(s_actions[a].name, name) == 0)
            return a;
    return -1;
}

bool workflow_action_allowed_for(workflow_case_kind_t kind, workflow_action_t action,
                                 const char *role)
{
    const workflow_action_info_t *a = workflow_action_info(action);
    bool has = kind == WORKFLOW_CASE_ADMINISTRATIVE ? a->administrative : a->civil;
    return has && s_role_covers(a->role, role);
}

/* ---- Markdown ----------------------------------------------------------- */

static void s_list(gy_buf_t *md, const char *const *items, size_t n, const char *fallback)
{
    size_t shown = 0;
    for (size_t i = 0; i < n && items[i]; i++)
        gy_buf_printf(md, "%s`%s`", shown++ ? ", " : "", items[i]);
    if (!shown)
        gy_buf_printf(md, "%s", fallback);
}

static void s_step_cells(gy_buf_t *md, const workflow_step_t *step)
{
    gy_buf_printf(md, " | ");
    if (step->settles_all)
        gy_buf_printf(md, "all open");
    else
        s_list(md, step->settles, S_COUNT(step->settles), "");
    gy_buf_printf(md, " | ");
    s_list(md, step->starts, S_COUNT(step->starts), "");
    gy_buf_printf(md, " | %s | ", step->public_label ? step->public_label : "");
    s_list(md, step->issues, S_COUNT(step->issues), "");
    if (step->serves[0]) {
        gy_buf_printf(md, "%s", step->issues[0] ? "; serves " : "serves ");
        s_list(md, step->serves, S_COUNT(step->serves), "");
    }
    gy_buf_printf(md, " |\n");
}

static const char s_header[] =
    "| state | event | next state | who | settles | starts | public step "
    "| documents |\n|---|---|---|---|---|---|---|---|\n";

static void s_role_cell(gy_buf_t *md, const char *role)
{
    gy_buf_printf(md, "%s", strcmp(role, WORKFLOW_ROLE_CHIEF) == 0 ? "chief" : "prosecutor");
}

/*  The rows of machine m whose cell differs from base's (base NULL: every
 *  allowed cell), in table order. */
static void s_machine_rows(gy_buf_t *md, workflow_case_kind_t kind, bool heroes,
                           const gy_machine_t *base)
{
    const gy_machine_t *m = workflow_case_machine(kind, heroes);
    for (int s = 0; s < m->nstates; s++)
        for (int e = 0; e < m->nevents; e++) {
            int next = gy_machine_next(m, s, e);
            bool in_base = base && s < base->nstates && e < base->nevents;
            int base_next = in_base ? gy_machine_next(base, s, e) : GY_MACHINE_REFUSED;
            if (base && next == base_next)
                continue;
            if (next == GY_MACHINE_REFUSED) {
                if (base)
                    gy_buf_printf(md, "| %s | %s | refused | | | | | |\n", m->states[s],
                                  m->events[e]);
                continue;
            }
            gy_buf_printf(md, "| %s | %s | %s | ", m->states[s], m->events[e], m->states[next]);
            s_role_cell(md, workflow_event_role(kind, e));
            s_step_cells(md, workflow_case_step(kind, heroes, s, e));
        }
}

char *workflow_machines_markdown(void)
{
    gy_buf_t md = {0};
    for (int k = 0; k < WORKFLOW_CASE_NKINDS; k++) {
        const gy_machine_t *m = workflow_case_machine(k, false);
        gy_buf_printf(&md, "### The %s (`%s`)\n\n", m->name, workflow_case_kind_name(k));
        gy_buf_printf(&md, "%s", s_header);
        gy_buf_printf(&md, "| (new) | open | opened | chief");
        s_step_cells(&md, workflow_case_opening(k));
        s_machine_rows(&md, k, false, NULL);
        gy_buf_printf(&md, "\n");
    }
    gy_buf_printf(&md, "### The heroes and martyrs civil case (`civil`, heroes flag)\n\n"
                       "As the civil case, except these cells:\n\n");
    gy_buf_printf(&md, "%s", s_header);
    s_machine_rows(&md, WORKFLOW_CASE_CIVIL, true, &s_civil_machine);
    gy_buf_printf(&md, "\n### Actions (no state change)\n\n"
                       "| action | who | kinds | settles | documents | also on a closed case |\n"
                       "|---|---|---|---|---|---|\n");
    for (int a = 0; a < WORKFLOW_NACTIONS; a++) {
        const workflow_action_info_t *info = &s_actions[a];
        gy_buf_printf(&md, "| %s | ", info->name);
        s_role_cell(&md, info->role);
        gy_buf_printf(&md, " | %s | %s%s%s | %s%s%s | %s |\n",
                      info->administrative && info->civil ? "both"
                      : info->administrative              ? "administrative"
                                                          : "civil",
                      info->settles ? "`" : "", info->settles ? info->settles : "",
                      info->settles ? "`" : "", info->serves ? "serves `" : "",
                      info->serves ? info->serves : "", info->serves ? "`" : "",
                      info->on_final ? "yes" : "no");
    }
    gy_buf_printf(&md, "\n### Document kinds\n\n| id | document |\n|---|---|\n");
    for (const workflow_document_kind_t *d = workflow_document_kinds; d->id; d++)
        gy_buf_printf(&md, "| `%s` | %s |\n", d->id, d->name_zh);
    return md.data;
}
