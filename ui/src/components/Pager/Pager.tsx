interface PagerProps {
  page: number;
  hasPrevious: boolean;
  nextCursor: string | null | undefined;
  onPrevious: () => void;
  onNext: (cursor: string) => void;
  shown: number;
}

/** Newer/older buttons for cursor pagination (the API lists newest first). */
export function Pager({ page, hasPrevious, nextCursor, onPrevious, onNext, shown }: PagerProps) {
  return (
    <nav className="pager" aria-label="Pagination">
      <button type="button" className="btn" onClick={onPrevious} disabled={!hasPrevious}>
        ← Newer
      </button>
      <span className="muted">
        Page {page} · {shown} shown
      </span>
      <button type="button" className="btn" onClick={() => nextCursor && onNext(nextCursor)} disabled={!nextCursor}>
        Older →
      </button>
    </nav>
  );
}
