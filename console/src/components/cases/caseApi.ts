// The workflow's case APIs the case pages call (docs/api.md, "Workflow: …"),
// with the shapes they answer.
import { http, query, type Page } from "../../api";

export interface Deadline {
  id: string;
  rule: string;
  rule_version: number;
  name_zh: string | null;
  basis: string | null;
  verified: boolean;
  start_event: string;
  start_at: string;
  urgent: boolean;
  paused: boolean;
  due_at: string | null;
  warn_at: string | null;
  last_day: string | null;
  provisional: boolean;
  uncovered_year: number | null;
  reasons: DeadlineReason[];
  suspensions: { from_at: string; to_at: string | null; first_day?: string; last_day?: string }[];
  extensions: Extension[];
  settled_at: string | null;
  settled_by_event: string | null;
  warned_at: string | null;
  missed_at: string | null;
}

export interface DeadlineReason {
  reason: string;
  from?: string;
  to?: string;
  days?: number;
  name?: string;
  by?: string;
  authority?: string;
  count?: number;
  unit?: string;
  note?: string;
  at?: string;
}

export interface Extension {
  by: string;
  authority: string;
  count: number;
  unit: string;
  reason: string;
  at: string;
}

export interface CaseStep {
  event: string;
  action: boolean;
  from_state: string | null;
  to_state: string;
  version: number;
  actor: string;
  role: string;
  reason: string;
  members: Record<string, unknown> | null;
  public_label: string | null;
  at: string;
}

export interface Attachment {
  name: string;
  media_type: string;
  size: number;
  sha256: string;
  added_by: string;
  added_at: string;
}

export interface CaseDocument {
  id: string;
  case_id: string;
  kind: string;
  case_kind: string;
  name_zh: string;
  number: string;
  recipient: string;
  transition: string | null;
  reason: string;
  text_source: string;
  text: string | null;
  text_length: number;
  issued_by: string;
  issued_role: string;
  issued_at: string;
  served: { on: string; at: string; method: string; recorded_by: string; recorded_at: string } | null;
  version: number;
  attachments: Attachment[];
}

export interface Hearing {
  id: string;
  state: string;
  version: number;
  starts_at: string;
  place: string;
  topic: string;
  public: boolean;
  stream_url: string | null;
  announcement: string | null;
  outcome: string | null;
  summary: string | null;
  opinions: string[] | null;
  reason: string | null;
  scheduled_by: string;
  scheduled_at: string;
  members: { id: string; kind: string; name: string; volunteer_id: string | null }[];
  participants: { id: string; name: string; role: string; contact: string | null }[];
  volunteers: { volunteer_id: string; as: string }[];
}

export interface ImpactEntry {
  id: string;
  measure: string;
  value: string;
  unit: string;
  note: string | null;
  on_closing: boolean;
  recorded_at: string;
  recorded_by: string;
}
export interface ImpactSum {
  measure: string;
  unit: string;
  total: string;
  entries: number;
}

export interface ConsultTask {
  id: string;
  volunteer_id: string;
  state: string;
  due_at: string;
  asked_at: string;
  replaces: string | null;
  answer: string | null;
  references: string[] | null;
  reason: string | null;
}
export interface Consultation {
  id: string;
  question: string;
  field_code: string;
  experts: number;
  due_at: string;
  requested_by: string;
  requested_at: string;
  tasks: ConsultTask[];
}

export interface Supervisor {
  volunteer_id: string;
  appointed_by: string;
  reason: string | null;
  appointed_at: string;
}

export interface Photo {
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  taken_at?: string | null;
}
export interface Observation {
  id: string;
  volunteer_id: string;
  observed_on: string;
  place: string;
  text: string;
  finding: string;
  photos: Photo[] | null;
  filed_at: string;
}

export interface CaseSummary {
  id: string;
  kind: string;
  procuratorate: string;
  field_code: string;
  state: string;
  version: number;
  harm_ongoing: boolean;
  heroes: boolean;
  title: string;
  opened_by: string;
  opened_at: string;
  updated_at: string;
  clues: { clue_id: string; how: string; linked_by: string; linked_at: string }[];
  next_due?: Deadline | null;
}

