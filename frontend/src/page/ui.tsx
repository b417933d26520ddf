// Pieces the portal's React pages share (the training panel, knowledge bases): a progress bar, an
// error box, a stat, an empty state, and times and sizes worded for people. Their styles are in
// page.css.
import type { ReactNode } from "react";

import { ApiFailure } from "../api/client";

export function ProgressBar({ fraction, active, label }: { fraction: number; active?: boolean; label?: string }) {
  const pct = Math.round(fraction * 1000) / 10;
  return (
    <div className={`tp-bar-track${active ? " tp-bar-active" : ""}`} role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={label}>
      <div className="tp-bar-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}

export function ErrorBox({ error, testid }: { error: unknown; testid?: string }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiFailure ? error.code : "";
  return (
    <div className="alert alert-error tp-alert" role="alert" data-testid={testid}>
      {code && <code className="err-code">{code}</code>} {message}
    </div>
  );
}

export function Stat({ label, value, sub, testid }: { label: string; value: ReactNode; sub?: ReactNode; testid?: string }) {
  return (
    <div className="tp-stat" data-testid={testid}>
      <div className="tp-stat-label">{label}</div>
      <div className="tp-stat-value">{value}</div>
      {sub && <div className="tp-stat-sub">{sub}</div>}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="tp-empty">
      <strong>{title}</strong>
      {children && <div className="muted">{children}</div>}
    </div>
  );
}

/** "3 min ago", "2 h ago", else the date. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "–";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "–";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function formatBytes(n: number | null | undefined): string {
  if (n == null) return "–";
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KB`;
  return `${n} B`;
}
