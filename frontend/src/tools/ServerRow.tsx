// One MCP server in the list: status dot, name, transport, tool count; expanded, its status in
// words and its tools. Editors refresh it (a spinner while connecting); admins edit or remove it.
import { ago } from "../page/ui";
import { plural } from "../page/words";
import { ToolList } from "./ToolList";
import type { ToolServer } from "./types";

const STATUS_WORDS = { ok: "connected", error: "error", unknown: "not checked yet" } as const;

export function ServerRow({ server: s, busy, canAdmin, canEdit, onRefresh, onEdit, onRemove }: { server: ToolServer; busy: boolean; canAdmin: boolean; canEdit: boolean; onRefresh: () => void; onEdit: () => void; onRemove: () => void }) {
  return (
    <li className="tools-server" data-testid={`server-${s.name}`}>
      <details open={s.status === "error" || undefined}>
        <summary>
          <span className={`tools-dot tools-dot-${s.status}`} title={STATUS_WORDS[s.status]} data-testid={`status-${s.name}`} data-status={s.status} /> <strong>{s.name}</strong>{" "}
          <span className="pill">{s.transport === "stdio" ? "command" : "URL"}</span> <span className="muted small" data-testid={`count-${s.name}`}>{plural(s.tools.length, "tool")}</span>
          {!s.enabled && <span className="pill">off</span>}
          <span className="tools-actions">
            {canEdit && (
              <button type="button" className="btn btn-sm" data-testid={`refresh-${s.name}`} disabled={busy} onClick={onRefresh}>
                {busy && <span className="spinner spinner-sm" />} Refresh
              </button>
            )}
            {canAdmin && (
              <>
                <button type="button" className="btn btn-sm" data-testid={`edit-${s.name}`} onClick={onEdit}>
                  Edit
                </button>
                <button type="button" className="btn btn-sm btn-ghost" data-testid={`remove-${s.name}`} onClick={onRemove}>
                  Remove
                </button>
              </>
            )}
          </span>
        </summary>
        <p className="small muted mono">{s.transport === "stdio" ? [s.command, ...s.args].join(" ") : s.url}</p>
        <p className="small" data-testid={`status-text-${s.name}`}>
          {busy ? "Connecting…" : STATUS_WORDS[s.status]}
          {s.checked_at && !busy && <span className="muted"> · checked {ago(s.checked_at)}</span>}
        </p>
        {s.status_message && !busy && (
          <p className="small tools-error-text" data-testid={`error-${s.name}`}>
            {s.status_message}
          </p>
        )}
        <ToolList tools={s.tools} />
      </details>
    </li>
  );
}
