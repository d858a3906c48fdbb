import { describe, expect, it } from "vitest";
import { recentRate, toChartPoints } from "./timeseries";

const raw = [
  { t: "2025-01-02T03:04:00Z", created: 10, completed: 5, failed: 0, avg_wait_ms: 12, avg_run_ms: null },
  { t: "2025-01-02T03:04:10Z", created: 20, completed: 20, failed: 3, avg_wait_ms: null, avg_run_ms: 40 },
];

describe("toChartPoints", () => {
  it("turns bucket counts into per-second rates with clock labels", () => {
    expect(toChartPoints(raw, 10)).toEqual([
      { t: raw[0].t, label: "03:04:00", created: 1, completed: 0.5, failed: 0, waitMs: 12, runMs: null },
      { t: raw[1].t, label: "03:04:10", created: 2, completed: 2, failed: 0.3, waitMs: null, runMs: 40 },
    ]);
  });

  it("treats a zero bucket width as one second", () => {
    expect(toChartPoints(raw.slice(0, 1), 0)[0].created).toBe(10);
  });

  it("tolerates missing latency fields", () => {
    expect(toChartPoints([{ t: "2025-01-02T03:04:00Z", created: 0, completed: 0, failed: 0 }], 10)[0].waitMs).toBeNull();
  });
});

describe("recentRate", () => {
  it("averages the last buckets, zero when empty", () => {
    const points = toChartPoints(raw, 10);
    expect(recentRate(points, "created", 2)).toBe(1.5);
    expect(recentRate(points, "completed", 1)).toBe(2);
    expect(recentRate([], "failed")).toBe(0);
  });
});
