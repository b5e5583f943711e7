// A configd stand-in that puts the lab's real FRR behind OPNsense's real API code.
//
// OPNsense's PHP talks to configd over a unix socket. This stand-in takes that socket's
// place in front of whatever configd the instance already has (there: a stub that answers
// every command without running it) and passes every command through to it, except what
// concerns FRR, which it does for real:
// - `quagga start|restart|reload`: render os-frr's templates with OPNsense's own template
//   engine (configd's modules/template.py, run on the instance's config.xml) and load the
//   result into the lab's FRR with frr-reload.py, as `rc.d/frr reload` does on a box;
// - `quagga stop`: unload routing (FRR keeps running, without `router bgp`);
// - `quagga diagnostics.<name> …`: run the action's vtysh command, as os-frr's
//   `actions_quagga.conf` defines it, against the lab's FRR.
// The wire protocol is configd's (core src/opnsense/service/modules/processhandler.py): one
// message of at most 4096 bytes, optionally prefixed by ' ', '&' (detach) or '!' (flush
// cache); the answer is `<result>\n\n` then three NUL bytes, or for a detached request the
// message id, `\n` and three NUL bytes before the command runs.
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./exec.ts";
import { BASE_FRR_CONF, type ApplyResult, type Frr } from "./frr.ts";
import { mapInterfaceDevices } from "./bridge.ts";

const EOS = "\0\0\0";

export type ConfigdRequest = { readonly detach: boolean; readonly words: readonly string[] };

/** configd's request parsing: preludes, then shell-like words (shlex.split). */
export function parseConfigdRequest(data: string): ConfigdRequest {
  let i = 0;
  let detach = false;
  while (i < data.length && (data[i] === " " || data[i] === "&" || data[i] === "!")) {
    if (data[i] === "&") detach = true;
    i++;
  }
  return { detach, words: shellWords(data.slice(i)) };
}

/** POSIX shell word splitting with single/double quotes and backslashes (what shlex.split does). */
export function shellWords(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? "";
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      cur += s.slice(i + 1, end === -1 ? s.length : end);
      i = end === -1 ? s.length : end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) cur += s[j] === "\\" && j + 1 < s.length ? (s[++j] ?? "") : (s[j] ?? "");
      i = j;
      inWord = true;
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[++i] ?? "";
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

export type ConfigdAction = { readonly command: string; readonly parameters: string };

/** The sections of a configd actions file (`[name]` then `key:value` lines). */
export function parseActions(text: string): Map<string, ConfigdAction> {
  const out = new Map<string, ConfigdAction>();
  let name: string | null = null;
  let fields: Record<string, string> = {};
  const flush = (): void => {
    if (name !== null) out.set(name, { command: fields["command"] ?? "", parameters: fields["parameters"] ?? "" });
  };
  for (const line of text.split("\n")) {
    const section = /^\[(.+)\]\s*$/.exec(line);
    if (section) {
      flush();
      name = section[1] ?? null;
      fields = {};
      continue;
    }
    const kv = /^([a-z_]+):(.*)$/.exec(line);
    if (kv && name !== null) fields[kv[1] ?? ""] = kv[2] ?? "";
  }
  flush();
  return out;
}

/**
 * configd's action lookup (processhandler.py `find_action`): action names split at dots form a
 * tree, walked word by word; the words left over are the action's parameters. So
 * `diagnostics bgp_summary json` finds `diagnostics.bgp_summary` with parameter `json`.
 */
export function findAction(actions: ReadonlyMap<string, ConfigdAction>, words: readonly string[]): { name: string; args: string[] } | null {
  let path: string[] = [];
  let i = 0;
  for (; i < words.length; i++) {
    const word = words[i] ?? "";
    if (word.includes(".")) break; // a tree key never holds a dot
    const next = [...path, word];
    const prefix = next.join(".");
    if (![...actions.keys()].some((n) => n === prefix || n.startsWith(`${prefix}.`))) break;
    path = next;
  }
  const name = path.join(".");
  return actions.has(name) ? { name, args: words.slice(i) } : null;
}

/**
 * The vtysh command a diagnostics action runs, or null when the action is not a vtysh one.
 * configd fills each `%s` of `parameters` with one (shell-quoted) argument, then runs
 * `command parameters` through the shell; `vtysh -c X` runs X.
 */
