import type { Logger } from "pino";
import { createClusterWatch } from "../cluster/watch.ts";
import { clusterWatchSelection } from "../cluster/from-config.ts";
import { loadKubeConfig } from "../cluster/kube-config.ts";
import type { Config } from "../config/types.ts";
import { createController, type PassReport } from "../controller/controller.ts";
import { createOpnsenseClient } from "../opnsense/index.ts";
import { opnsenseOptions } from "../opnsense/from-config.ts";
import { createMetrics } from "../server/metrics.ts";

/**
 * One pass of the agent's own controller, outside the loop: the same reads, checks, plan and (unless
 * config.dryRun) writes as a pass of the running agent, from a fresh LIST of the cluster. No
 * watches, no HTTP server, no leader election, no Events.
 */
export async function runOnePass(config: Config, logger: Logger, trigger: string): Promise<PassReport> {
  const router = createOpnsenseClient({ ...opnsenseOptions(config), logger: logger.child({ component: "opnsense" }) });
  const cluster = createClusterWatch({
    kc: loadKubeConfig(),
    ...clusterWatchSelection(config),
    logger: logger.child({ component: "cluster" }),
    onChange: () => undefined,
  });
  const controller = createController({ config, router, cluster, logger, metrics: createMetrics({ defaultMetrics: false }) });
  try {
    return await controller.runNow(trigger, { fresh: true });
  } finally {
    await controller.stop();
  }
}
