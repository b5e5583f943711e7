import { generate } from "selfsigned";

export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * A private CA plus a server certificate it signed, with SANs for localhost, 127.0.0.1
 * and ::1 (and `extraHosts`). A separate CA (rather than one self-signed leaf) is what
 * a cluster's ca.crt looks like, and Go's verifier (kubectl) and Node's both accept it.
 * EC keys keep generation in the tens of milliseconds.
 */
export async function generateTls(extraHosts: string[] = []): Promise<TlsMaterial> {
  const ca = await generate([{ name: "commonName", value: "kube-fake-ca" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const altNames: { type: 2 | 7; value?: string; ip?: string }[] = [
    { type: 2, value: "localhost" },
    { type: 2, value: "kubernetes.default.svc" },
    { type: 7, ip: "127.0.0.1" },
    { type: 7, ip: "::1" },
  ];
  for (const h of extraHosts) {
    if (/^[\d.]+$/.test(h) || h.includes(":")) altNames.push({ type: 7, ip: h });
    else altNames.push({ type: 2, value: h });
  }
  const server = await generate([{ name: "commonName", value: "kube-apiserver" }], {
    keyType: "ec",
    algorithm: "sha256",
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames },
    ],
  });
  return { caPem: ca.cert, certPem: server.cert, keyPem: server.private };
}