export function vtyshCommand(action: ConfigdAction, args: readonly string[]): string | null {
  let k = 0;
  // os-frr writes these two ways: `command:…/vtysh -c` + `parameters:'show …'%s` (1.53+) or
  // `command:…/vtysh` + `parameters: -c 'show … %s'` (older); the shell reads both alike
  const filled = action.parameters.replace(/%s/g, () => `'${(args[k++] ?? "").replace(/'/g, "'\\''")}'`);
  const argv = shellWords(`${action.command} ${filled}`);
  if (!(argv[0] ?? "").endsWith("/vtysh") || argv[1] !== "-c" || argv.length !== 3) return null;
  return argv[2] ?? null;
}

/** OPNsense interface → device, from config.xml's <interfaces> (e.g. opt1 → vtnet2). */
export function interfaceDevices(configXml: string): Record<string, string> {
  const out: Record<string, string> = {};
  const block = /<interfaces>([\s\S]*?)<\/interfaces>/.exec(configXml)?.[1] ?? "";
  for (const m of block.matchAll(/<([a-z][a-z0-9_]*)>\s*(?:(?!<\/\1>)[\s\S])*?<if>([^<]+)<\/if>/g)) out[m[1] ?? ""] = m[2] ?? "";
  return out;
}

export type OpnsenseFiles = {
  /** the instance's configd service directory (holds modules/, templates/ and conf/actions.d/) */
  readonly serviceDir: string;
  /** the instance's config.xml */
  readonly configXml: string;
};

/**
 * configd's template engine, called the way its `template reload` does (modules/template.py:
 * `Template(root).set_config(Config(config.xml).get())`, then `generate(module)`). Run from the
 * service directory so that `modules` is OPNsense's own; `template_ctl.py` does the same but
 * only ships from 26.1, so this works for every release.
 */
const RENDER_PY = [
  "import sys",
  "sys.path.insert(0, '.')",
  "from modules import config, template",
  "t = template.Template(sys.argv[2])",
  "t.set_config(config.Config(sys.argv[1]).get())",
  "for m in sys.argv[3:]:",
  "    if t.generate(m) is None: sys.exit('generating %s failed' % m)",
].join("\n");

/**
 * frr.conf as OPNsense renders it. os-frr ≥ 1.43 renders one integrated frr.conf (from 1.54 in
 * the module `OPNsense/Quagga/Config`, generated only when named); older releases render a file
 * per daemon, which for frr-reload.py is the same as their concatenation.
 */
