/**
 * Keep-alive agents that do not keep the last reply alive.
 *
 * Node's Agent closes its per-socket listeners (free, close, timeout) over the options of the
 * request that created the socket, and axios puts a redirect hook into those options whose
 * closure holds that request and its response. An idle pooled socket thus kept the last reply
 * in memory until it closed: the whole `quagga/bgp/get` body (≈ 11 MB with 5,000 neighbors)
 * between two passes. The agents below hand Node a copy of the options without the hooks (the
 * agent never follows redirects: maxRedirects is 0), so connections are still reused.
 */
import http from "node:http";
import https from "node:https";

type RequestOptions = Readonly<Record<string, unknown>>;
/** Agent#addRequest is how a request gets its socket; @types/node does not declare it. */
type AddRequest = { addRequest(req: http.ClientRequest, options: RequestOptions): void };

/** The request options without the fields whose closures reach the request and its reply. */
export function withoutRedirectHooks(options: RequestOptions): RequestOptions {
  const { beforeRedirect: _hook, beforeRedirects: _hooks, ...rest } = options;
  return rest;
}

function forgetRedirectHooks<A extends http.Agent>(agent: A): A {
  const pooled = agent as unknown as AddRequest;
  const addRequest = pooled.addRequest.bind(agent);
  pooled.addRequest = (req, options) => addRequest(req, withoutRedirectHooks(options));
  return agent;
}

export function createHttpAgent(): http.Agent {
  return forgetRedirectHooks(new http.Agent({ keepAlive: true }));
}

export function createHttpsAgent(options: https.AgentOptions): https.Agent {
  return forgetRedirectHooks(new https.Agent({ ...options, keepAlive: true }));
}
