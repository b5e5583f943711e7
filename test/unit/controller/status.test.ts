import { describe, expect, test } from "vitest";
import { formatUptime, renderStatusText, type StatusView } from "../../../src/server/status.ts";

describe("/status text", () => {
  test("one aligned row per node", () => {
    const view: StatusView = {
      observedAt: "2026-12-02T10:00:00.000Z",
      sessions: "known",
      nodes: [
        { node: "worker-1", address: "10.0.20.11", remoteAs: 64555, state: "Established", uptimeSeconds: 3725, prefixesReceived: 2, prefixesAccepted: 2, lastChange: "2026-12-02T08:57:55.000Z" },
        { node: "worker-10", address: "10.0.20.110", remoteAs: null, state: "Active", uptimeSeconds: 0, prefixesReceived: 0, prefixesAccepted: 0, lastChange: "2026-12-02T09:58:00.000Z" },
      ],
    };
    expect(renderStatusText(view)).toBe(
      [
        "sessions known; observed 2026-12-02T10:00:00.000Z",
        "NODE       NEIGHBOR     REMOTE-AS  STATE        UPTIME    PFX-RCVD  PFX-ACCEPTED  LAST-CHANGE",
        "worker-1   10.0.20.11   64555      Established  1h02m05s  2         2             2026-12-02T08:57:55.000Z",
        "worker-10  10.0.20.110  -          Active       -         0         0             2026-12-02T09:58:00.000Z",
        "",
      ].join("\n"),
    );
  });

  test("unknown sessions say why", () => {
    expect(renderStatusText({ observedAt: null, sessions: "unknown", reason: "no pass has read the sessions yet", nodes: [] })).toBe("sessions unknown (no pass has read the sessions yet); observed never\n");
  });

  test("uptime units", () => {
    expect([0, 59, 61, 3600, 90_061].map(formatUptime)).toEqual(["0s", "59s", "1m01s", "1h00m00s", "1d01h01m"]);
  });
});
