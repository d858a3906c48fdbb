import { Link } from "react-router";
import type { Job } from "../../api/types";
import { formatRelative, formatTimestamp, shortId } from "../../lib/format";

interface DeadLettersTableProps {
  jobs: readonly Job[];
  selected: ReadonlySet<string>;
  onToggle: (id: string) => void;
  onToggleAll: (select: boolean) => void;
  onReplay: (job: Job) => void;
  nowMs: number;
}

/** Dead-lettered jobs with their last error, selectable for a bulk replay. */
export function DeadLettersTable({ jobs, selected, onToggle, onToggleAll, onReplay, nowMs }: DeadLettersTableProps) {
  const allSelected = jobs.length > 0 && jobs.every((j) => selected.has(j.id));
  return (
    <div className="table-wrap">
      <table className="table" data-testid="dlq-table">
        <thead>
          <tr>
            <th className="check">
              <input type="checkbox" aria-label="Select all on this page" checked={allSelected} onChange={(e) => onToggleAll(e.target.checked)} />
            </th>
            <th>Job</th>
            <th>Task</th>
            <th className="num">Attempts</th>
            <th>Last error</th>
            <th className="hide-narrow">Died</th>
            <th>
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id} data-job-id={job.id} className={selected.has(job.id) ? "selected" : undefined}>
              <td className="check">
                <input type="checkbox" aria-label={`Select job ${job.id}`} checked={selected.has(job.id)} onChange={() => onToggle(job.id)} />
              </td>
              <td className="mono">
                <Link to={`/jobs/${encodeURIComponent(job.id)}`} title={job.id}>
                  {shortId(job.id)}
                </Link>
              </td>
              <td>{job.task_type}</td>
              <td className="num">{job.attempts}</td>
              <td className="error-cell" title={job.last_error ?? ""}>
                <code>{job.last_error ?? "—"}</code>
              </td>
              <td className="hide-narrow" title={formatTimestamp(job.finished_at ?? job.updated_at)}>
                {formatRelative(job.finished_at ?? job.updated_at, nowMs)}
              </td>
              <td className="actions">
                <button type="button" className="btn small" onClick={() => onReplay(job)}>
                  Replay
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
