import { Area, AreaChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ChartPoint } from "../../lib/timeseries";
import { formatDurationMs } from "../../lib/format";
import { EmptyState } from "../Placeholder/Placeholder";

const HEIGHT = 220;
const axisProps = { stroke: "var(--fg-muted)", fontSize: 11, tickLine: false } as const;
const tooltipStyle = { background: "var(--bg-raised)", border: "1px solid var(--border)", borderRadius: 6, fontSize: 12 };

/** Created / completed / failed jobs per second over the window. */
export function ThroughputChart({ points }: { points: ChartPoint[] }) {
  if (points.length === 0) return <EmptyState title="No activity in this window" />;
  return (
    <div className="chart" data-testid="throughput-chart" role="img" aria-label="Throughput in jobs per second">
      <ResponsiveContainer width="100%" height={HEIGHT}>
        <AreaChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" {...axisProps} minTickGap={40} />
          <YAxis {...axisProps} allowDecimals />
          <Tooltip contentStyle={tooltipStyle} formatter={(v) => `${v}/s`} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Area type="monotone" dataKey="created" stroke="var(--tone-info)" fill="var(--tone-info)" fillOpacity={0.12} isAnimationActive={false} />
          <Area type="monotone" dataKey="completed" stroke="var(--tone-success)" fill="var(--tone-success)" fillOpacity={0.12} isAnimationActive={false} />
          <Area type="monotone" dataKey="failed" stroke="var(--tone-danger)" fill="var(--tone-danger)" fillOpacity={0.12} isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Average time queued before start, and average run time, per bucket. */
export function LatencyChart({ points }: { points: ChartPoint[] }) {
  if (!points.some((p) => p.waitMs !== null || p.runMs !== null)) return <EmptyState title="No completed jobs in this window" />;
  return (
    <div className="chart" data-testid="latency-chart" role="img" aria-label="Average wait and run time">
      <ResponsiveContainer width="100%" height={HEIGHT}>
        <LineChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: -8 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" {...axisProps} minTickGap={40} />
          <YAxis {...axisProps} tickFormatter={(v: number) => formatDurationMs(v)} width={64} />
          <Tooltip contentStyle={tooltipStyle} formatter={(v) => formatDurationMs(Number(v))} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Line type="monotone" dataKey="waitMs" name="avg wait" stroke="var(--tone-warning)" dot={{ r: 2 }} connectNulls isAnimationActive={false} />
          <Line type="monotone" dataKey="runMs" name="avg run" stroke="var(--tone-active)" dot={{ r: 2 }} connectNulls isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
