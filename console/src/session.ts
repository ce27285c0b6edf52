// Who is signed in: the answer of GET /api/v1/auth/session, kept for the
// menu and the route guard.  The token itself never reaches a script: the
// session endpoint sets it as the HttpOnly cookie gy_session and answers
// only the claims (docs/console.md, "Where the token lives").
import { reactive } from "vue";
import { ApiError, http } from "./api";

export type Role = "volunteer" | "prosecutor" | "chief_prosecutor" | "admin";

export interface Me {
  subject: string;
  role: Role;
  procuratorate: string;
  expires_at: number;
  volunteer_id: string | null;
}

export type Level = "supreme" | "province" | "city" | "county";

export const session = reactive({
  me: null as Me | null,
  /** Whether the session was asked for since the page loaded. */
  loaded: false,
  /** Set when a signed-in request found the session gone. */
  expired: false,
});

/** Asks the services who the cookie belongs to; null when nobody. */
export async function loadSession(): Promise<Me | null> {
  try {
    session.me = await http.get<Me>("/api/v1/auth/session");
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    session.me = null;
  }
  session.loaded = true;
  return session.me;
}

/** A volunteer's login and password, or a staff token. */
export async function signIn(
  credentials: { login: string; password: string } | { token: string },
): Promise<Me> {
  const me = await http.post<Me>("/api/v1/auth/session", credentials);
  session.me = me;
  session.loaded = true;
  session.expired = false;
  return me;
}

export async function signOut(): Promise<void> {
  try {
    await http.del<null>("/api/v1/auth/session");
  } finally {
    session.me = null;
  }
}

/** The level of a procuratorate from its GB/T 2260 code: 000000 the
 *  supreme, xx0000 a province, xxxx00 a city, anything else a county. */
export function levelOf(code: string): Level {
  if (code === "000000") return "supreme";
  if (code.endsWith("0000")) return "province";
  if (code.endsWith("00")) return "city";
  return "county";
}
