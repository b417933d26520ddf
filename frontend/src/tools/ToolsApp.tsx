// The Tools page: the workspace's MCP servers (status, transport, tools; admins add, edit and
// remove them, editors refresh them) and the built-in servers Weft gives every workspace.
import { useEffect, useState } from "react";

import { Empty, ErrorBox } from "../page/ui";
import { plural } from "../page/words";
import { tools } from "./api";
import { ServerRow } from "./ServerRow";
import { ServerForm } from "./ServerForm";
import { ToolList } from "./ToolList";
import type { ToolListing, ToolServer } from "./types";

export function ToolsApp({ canAdmin, canEdit }: { canAdmin: boolean; canEdit: boolean }) {
  const [servers, setServers] = useState<ToolServer[] | null>(null);
  const [builtin, setBuiltin] = useState<ToolListing[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<ToolServer | null>(null);
  const [added, setAdded] = useState(0);
  const [refreshing, setRefreshing] = useState<Set<string>>(new Set());

  useEffect(() => {
    tools.list().then(setServers, setError);
    tools.listing().then((all) => setBuiltin(all.filter((s) => s.builtin)), () => setBuiltin([]));
  }, []);

  const put = (s: ToolServer) => setServers((rows) => [...(rows ?? []).filter((r) => r.id !== s.id), s].sort((a, b) => a.name.localeCompare(b.name)));
  const refresh = async (s: ToolServer) => {
    setRefreshing((ids) => new Set(ids).add(s.id));
    try {
      put(await tools.refresh(s.id));
    } catch (err) {
      setError(err);
    } finally {
      setRefreshing((ids) => {
        const next = new Set(ids);
        next.delete(s.id);
        return next;
      });
    }
  };
  const saved = (s: ToolServer) => {
    put(s);
    setEditing(null);
    setAdded((n) => n + 1); // a fresh, empty form for the next server
    void refresh(s); // connect at once: the admin sees whether it works
  };
  const remove = async (s: ToolServer) => {
    if (!window.confirm(`Remove the tool server ${s.name}? Runs that call it will fail.`)) return;
    try {
      await tools.remove(s.id);
      setServers((rows) => (rows ?? []).filter((r) => r.id !== s.id));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="tp tools">
      <div className="tp-head">
        <h1>Tools</h1>
        <p className="muted">MCP servers whose tools your apps call from tool and agent nodes.</p>
      </div>
      <div className={canAdmin ? "kb-list-grid" : ""}>
        <div className="card tp-card">
          <h2>MCP servers</h2>
          <ErrorBox error={error} testid="tools-error" />
          {!servers && !error && (
            <div className="tp-loading">
              <span className="spinner" /> Loading…
            </div>
          )}
          {servers && !servers.length && <Empty title="No MCP servers yet">{canAdmin ? "Add one with the form beside this list." : "Admins can add them."}</Empty>}
          {servers && servers.length > 0 && (
            <ul className="tools-servers" data-testid="server-list">
              {servers.map((s) => (
                <ServerRow key={s.id} server={s} busy={refreshing.has(s.id)} canAdmin={canAdmin} canEdit={canEdit} onRefresh={() => void refresh(s)} onEdit={() => setEditing(s)} onRemove={() => void remove(s)} />
              ))}
            </ul>
          )}
          {builtin.length > 0 && (
            <>
              <h2>Built-in</h2>
              <ul className="tools-servers" data-testid="builtin-list">
                {builtin.map((b) => (
                  <li key={b.name} className="tools-server" data-testid={`builtin-${b.name}`}>
                    <details>
                      <summary>
                        <span className={`tools-dot tools-dot-${b.status}`} /> <strong>{b.name}</strong> <span className="pill">built-in</span> <span className="muted small">{plural(b.tools.length, "tool")}</span>
                      </summary>
                      {b.error && <p className="small tools-error-text">{b.error}</p>}
                      <ToolList tools={b.tools} />
                    </details>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
        {canAdmin && <ServerForm key={editing?.id ?? `new-${added}`} server={editing} onSaved={saved} onCancel={editing ? () => setEditing(null) : undefined} />}
      </div>
      {canAdmin && <p className="small muted">A command server runs that command on this Weft server: only admins may add one.</p>}
    </div>
  );
}
