import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { deadLetterQuery, purgeDeadLetters, queryKeys, replayDeadLetter, replayDeadLetters } from "../api/queries";
import type { Job } from "../api/types";
import { DeadLettersTable } from "../components/DeadLettersTable/DeadLettersTable";
import { ConfirmDialog } from "../components/ConfirmDialog/ConfirmDialog";
import { Pager } from "../components/Pager/Pager";
import { ErrorState } from "../components/ErrorState/ErrorState";
import { EmptyState, Loading } from "../components/Placeholder/Placeholder";
import { shortId } from "../lib/format";
import { useCursorPager } from "../hooks/useCursorPager";
import { useNow } from "../hooks/useNow";

type Pending = { kind: "one"; job: Job } | { kind: "selected"; ids: string[] } | { kind: "purge" } | null;

/** Jobs that ran out of attempts: inspect the last error, replay one or many, or purge them all. */
export function DeadLettersPage() {
  const queryClient = useQueryClient();
  const pager = useCursorPager();
  const dlq = useQuery(deadLetterQuery(pager.cursor));
  const nowMs = useNow();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [pending, setPending] = useState<Pending>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const action = useMutation({
    mutationFn: async (p: NonNullable<Pending>): Promise<string> => {
      if (p.kind === "one") {
        await replayDeadLetter(p.job.id);
        return `Replayed job ${shortId(p.job.id)}.`;
      }
      if (p.kind === "selected") {
        const replayed = await replayDeadLetters(p.ids);
        return `Replayed ${replayed.items.length} job${replayed.items.length === 1 ? "" : "s"}.`;
      }
      const purged = await purgeDeadLetters();
      return `Purged ${purged.purged} dead letter${purged.purged === 1 ? "" : "s"}.`;
    },
    onSuccess: (message) => {
      setNotice(message);
      setSelected(new Set());
      setPending(null);
      pager.reset();
      void queryClient.invalidateQueries({ queryKey: queryKeys.all });
    },
    onError: () => setPending(null),
  });

  const items = dlq.data?.items ?? [];
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const toggleAll = (select: boolean) => setSelected(select ? new Set(items.map((j) => j.id)) : new Set());

  return (
    <section className="page" aria-labelledby="dlq-title">
      <div className="page-head">
        <h1 id="dlq-title">Dead letters</h1>
        <div className="toolbar">
          <button type="button" className="btn primary" disabled={selected.size === 0} onClick={() => setPending({ kind: "selected", ids: [...selected] })}>
            Replay selected{selected.size > 0 ? ` (${selected.size})` : ""}
          </button>
          <button type="button" className="btn danger" disabled={items.length === 0} onClick={() => setPending({ kind: "purge" })}>
            Purge all
          </button>
        </div>
      </div>
      {notice && (
        <div className="notice" role="status">
          {notice}
          <button type="button" className="btn small link" onClick={() => setNotice(null)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      {action.error && <ErrorState error={action.error} inline />}
      {dlq.error && <ErrorState error={dlq.error} inline={dlq.data !== undefined} onRetry={() => void dlq.refetch()} />}
      {dlq.isPending && <Loading label="Loading dead letters…" />}
      {dlq.data && items.length === 0 && <EmptyState title="No dead letters">Jobs that exhaust their retries land here.</EmptyState>}
      {items.length > 0 && <DeadLettersTable jobs={items} selected={selected} onToggle={toggle} onToggleAll={toggleAll} onReplay={(job) => setPending({ kind: "one", job })} nowMs={nowMs} />}
      {dlq.data && (pager.hasPrevious || dlq.data.next_cursor) && (
        <Pager page={pager.page} hasPrevious={pager.hasPrevious} nextCursor={dlq.data.next_cursor} onPrevious={pager.previous} onNext={pager.next} shown={items.length} />
      )}
      <ConfirmDialog
        open={pending !== null}
        title={dialogTitle(pending)}
        confirmLabel={pending?.kind === "purge" ? "Purge" : "Replay"}
        danger={pending?.kind === "purge"}
        busy={action.isPending}
        onConfirm={() => pending && action.mutate(pending)}
        onCancel={() => setPending(null)}
      >
        {dialogBody(pending)}
      </ConfirmDialog>
    </section>
  );
}

function dialogTitle(p: Pending): string {
  if (p === null) return "";
  if (p.kind === "one") return `Replay job ${shortId(p.job.id)}?`;
  if (p.kind === "selected") return `Replay ${p.ids.length} job${p.ids.length === 1 ? "" : "s"}?`;
  return "Purge every dead letter?";
}

function dialogBody(p: Pending): string {
  if (p === null) return "";
  if (p.kind === "purge") return "Dead-lettered jobs are deleted for good. This cannot be undone.";
  return "Each job is queued again with a fresh set of attempts.";
}
