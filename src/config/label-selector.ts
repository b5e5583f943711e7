/**
 * Validation of Kubernetes label selectors (the `labelSelector` query parameter), so a typo
 * in NODE_SELECTOR fails at start with a message instead of as a 400 from the API server
 * on every list. Grammar as in k8s.io/apimachinery `labels.Parse`.
 */

const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const NAME = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function keyProblem(key: string): string | null {
  if (key === "") return "a label key is empty";
  const slash = key.indexOf("/");
  const prefix = slash === -1 ? null : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== null && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key "${key}" has an invalid prefix (a lower-case DNS subdomain is expected before "/")`;
  }
  if (name.length > 63 || !NAME.test(name)) {
    return `label key "${key}" is invalid (name part: ≤ 63 characters, alphanumerics, "-", "_", ".", starting and ending alphanumeric)`;
  }
  return null;
}

function valueProblem(value: string): string | null {
  if (value === "") return null;
  if (value.length > 63 || !NAME.test(value)) {
    return `label value "${value}" is invalid (≤ 63 characters, alphanumerics, "-", "_", ".", starting and ending alphanumeric)`;
  }
  return null;
}

/** Split on commas that are not inside `( … )`. */
function splitRequirements(selector: string): string[] | null {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of selector) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (depth < 0 || depth > 1) return null;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  if (depth !== 0) return null;
  out.push(cur);
  return out;
}

/** Why `selector` is not a valid label selector, or null when it is. */
export function labelSelectorProblem(selector: string): string | null {
  const requirements = splitRequirements(selector);
  if (requirements === null) return "unbalanced parentheses";
  for (const raw of requirements) {
    const r = raw.trim();
    if (r === "") return "empty requirement (stray comma)";
    const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(r);
    if (set !== null) {
      const values = (set[3] ?? "").split(",").map((v) => v.trim());
      const problem = keyProblem(set[1] ?? "") ?? values.map(valueProblem).find((p) => p !== null) ?? null;
      if (problem !== null) return problem;
      continue;
    }
    const exists = /^(!?)\s*([^\s=!<>(),]+)$/.exec(r);
    if (exists !== null) {
      const problem = keyProblem(exists[2] ?? "");
      if (problem !== null) return problem;
      continue;
    }
    const cmp = /^([^\s=!<>(),]+)\s*(==|=|!=)\s*([^\s=!<>(),]*)$/.exec(r);
    if (cmp !== null) {
      const problem = keyProblem(cmp[1] ?? "") ?? valueProblem(cmp[3] ?? "");
      if (problem !== null) return problem;
      continue;
    }
    const num = /^([^\s=!<>(),]+)\s*(<|>)\s*(\d+)$/.exec(r);
    if (num !== null) {
      const problem = keyProblem(num[1] ?? "");
      if (problem !== null) return problem;
      continue;
    }
    return `cannot parse requirement "${r}" (expected key, !key, key=value, key!=value, key in (a,b) or key notin (a,b))`;
  }
  return null;
}