export interface CaseFull extends CaseSummary {
  outcome: string | null;
  public_outcome: string | null;
  closed_at: string | null;
  steps: CaseStep[];
  suspensions: { reason: string; from_at: string; from_by: string; to_at: string | null }[];
  deadlines: Deadline[];
  documents: CaseDocument[];
  hearings: Hearing[];
  impact: { items: ImpactEntry[]; sums: ImpactSum[] };
  consultations: Consultation[];
  supervisors: Supervisor[];
  observations: Observation[];
  allowed_events: string[];
  allowed_actions: string[];
}

export interface DeadlineChange {
  id: string;
  rule: string;
  name_zh: string | null;
  change: "started" | "moved" | "settled";
  paused?: boolean;
  due_at?: string | null;
  last_day?: string | null;
  provisional?: boolean;
  uncovered_year?: number | null;
  settled_by_event?: string;
}

export interface StepResult {
  id: string;
  state: string;
  version: number;
  step: CaseStep;
  deadline_changes: DeadlineChange[];
  allowed_events: string[];
  allowed_actions: string[];
}

export interface Measure {
  code: string;
  name_zh: string;
  unit: string;
  value_kind: string;
  scale: number;
  fields: string;
  sums: boolean;
}

export interface PoolMember {
  id: string;
  kind: string;
  name: string;
  volunteer_id: string | null;
  active: boolean;
}

export interface Volunteer {
  id: string;
  login: string;
  status: string;
  procuratorate: string;
  roles: string[];
  certificate_no: string | null;
  term_expired?: boolean;
}

export interface TimeLimit {
  rule: string;
  version: number;
  current: boolean;
  name_zh: string;
  extensions: { by_role: string; count: number; unit: string; times: number }[];
}

const W = "/api/v1/workflow";
const id = encodeURIComponent;

export const casesApi = {
  list: (p: { queue?: string; stage?: string; kind?: string; after?: string | null }) =>
    http.get<Page<CaseSummary>>(`${W}/cases` + query({ ...p, limit: 50 })),
  get: (caseId: string) => http.get<CaseFull>(`${W}/cases/${id(caseId)}`),
  step: (caseId: string, body: Record<string, unknown>) =>
    http.post<StepResult>(`${W}/cases/${id(caseId)}/steps`, body),
  timeLimits: () => http.get<{ time_limits: TimeLimit[] }>(`${W}/time-limits`),
  document: (docId: string) => http.get<CaseDocument>(`${W}/documents/${id(docId)}`),
  issue: (caseId: string, body: Record<string, unknown>, key: string) =>
    http.post<CaseDocument>(`${W}/cases/${id(caseId)}/documents`, body, { "Idempotency-Key": key }),
  served: (docId: string, body: Record<string, unknown>) =>
    http.post<CaseDocument>(`${W}/documents/${id(docId)}/served`, body),
  attach: (docId: string, body: Record<string, unknown>) =>
    http.post<CaseDocument>(`${W}/documents/${id(docId)}/attachments`, body),
  schedule: (caseId: string, body: Record<string, unknown>) =>
    http.post<Hearing>(`${W}/cases/${id(caseId)}/hearings`, body),
  hearingStep: (hearingId: string, step: string, body: Record<string, unknown>) =>
    http.post<Hearing>(`${W}/hearings/${id(hearingId)}/${step}`, body),
  pool: (proc: string) =>
    http.get<{ procuratorate: string; items: PoolMember[] }>(`${W}/hearing-pools/${id(proc)}`),
  consult: (caseId: string, body: Record<string, unknown>) =>
    http.post<Consultation>(`${W}/cases/${id(caseId)}/consultations`, body),
  appoint: (caseId: string, body: Record<string, unknown>) =>
    http.post<{ items: Supervisor[] }>(`${W}/cases/${id(caseId)}/supervisors`, body),
  measures: () => http.get<{ measures: Measure[] }>(`${W}/impact-measures`),
  impact: (caseId: string, body: Record<string, unknown>) =>
    http.post<ImpactEntry>(`${W}/cases/${id(caseId)}/impact`, body),
  /** The router's volunteers in the caller's scope, appointed (every page). */
  async volunteers(): Promise<Volunteer[]> {
    const all: Volunteer[] = [];
    let after: string | null = null;
    for (let i = 0; i < 20; i++) {
      const p: Page<Volunteer> = await http.get<Page<Volunteer>>(
        "/api/v1/volunteers" + query({ status: "appointed", limit: 100, after }),
      );
      all.push(...p.items);
      if (!p.next) break;
      after = p.next;
    }
    return all;
  },
};
