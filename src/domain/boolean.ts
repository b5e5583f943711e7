/**
 * The one boolean grammar of the agent: environment variables, `LB_CLIENT_NETWORKS` fields and
 * node annotations all accept the same words, so `skip=yes` means what `asymmetric=yes` means.
 */
const WORDS: Readonly<Record<string, boolean>> = { true: true, false: false, yes: true, no: false, "1": true, "0": false };

export const BOOLEAN_SPELLINGS = "true/false, 1/0, yes/no";

/** `true`, `false`, or null when the text is not one of the accepted words (case-insensitive, trimmed). */
export function parseBoolean(text: string): boolean | null {
  return WORDS[text.trim().toLowerCase()] ?? null;
}
