import { KubeConfig } from "@kubernetes/client-node/dist/config.js";
const kc = new KubeConfig(); kc.loadFromDefault();
const o: Record<string, unknown> = {}; await kc.applyToHTTPSOptions(o); console.log(Object.keys(o));
