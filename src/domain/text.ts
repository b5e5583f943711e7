/**
 * Bounding text that ends up in log lines, error messages and Kubernetes Events. Values come
 * from users (annotations, Service fields) or from servers, and one oversized value must not
 * turn every pass's log line into hundreds of kilobytes.
 */

/** Characters of a user-supplied value kept in a message: enough to recognise it. */
export const QUOTE_MAX = 64;

/** Cut at `max` UTF-16 units without splitting a surrogate pair (a lone half renders as garbage). */
function cutAt(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return text.slice(0, end);
}

/**
 * A value quoted for a message, at most `max` characters of it: `"short"` or
 * `"first 64 characters…"(204800 chars)`. JSON quoting keeps quotes and newlines in the value
 * from breaking the sentence around it.
 */
export function quoteCapped(value: string, max: number = QUOTE_MAX): string {
  if (value.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(`${cutAt(value, max)}…`)}(${value.length} chars)`;
}

/**
 * One line of at most `max` characters (whitespace runs collapsed) with an ellipsis when cut.
 * Never give it text that may hold a secret before that text was redacted: a cut can leave
 * most of a secret behind where a redaction pattern no longer matches it.
 */
export function shorten(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${cutAt(oneLine, max)}…` : oneLine;
}
