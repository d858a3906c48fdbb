/** Shape /metrics/timeseries buckets into per-second rates for the charts. */
import { formatClock } from "./format";

export interface RawPoint {
  t: string;
  created: number;
  completed: number;
  failed: number;
  avg_wait_ms?: number | null;
  avg_run_ms?: number | null;
}

export interface ChartPoint {
  t: string;
  label: string;
  created: number;
  completed: number;
  failed: number;
  waitMs: number | null;
  runMs: number | null;
}

/** Counts per bucket → rates per second (bucket_s ≤ 0 is treated as 1 s). */
export function toChartPoints(points: readonly RawPoint[], bucketS: number): ChartPoint[] {
  const perS = bucketS > 0 ? bucketS : 1;
  return points.map((p) => ({
    t: p.t,
    label: formatClock(p.t),
    created: round2(p.created / perS),
    completed: round2(p.completed / perS),
    failed: round2(p.failed / perS),
    waitMs: p.avg_wait_ms ?? null,
    runMs: p.avg_run_ms ?? null,
  }));
}

/** Latest non-empty rate for a series, averaged over the last n buckets. */
export function recentRate(points: readonly ChartPoint[], key: "created" | "completed" | "failed", buckets = 3): number {
  const tail = points.slice(-buckets);
  if (tail.length === 0) return 0;
  return round2(tail.reduce((sum, p) => sum + p[key], 0) / tail.length);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
