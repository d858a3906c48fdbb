import { useSearchParams } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { metricsQuery, timeseriesQuery, workersQuery, TIMESERIES_WINDOW_S } from "../api/queries";
import { StatCard } from "../components/StatCard/StatCard";
import { StatusBreakdown } from "../components/StatusBreakdown/StatusBreakdown";
import { LatencyChart, ThroughputChart } from "../components/TimeseriesChart/TimeseriesChart";
import { WorkersTable, STALE_HEARTBEAT_S } from "../components/WorkersTable/WorkersTable";
import { ErrorState } from "../components/ErrorState/ErrorState";
import { Loading } from "../components/Placeholder/Placeholder";
import { formatClock, formatCount, formatDurationS, formatRate } from "../lib/format";
import { recentRate, toChartPoints } from "../lib/timeseries";
import { useNow } from "../hooks/useNow";

/** The queue at a glance, refreshed every 2 s: counts, rates, latency and workers. */
export function OverviewPage() {
  const metrics = useQuery(metricsQuery());
  const [params, setParams] = useSearchParams();
  const windowS = chartWindowS(params.get("window"));
  const series = useQuery(timeseriesQuery(windowS));
  const workers = useQuery(workersQuery());
  const nowMs = useNow();
  const points = series.data ? toChartPoints(series.data.points, series.data.bucket_s) : [];
  const firstError = metrics.error ?? series.error ?? workers.error;
  const m = metrics.data;
  const workerItems = workers.data?.items ?? [];
  const staleWorkers = workerItems.filter((w) => w.heartbeat_age_s > STALE_HEARTBEAT_S).length;
  const byStatus = m?.jobs_by_status ?? {};

  return (
    <section className="page" aria-labelledby="overview-title">
      <div className="page-head">
        <h1 id="overview-title">Overview</h1>
        <span className="muted small live-note">{liveNote(Boolean(firstError), metrics.dataUpdatedAt)}</span>
      </div>
      {firstError && <ErrorState error={firstError} inline={m !== undefined} onRetry={() => void metrics.refetch()} />}
      {!m && metrics.isPending && <Loading label="Loading metrics…" />}
      {(m || !firstError) && (
      <div className={`page${firstError ? " is-stale" : ""}`} aria-busy={metrics.isPending}>
      {m && (
        <>
          <div className="stat-grid" data-testid="stats">
            <StatCard label="Backlog" value={formatCount(m.queue_backlog)} hint="queued, ready to run" testId="stat-backlog" />
            <StatCard label="Running" value={formatCount(byStatus.running ?? 0)} tone="active" testId="stat-running" />
            <StatCard label="Oldest queued" value={m.queue_backlog > 0 ? formatDurationS(m.oldest_queued_age_s) : "—"} hint="time waiting" testId="stat-oldest" />
            <StatCard label="Dead letters" value={formatCount(m.dlq_depth)} tone={m.dlq_depth > 0 ? "danger" : undefined} testId="stat-dlq" />
            <StatCard label="Completed" value={formatCount(m.jobs_completed_total)} hint={formatRate(recentRate(points, "completed"))} tone="success" testId="stat-completed" />
            <StatCard label="Created" value={formatCount(m.jobs_created_total)} hint={formatRate(recentRate(points, "created"))} testId="stat-created" />
            <StatCard
              label="Workers"
              value={workers.data ? formatCount(workerItems.length) : "—"}
              hint={staleWorkers > 0 ? `${staleWorkers} late heartbeat` : "all heartbeats fresh"}
              tone={staleWorkers > 0 ? "warning" : undefined}
              testId="stat-workers"
            />
          </div>
          <div className="panel">
            <h2>Jobs by status</h2>
            <StatusBreakdown counts={byStatus} />
            <p className="muted small totals">
              Failed attempts {formatCount(m.jobs_failed_attempts_total)} · retried {formatCount(m.jobs_retried_total)} · dead-lettered{" "}
              {formatCount(m.jobs_dead_total)} · cancelled {formatCount(m.jobs_cancelled_total)}
            </p>
          </div>
        </>
      )}
      <div className="chart-grid">
        <div className="chart-head">
          <h2>Activity</h2>
          <div className="segmented" role="group" aria-label="Chart window">
            {CHART_WINDOWS_S.map((w) => (
              <button key={w} type="button" aria-pressed={w === windowS} onClick={() => setParams(w === TIMESERIES_WINDOW_S ? {} : { window: String(w) }, { replace: true })}>
                {w / 60} min
              </button>
            ))}
          </div>
        </div>
        <div className="panel">
          <h2>Throughput (jobs/s, last {windowS / 60} min)</h2>
          {series.data ? <ThroughputChart points={points} /> : series.isPending && <Loading />}
        </div>
        <div className="panel">
          <h2>Latency (avg wait and run)</h2>
          {series.data ? <LatencyChart points={points} /> : series.isPending && <Loading />}
        </div>
      </div>
      <div className="panel">
        <h2>Workers</h2>
        {workers.data ? <WorkersTable workers={workerItems} nowMs={nowMs} /> : workers.isPending && <Loading />}
      </div>
      </div>
      )}
    </section>
  );
}

const CHART_WINDOWS_S = [120, 600, 1800, 3600] as const;

/** The chart window from the URL (?window=seconds), falling back to the default. */
function chartWindowS(value: string | null): number {
  const seconds = Number(value);
  return (CHART_WINDOWS_S as readonly number[]).includes(seconds) ? seconds : TIMESERIES_WINDOW_S;
}

/** "live", or when the numbers on screen were last fresh while the API is failing. */
function liveNote(failing: boolean, updatedAtMs: number): string {
  if (!failing) return "live · every 2 s";
  return updatedAtMs > 0 ? `last update ${formatClock(new Date(updatedAtMs).toISOString())}` : "no data yet";
}
