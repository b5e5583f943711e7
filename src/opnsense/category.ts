/** Firewall categories (`/api/firewall/category`): the agent's ownership marker on rules and aliases. */
import type { Category } from "../domain/types.ts";
import { guardShape } from "./errors.ts";
import type { Http } from "./http.ts";
import { isObj, readObj, readString } from "./codec.ts";
import { createItem } from "./crud.ts";
import type { ItemEndpoints } from "./crud.ts";
import { ShapeError } from "./errors.ts";

export const EP = { search: "firewall/category/searchItem" } as const;

const CATEGORY: ItemEndpoints = { set: "firewall/category/setItem", del: "firewall/category/delItem", key: "category" };

export function parseCategories(reply: unknown): Category[] {
  return guardShape("GET", EP.search, () => {
    const grid = readObj(reply, "reply");
    const rows = grid.rows;
    if (!Array.isArray(rows)) throw new ShapeError("rows", "expected a list");
    return rows.map((row, i) => {
      if (!isObj(row)) throw new ShapeError(`rows.${i}`, "expected an object");
      const uuid = readString(row.uuid, `rows.${i}.uuid`);
      if (uuid === "") throw new ShapeError(`rows.${i}.uuid`, "missing");
      return { uuid, name: readString(row.name, `rows.${i}.name`) };
    });
  });
}

export async function readCategories(http: Http): Promise<Category[]> {
  // Model grids return every row when rowCount is absent (-1 default, §2.3).
  return parseCategories(await http.request({ method: "GET", endpoint: EP.search }));
}

/** `auto: "0"`: Category::sync() deletes auto categories no legacy rule uses (§6). */
export async function createCategory(http: Http, name: string): Promise<string> {
  return createItem(http, CATEGORY, { name, auto: "0" });
}
