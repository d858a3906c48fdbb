import { Link } from "react-router";
import type { Job } from "../../api/types";
import { formatDurationS, formatRelative, formatTimestamp, secondsBetween, shortId } from "../../lib/format";
import { StatusBadge } from "../StatusBadge/StatusBadge";

/** Dense job rows; the id links to the job page. */
export function JobsTable({ jobs, nowMs }: { jobs: readonly Job[]; nowMs: number }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="jobs-table">
        <thead>
          <tr>
            <th>Job</th>
            <th>Task</th>
            <th>Status</th>
            <th className="num">Attempts</th>
            <th className="hide-narrow">Partition</th>
            <th>Created</th>
            <th className="num hide-narrow">Run time</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id} data-job-id={job.id}>
              <td className="mono">
                <Link to={`/jobs/${encodeURIComponent(job.id)}`} title={job.id}>
                  {shortId(job.id)}
                </Link>
              </td>
              <td>{job.task_type}</td>
              <td>
                <StatusBadge status={job.status} />
                {job.cancel_requested && job.status === "running" && <span className="muted small"> cancelling</span>}
              </td>
              <td className="num">
                {job.attempts}/{job.max_retries + 1}
              </td>
              <td className="hide-narrow mono">{job.partition_key ?? <span className="muted">—</span>}</td>
              <td title={formatTimestamp(job.created_at)}>{formatRelative(job.created_at, nowMs)}</td>
              <td className="num hide-narrow">{formatDurationS(secondsBetween(job.started_at, job.finished_at, nowMs))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
