import type { Region } from "./api";

/** One choice of the province › city › county picker (Element Plus's cascader). */
export interface RegionOption {
  value: string;
  label: string;
  children?: RegionOption[];
  /** Element Plus's CascaderOption allows more members; none is used. */
  [key: string]: unknown;
}

/** The picker's tree from the flat list of GET /api/v1/reference/regions: each
 *  region under its parent, the root (the supreme procuratorate's, parent
 *  null) left out, each level in the list's order; a leaf has no children. */
export function regionTree(regions: Region[]): RegionOption[] {
  const byParent = new Map<string, Region[]>();
  for (const r of regions) {
    const p = r.parent ?? "";
    const list = byParent.get(p);
    if (list) list.push(r);
    else byParent.set(p, [r]);
  }
  const build = (parent: string, seen: Set<string>): RegionOption[] =>
    (byParent.get(parent) ?? [])
      .filter((r) => !seen.has(r.code)) // a cycle in the data ends here
      .map((r) => {
        const children = build(r.code, new Set(seen).add(r.code));
        return children.length
          ? { value: r.code, label: r.name_zh, children }
          : { value: r.code, label: r.name_zh };
      });
  const root = regions.find((r) => r.parent === null);
  return root ? build(root.code, new Set([root.code])) : [];
}
