import { Link } from "react-router";
import { JOB_STATUSES, statusTone } from "../../lib/status";
import { formatCount } from "../../lib/format";

/** Jobs by status as one stacked bar plus a legend whose entries link to the filtered list. */
export function StatusBreakdown({ counts }: { counts: Record<string, number> }) {
  const known = JOB_STATUSES.map((status) => ({ status, n: counts[status] ?? 0 }));
  const extra = Object.entries(counts)
    .filter(([status]) => !(JOB_STATUSES as readonly string[]).includes(status))
    .map(([status, n]) => ({ status, n }));
  const rows = [...known, ...extra];
  const total = rows.reduce((sum, r) => sum + r.n, 0);
  return (
    <div className="status-breakdown">
      <div className="stacked-bar" role="img" aria-label={`${formatCount(total)} jobs by status`}>
        {total > 0 &&
          rows
            .filter((r) => r.n > 0)
            .map((r) => (
              <span key={r.status} className={`segment tone-bg-${statusTone(r.status)}`} style={{ flexGrow: r.n }} title={`${r.status}: ${r.n}`} />
            ))}
      </div>
      <ul className="legend">
        {rows.map((r) => (
          <li key={r.status} data-testid={`count-${r.status}`}>
            <Link to={`/jobs?status=${encodeURIComponent(r.status)}`}>
              <span className={`dot tone-bg-${statusTone(r.status)}`} aria-hidden="true" />
              <span className="legend-name">{r.status}</span>
              <span className="legend-count">{formatCount(r.n)}</span>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