export async function renderFrrConf(files: OpnsenseFiles): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), "opn-render-"));
  try {
    const modules = ["OPNsense/Quagga", ...(existsSync(join(files.serviceDir, "templates/OPNsense/Quagga/Config")) ? ["OPNsense/Quagga/Config"] : [])];
    const r = await run("sh", ["-c", 'cd "$1" && shift && exec python3 -c "$@"', "sh", files.serviceDir, RENDER_PY, files.configXml, out, ...modules], {
      timeoutMs: 30_000,
    });
    if (r.code !== 0) throw new Error(`OPNsense's template engine exited ${r.code}: ${r.stderr.trim().split("\n").slice(-3).join(" | ") || r.stdout.trim()}`);
    const dir = join(out, "usr/local/etc/frr");
    const integrated = join(dir, "frr.conf");
    if (existsSync(integrated)) return readFileSync(integrated, "utf8");
    const parts = ["zebra.conf", "bgpd.conf"].map((f) => join(dir, f)).filter((f) => existsSync(f));
    if (parts.length === 0) throw new Error(`OPNsense's template engine rendered no frr.conf or bgpd.conf (modules ${modules.join(", ")})`);
    return parts.map((f) => readFileSync(f, "utf8")).join("\n");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export type ConfigdEvent = {
  readonly words: readonly string[];
  readonly handled: "frr-apply" | "frr-stop" | "vtysh" | "passed";
  readonly apply?: ApplyResult & { readonly conf: string };
  readonly error?: string;
};

export type ConfigdFrr = {
  readonly events: readonly ConfigdEvent[];
  /** the last frr.conf loaded into the lab's FRR (devices mapped), "" before the first */
  lastConf(): string;
  close(): Promise<void>;
};

/**
 * Take over `socketPath` (the socket OPNsense's PHP connects to): the configd listening there
 * is kept, under a new name, for every command this stand-in does not handle itself.
 */
export async function startConfigdFrr(o: {
  readonly socketPath: string;
  readonly files: OpnsenseFiles;
  readonly frr: Pick<Frr, "apply" | "vtysh">;
  /** OPNsense interface → lab device, e.g. { opt1: "vtnet1" } */
  readonly labDevices: Readonly<Record<string, string>>;
}): Promise<ConfigdFrr> {
  const upstream = `${o.socketPath}.upstream`;
  // a bound unix socket keeps listening under its new name
  renameSync(o.socketPath, upstream);
  const actions = parseActions(readFileSync(join(o.files.serviceDir, "conf/actions.d/actions_quagga.conf"), "utf8"));
  const events: ConfigdEvent[] = [];
  let lastConf = "";
  let queue: Promise<unknown> = Promise.resolve();

  // configd runs one FRR action at a time per socket client; serialising keeps reloads ordered
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = queue.then(f, f);
    queue = p.catch(() => undefined);
    return p;
  };

  const loadRendered = async (): Promise<ConfigdEvent["apply"]> => {
    const rendered = await renderFrrConf(o.files);
    const conf = mapInterfaceDevices(rendered, o.labDevices, interfaceDevices(readFileSync(o.files.configXml, "utf8")));
    const res = await o.frr.apply(conf);
    lastConf = conf;
    return { ...res, conf };
  };

  /** What this stand-in does with a request itself, or null to pass it through. */
  const route = (req: ConfigdRequest): (() => Promise<{ result: string; event: ConfigdEvent }>) | null => {
    const [service, action, ...args] = req.words;
    if (service !== "quagga" || action === undefined) return null;
    if (action === "start" || action === "restart" || action === "reload") {
      return async () => {
        // a restart drops every session; unloading routing first does the same to the lab's FRR
        if (action === "restart") await serial(() => o.frr.apply(BASE_FRR_CONF));
        const apply = await serial(loadRendered);
        return { result: apply?.ok === true ? "OK" : "Error (1)", event: { words: req.words, handled: "frr-apply", ...(apply ? { apply } : {}) } };
      };
    }
    if (action === "stop") {
      return async () => {
        const res = await serial(() => o.frr.apply(BASE_FRR_CONF));
        lastConf = BASE_FRR_CONF;
        return { result: "OK", event: { words: req.words, handled: "frr-stop", apply: { ...res, conf: BASE_FRR_CONF } } };
      };
    }
    const found = findAction(actions, [action, ...args]);
    const def = found ? actions.get(found.name) : undefined;
    const vty = found && def ? vtyshCommand(def, found.args) : null;
    if (vty === null) return null;
    return async () => ({ result: await o.frr.vtysh(vty), event: { words: req.words, handled: "vtysh" } });
  };

  const passThrough = (raw: Buffer, client: Socket): void => {
    const up = createConnection(upstream);
    up.on("connect", () => up.write(raw));
    up.pipe(client);
    up.on("error", () => client.destroy());
    client.on("error", () => up.destroy());
  };

  const server: Server = createServer((client) => {
    client.on("error", () => undefined);
    client.once("data", (raw: Buffer) => {
      const req = parseConfigdRequest(raw.toString("utf8"));
      const job = route(req);
      if (job === null) {
        events.push({ words: req.words, handled: "passed" });
        passThrough(raw, client);
        return;
      }
      // a detached request gets its message id before the command runs, as configd does
      if (req.detach) client.end(`${randomUUID()}\n${EOS}`);
      job().then(
        (done) => {
          events.push(done.event);
          if (!req.detach) client.end(`${done.result}\n\n${EOS}`);
        },
        (e: unknown) => {
          events.push({ words: req.words, handled: "frr-apply", error: e instanceof Error ? e.message : String(e) });
          if (!req.detach) client.end(`Execute error\n\n${EOS}`);
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.socketPath, () => resolve());
  });
  return {
    events,
    lastConf: () => lastConf,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(o.socketPath, { force: true });
      renameSync(upstream, o.socketPath);
    },
  };
}
