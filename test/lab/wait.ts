import { sleep } from "./exec.ts";

export const WAIT_MS = 30_000;
export const POLL_MS = 250;

/**
 * Poll `probe` every 250 ms until it returns true; on timeout fail with `what`, the last
 * probe error and whatever `diagnostics` says about the lab at that moment.
 */
export async function eventually(
  what: string,
  probe: () => Promise<boolean>,
  diagnostics: () => Promise<string>,
  timeoutMs = WAIT_MS,
): Promise<number> {
  const t0 = Date.now();
  let lastError = "";
  for (;;) {
    try {
      if (await probe()) return Date.now() - t0;
      lastError = "";
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() - t0 > timeoutMs) {
      let diag = "";
      try {
        diag = await diagnostics();
      } catch (e) {
        diag = `(diagnostics failed: ${e instanceof Error ? e.message : String(e)})`;
      }
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${lastError ? `\nlast error: ${lastError}` : ""}\n${diag}`);
    }
    await sleep(POLL_MS);
  }
}
