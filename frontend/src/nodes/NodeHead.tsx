// The title bar every canvas node draws: its type's initials, its title, its run status and
// time, and how many issues it has. The node decides which issues show (WeftNode waits for a
// field still being typed).
import type { Issue, NodeTypeInfo } from "../api/types";
import { formatMs } from "../canvas/labels";
import type { NodeRunState } from "../state/run";

const STATUS_ICON: Record<string, string> = { running: "◌", succeeded: "✓", failed: "✕", skipped: "–" };

interface Props {
  id: string;
  type: string;
  title: string;
  info: NodeTypeInfo | undefined;
  run: NodeRunState | undefined;
  issues: Issue[] | undefined;
}

export function NodeHead({ id, type, title, info, run, issues }: Props) {
  const status = run?.status;
  return (
    <div className="wn-head">
      <span className="wn-icon" aria-hidden="true">
        {(info?.title ?? type).slice(0, 2)}
      </span>
      <span className="wn-title" title={title}>
        {title || info?.title || type}
      </span>
      {status && (
        <span className={`wn-status wn-status-${status}`} title={run?.error ?? status} data-testid={`node-status-${id}`}>
          {STATUS_ICON[status]} {status !== "running" && formatMs(run?.elapsedMs)}
        </span>
      )}
      {!!issues?.length && (
        <span className="wn-issues" title={issues.map((i) => i.message).join("\n")} data-testid={`node-issues-${id}`}>
          {issues.length}
        </span>
      )}
    </div>
  );
}
