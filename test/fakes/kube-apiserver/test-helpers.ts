// Helpers shared by this folder's tests (not part of the fake's API).
import { KubeConfig } from "@kubernetes/client-node";
import type { KubeFake } from "./server.ts";

export function kubeConfigFor(fake: KubeFake): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "fake", server: fake.url, skipTLSVerify: !fake.caPem, caData: fake.caPem ? Buffer.from(fake.caPem).toString("base64") : undefined }],
    users: [{ name: "u", token: fake.token ?? "unused" }],
    contexts: [{ name: "c", cluster: "fake", user: "u" }],
    currentContext: "c",
  });
  return kc;
}

export async function waitUntil(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface Raw {
  status: number;
  body: unknown;
  text: string;
}

/** Plain fetch against the fake; `body` is JSON-encoded unless it is a string. */
export async function call(fake: KubeFake, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Raw> {
  const h: Record<string, string> = { ...headers };
  if (fake.token && !("authorization" in h)) h.authorization = `Bearer ${fake.token}`;
  if (body !== undefined && !("content-type" in h)) h["content-type"] = "application/json";
  const res = await fetch(fake.url + path, { method, headers: h, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

/** Shape check for the apiserver's error body. */
export function expectStatusShape(body: unknown, code: number, reason?: string): void {
  const b = body as Record<string, unknown>;
  const ok = b && b.kind === "Status" && b.apiVersion === "v1" && b.status === "Failure" && b.code === code && typeof b.message === "string" && (reason === undefined || b.reason === reason);
  if (!ok) throw new Error(`expected Status ${code}${reason ? ` ${reason}` : ""}, got ${JSON.stringify(body)}`);
}
