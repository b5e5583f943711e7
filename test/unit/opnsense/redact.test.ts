import { Writable } from "node:stream";
import nock from "nock";
import pino from "pino";
import { describe, expect, test } from "vitest";
import { OpnsenseError } from "../../../src/opnsense/index.ts";
import { createRedactor, MIN_FRAGMENT, REDACTED } from "../../../src/opnsense/redact.ts";
import { API_KEY, API_SECRET, AUTH_HEADER, BASE, api, client, rejectionOf, useNock } from "./helpers.ts";

useNock();

const B64 = AUTH_HEADER.slice("Basic ".length);
const SECRETS = { API_KEY, API_SECRET, B64 };

/** The longest run of any secret that appears in `text` (0 = none of it). */
function longestLeak(text: string): { secret: string; chars: number } {
  let worst = { secret: "", chars: 0 };
  for (const [name, s] of Object.entries(SECRETS)) {
    for (let len = s.length; len > worst.chars; len--) {
      let found = false;
      for (let i = 0; i + len <= s.length && !found; i++) found = text.includes(s.slice(i, i + len));
      if (found) {
        worst = { secret: name, chars: len };
        break;
      }
    }
  }
  return worst;
}

function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: pino({ level: "trace" }, sink), lines };
}

describe("credentials in replies are redacted before anything is cut", () => {
  // The review's case: a 2xx non-JSON reply that echoes the request. The old code cut the body
  // to 120 characters first, leaving 69 of the key's 80 characters where no pattern matched.
  const ECHOES: Array<[string, string]> = [
    ["header line then key", `GET /api/quagga/service/status HTTP/1.1 Host: opnsense.test Authorization: ${AUTH_HEADER} X-Key: ${API_KEY} X-Secret: ${API_SECRET}`],
    ["key at the cut boundary", `${"x".repeat(60)} key=${API_KEY} secret=${API_SECRET} auth=${B64}`],
    ["PHP-escaped JSON-ish text", `<pre>{"HTTP_AUTHORIZATION":"${AUTH_HEADER.replaceAll("/", "\\/")}","key":"${API_KEY.replaceAll("/", "\\/")}"}</pre>`],
    ["a truncated echo", `echo: ${B64.slice(0, 40)} ${API_KEY.slice(20, 60)}`],
  ];

  test.each(ECHOES)("non-JSON 200 (%s): no 16-character piece of a secret in the error or any log line", async (_name, body) => {
    const { logger, lines } = capture();
    api().get("/api/quagga/service/status").reply(200, body, { "content-type": "text/html" });
    const e = await rejectionOf(client({ logger }).frrStatus());
    expect(e).toBeInstanceOf(OpnsenseError);
    const err = e as OpnsenseError;
    expect(err.message).toMatch(/^GET quagga\/service\/status: garbage reply \(not JSON\): /);
    // The agent logs failures with the error text; do what the controller does, into the same capture.
    logger.error({ errorKind: err.kind, error: err.message, err }, "sync failed");
    const texts = [err.message, err.detail, err.stack ?? "", JSON.stringify(err), ...lines];
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const t of texts) expect(longestLeak(t).chars).toBeLessThan(16);
  });

  test("error statuses with JSON bodies: PHP-escaped echoes (\\/ in base64) are redacted after decoding", async () => {
    // Real keys are base64 and contain "/" and "+"; PHP's json_encode escapes "/" as "\/".
    const key = "q/Wd+9kL0/aZ3+xT7/mN1+pR5/vB8+cE2/hJ4+sG6/uY0+oI3/lK9+fD7/wQ2+zX5/rT8+yU1/eA4+nM6/";
    const secret = "Z+9x/Y8w+V7u/T6s+R5q/P4o+N3m/L2k+J1i/H0g+F9e/D8c+B7a/A6b+C5d/E4f+G3h/I2j+K1l/M0n+";
    const b64 = Buffer.from(`${key}:${secret}`).toString("base64");
    expect(key).toContain("/");
    const { logger, lines } = capture();
    const c = client({ apiKey: key, apiSecret: secret, logger, retries: 0 });
    nock(BASE).get("/api/quagga/service/status").reply(500, JSON.stringify({ errorMessage: `bad header: Basic ${b64}`, errorTitle: key }).replaceAll("/", "\\/"));
    nock(BASE).get("/api/quagga/service/status").reply(418, { message: `secret ${secret} `.repeat(20) });
    const errors = [await rejectionOf(c.frrStatus()), await rejectionOf(c.frrStatus())] as OpnsenseError[];
    for (const e of errors) logger.warn({ error: e.message }, "failed");
    for (const t of [...errors.map((e) => e.message), ...lines]) {
      for (const s of [key, secret, b64]) for (let i = 0; i + 16 <= s.length; i++) expect(t).not.toContain(s.slice(i, i + 16));
    }
    expect(errors[0]?.message).toMatch(/^GET quagga\/service\/status: server error \(500\) \[\[redacted\]\]: bad header: Basic \[redacted\]$/);
  });

  test("unexpected JSON shapes quoted into messages are redacted before they are cut", async () => {
    api().get("/api/quagga/service/status").reply(200, { state: `${"y".repeat(80)}${API_KEY}` });
    api().post("/api/quagga/service/reconfigure").reply(200, { status: `failed for ${API_SECRET}` });
    const errors = [await rejectionOf(client().frrStatus()), await rejectionOf(client().reconfigureFrr())] as OpnsenseError[];
    for (const e of errors) expect(longestLeak(e.message).chars).toBeLessThan(16);
    expect(errors[0]?.message).toMatch(/unexpected reply shape/);
  });

  test("the BGP password given as a redact value never comes back in a validation message", async () => {
    const password = "md5-S3cret-Value";
    api().post(/\/api\/firewall\/filter\/delRule\/.+/).reply(200, { result: "failed", validations: { "rule.password": `"${password}" is not allowed` } });
    const e = (await rejectionOf(client({ redactValues: [password] }).deleteRule("abc"))) as OpnsenseError;
    expect(e.kind).toBe("validation");
    expect(e.message).not.toContain(password);
    expect(JSON.stringify(e.validations)).not.toContain(password);
    expect(e.message).toContain(`"${REDACTED}" is not allowed`);
  });
});

describe("createRedactor", () => {
  const r = createRedactor({ credentials: [API_KEY, API_SECRET, B64], values: ["hunter2-pw"] });

  test("full values, encodings, fragments and header lines", () => {
    expect(r.redact(`a ${API_KEY} b`)).toBe(`a ${REDACTED} b`);
    expect(r.redact(encodeURIComponent(B64))).toBe(REDACTED);
    expect(r.redact(`x${API_SECRET.slice(3, 3 + MIN_FRAGMENT)}x`)).toBe(`x${REDACTED}x`);
    expect(r.redact("Authorization: Bearer abc.def")).toBe(`Authorization: ${REDACTED}`);
    expect(r.redact("pw=hunter2-pw")).toBe(`pw=${REDACTED}`);
    // Chosen secrets lose only their whole value: fragments of them are ordinary words.
    expect(r.redact("hunter2-p")).toBe("hunter2-p");
    expect(r.redact("nothing secret here, 10.0.0.1 worker-1")).toBe("nothing secret here, 10.0.0.1 worker-1");
  });

  test("excerpt redacts first, then cuts", () => {
    const out = r.excerpt(`${"z".repeat(100)}${API_KEY}`, 120);
    expect(out).toBe(`${"z".repeat(100)}${REDACTED}`);
    expect(r.excerpt({ k: API_KEY })).toBe(`{"k":"${REDACTED}"}`);
  });
});
