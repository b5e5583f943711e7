/**
 * Scrubbing credentials out of text that came back from OPNsense (or from whatever answers in
 * its place: a proxy, a login page, a broken server that echoes request headers). Every text
 * derived from a reply, a header or a transport error passes through `redact` before it is cut
 * to length and before it goes into an error message or a log line: cutting first can leave
 * most of a secret behind where no pattern matches it any more (a review found 69 of the key's
 * 80 characters in a log line that way).
 */
import { shorten } from "../domain/text.ts";

export const REDACTED = "[redacted]";

/**
 * Machine-generated credentials also lose any fragment this long: an echo cut short by a proxy
 * or a length limit still carries most of the value. Shorter fragments would start to hit
 * ordinary words in keys chosen by hand (test setups, home labs).
 */
export const MIN_FRAGMENT = 12;

export type RedactorSecrets = {
  /** Random credentials (API key, API secret): full values, encoded forms and any fragment of ≥ MIN_FRAGMENT characters. */
  readonly credentials: readonly string[];
  /** Chosen secrets (the BGP password): full values and encoded forms only; their fragments can be ordinary words. */
  readonly values?: readonly string[];
};

export type Redactor = {
  redact(text: string): string;
  /** Redacted first, then one line of at most `max` characters. */
  excerpt(value: unknown, max?: number): string;
};

// Header lines and query/JSON echoes of them: `Authorization: Basic …`, `"HTTP_AUTHORIZATION":"Basic …"`.
const AUTH_HEADER = /((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(?:basic|bearer|digest)\s+)?[^\s"',;&}]+/gi;
const BASIC_TOKEN = /\b(basic\s+)[A-Za-z0-9+/\\=_-]{8,}/gi;

/** The ways a value shows up in a reply: as is, JSON-escaped (PHP also escapes "/"), URL-encoded. */
function forms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  return [...new Set([value, json, json.replaceAll("/", "\\/"), encodeURIComponent(value)])];
}

function fragmentsOf(value: string): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + MIN_FRAGMENT <= value.length; i++) out.add(value.slice(i, i + MIN_FRAGMENT));
  return out;
}

export function createRedactor(secrets: RedactorSecrets): Redactor {
  const credentialForms = secrets.credentials.filter((s) => s.length >= 4).flatMap(forms);
  const valueForms = (secrets.values ?? []).filter((s) => s.length >= 4).flatMap(forms);
  // Longest first, so a value that contains another is replaced whole.
  const whole = [...new Set([...credentialForms, ...valueForms])].sort((a, b) => b.length - a.length);
  const fragments = new Set<string>();
  for (const f of credentialForms) for (const x of fragmentsOf(f)) fragments.add(x);

  function hideFragments(text: string): string {
    if (fragments.size === 0 || text.length < MIN_FRAGMENT) return text;
    const hidden = new Uint8Array(text.length);
    let any = false;
    for (let i = 0; i + MIN_FRAGMENT <= text.length; i++) {
      if (!fragments.has(text.slice(i, i + MIN_FRAGMENT))) continue;
      hidden.fill(1, i, i + MIN_FRAGMENT);
      any = true;
    }
    if (!any) return text;
    let out = "";
    for (let i = 0; i < text.length; i++) {
      if (hidden[i] === 0) out += text[i];
      else if (i === 0 || hidden[i - 1] === 0) out += REDACTED;
    }
    return out;
  }

  function redact(text: string): string {
    let out = text.replace(AUTH_HEADER, `$1${REDACTED}`).replace(BASIC_TOKEN, `$1${REDACTED}`);
    for (const w of whole) out = out.replaceAll(w, REDACTED);
    return hideFragments(out);
  }

  return {
    redact,
    excerpt(value, max = 120) {
      const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
      return shorten(redact(text), max);
    },
  };
}
