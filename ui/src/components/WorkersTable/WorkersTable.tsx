import type { Worker } from "../../api/types";
import { formatCount, formatDurationS, formatRelative } from "../../lib/format";
import { EmptyState } from "../Placeholder/Placeholder";

/** Heartbeats older than this are flagged: the worker may be stuck or gone. */
export const STALE_HEARTBEAT_S = 15;

/** Live workers with heartbeat age, load and totals. */
export function WorkersTable({ workers, nowMs }: { workers: readonly Worker[]; nowMs: number }) {
  if (workers.length === 0) {
    return <EmptyState title="No workers">Start one with <code>python -m runtime.worker</code>.</EmptyState>;
  }
  return (
    <div className="table-wrap">
      <table className="table" data-testid="workers-table">
        <thead>
          <tr>
            <th>Worker</th>
            <th>Heartbeat</th>
            <th className="num">In flight</th>
            <th className="num">Processed</th>
            <th className="num">Failed</th>
            <th className="hide-narrow">Host / pid</th>
            <th className="hide-narrow">Up since</th>
          </tr>
        </thead>
        <tbody>
          {workers.map((w) => {
            const stale = w.heartbeat_age_s > STALE_HEARTBEAT_S;
            return (
              <tr key={w.name}>
                <td className="mono">{w.name}</td>
                <td>
                  <span className={`heartbeat ${stale ? "stale" : "fresh"}`} title={stale ? "heartbeat is late" : "alive"}>
                    <span className="dot" aria-hidden="true" />
                    {formatDurationS(w.heartbeat_age_s)} ago
                  </span>
                </td>
                <td className="num">
                  {w.in_flight}/{w.concurrency}
                </td>
                <td className="num">{formatCount(w.processed)}</td>
                <td className="num">{formatCount(w.failed)}</td>
                <td className="hide-narrow mono">
                  {w.host}:{w.pid}
                </td>
                <td className="hide-narrow">{formatRelative(w.started_at, nowMs)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
