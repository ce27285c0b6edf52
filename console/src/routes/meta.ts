// What a route tells the frame: who may open it, and where it sits in the
// side menu.  An area's pages are a list of routes in routes/<area>.ts;
// a new service's page (notifications, statistics, exports) is one more
// route with a menu label, and the menu shows it to the roles it names.
import type { Level, Role } from "../session";

declare module "vue-router" {
  interface RouteMeta {
    /** The page's title (the tab's title, and the menu entry's when `menu` is true). */
    title?: string;
    /** Who may open it; absent: everyone, signed in or not. */
    roles?: Role[];
    /** The levels of procuratorate it is for (a dashboard for city and province); absent: all. */
    levels?: Level[];
    /** Shown in the side menu, in `group` (a key of t.staff.groups), by `order`. */
    menu?: boolean;
    group?: string;
    order?: number;
  }
}

export const STAFF: Role[] = ["prosecutor", "chief_prosecutor"];
