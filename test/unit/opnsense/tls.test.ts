/**
 * Against a real local HTTPS server with a certificate shaped like OPNsense's self-signed GUI
 * certificate (contract §1.6): the only SAN is a DNS name, so connecting by IP needs the CA
 * and the server name.
 */
import https from "node:https";
import type { AddressInfo } from "node:net";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OpnsenseError, createOpnsenseClient } from "../../../src/opnsense/index.ts";
import type { OpnsenseClientOptions } from "../../../src/opnsense/index.ts";
import { API_KEY, API_SECRET, AUTH_HEADER, rejectionOf, useNock } from "./helpers.ts";

useNock();

const HOSTNAME = "opnsense.home.arpa";
let server: https.Server;
let url = "";
let caPem = "";
const seenAuth: Array<string | undefined> = [];

beforeAll(async () => {
  const pems = await generate([{ name: "commonName", value: HOSTNAME }], {
    keySize: 2048,
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: HOSTNAME }] },
    ],
  });
  caPem = pems.cert;
  server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    seenAuth.push(req.headers.authorization);
    res.writeHead(200, { "content-type": "application/json; charset=UTF-8" });
    res.end(JSON.stringify({ status: "running", widget: {} }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function tlsClient(o: Partial<OpnsenseClientOptions>) {
  return createOpnsenseClient({ url, apiKey: API_KEY, apiSecret: API_SECRET, timeoutMs: 5_000, retries: 0, ...o });
}

describe("TLS against a DNS-SAN-only self-signed certificate", () => {
  test("trusted with caPem + tlsServerName when connecting by 127.0.0.1", async () => {
    expect(await tlsClient({ caPem, tlsServerName: HOSTNAME }).frrStatus()).toBe("running");
    expect(seenAuth.at(-1)).toBe(AUTH_HEADER);
  });

  test("rejected without the CA, with a hint at OPNSENSE_CA_FILE", async () => {
    const e = (await rejectionOf(tlsClient({ tlsServerName: HOSTNAME }).frrStatus())) as OpnsenseError;
    expect(e).toBeInstanceOf(OpnsenseError);
    expect(e.kind).toBe("tls");
    expect(e.message).toContain("OPNSENSE_CA_FILE");
  });

  test("rejected with the CA but without the server name (no IP SAN), with a hint at OPNSENSE_TLS_SERVER_NAME", async () => {
    const e = (await rejectionOf(tlsClient({ caPem }).frrStatus())) as OpnsenseError;
    expect(e.kind).toBe("tls");
    expect(e.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    expect(e.message).toContain("OPNSENSE_TLS_SERVER_NAME");
  });

  test("rejected when the server name does not match the certificate", async () => {
    const e = (await rejectionOf(tlsClient({ caPem, tlsServerName: "other.example" }).frrStatus())) as OpnsenseError;
    expect(e.kind).toBe("tls");
  });

  test("accepted with tlsInsecure", async () => {
    expect(await tlsClient({ tlsInsecure: true }).frrStatus()).toBe("running");
  });

  test("preflight turns a TLS failure into one problem sentence", async () => {
    const e = await rejectionOf(tlsClient({}).preflight());
    expect((e as { problems: string[] }).problems).toEqual([expect.stringMatching(/^The TLS connection to https:\/\/127\.0\.0\.1:\d+ failed: .*OPNSENSE_CA_FILE.*\.$/)]);
  });
});
