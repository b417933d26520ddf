// The palette: the node types the backend's catalog offers in this app's mode, grouped by category,
// the most useful first (the catalog's rank: a group goes where its best type goes). Drag one onto
// the canvas, or click it to add it in the middle of the view (in free space there).
import { useReactFlow } from "@xyflow/react";
import { useMemo, useState } from "react";

import type { NodeTypeInfo } from "../api/types";
import { newestVersions } from "../state/nodeTypes";
import { NODE_SIZE } from "../state/placement";
import { useEditor, type EditorState } from "../state/store";
import { canvasRect, DRAG_MIME } from "./drop";
import { CATEGORY_ORDER, categoryLabel } from "./labels";

export function groupCatalog(catalog: NodeTypeInfo[], query: string, mode: EditorState["mode"]): [string, NodeTypeInfo[]][] {
  const q = query.trim().toLowerCase();
  const offered = catalog
    .filter((t) => t.modes.includes(mode))
    .filter((t) => !q || `${t.title} ${t.type} ${t.description}`.toLowerCase().includes(q))
    .sort((a, b) => a.rank - b.rank || a.title.localeCompare(b.title));
  const groups = new Map<string, NodeTypeInfo[]>();
  for (const t of offered) groups.set(t.category, [...(groups.get(t.category) ?? []), t]);
  const order = (c: string) => (CATEGORY_ORDER.includes(c) ? CATEGORY_ORDER.indexOf(c) : CATEGORY_ORDER.length);
  // Map keeps insertion order: groups already go by their best-ranked type; ties by category.
  return [...groups.entries()].sort(([a, x], [b, y]) => x[0].rank - y[0].rank || order(a) - order(b) || a.localeCompare(b));
}

export function Palette() {
  const catalog = useEditor((s) => s.catalog);
  const canEdit = useEditor((s) => s.canEdit);
  const mode = useEditor((s) => s.mode);
  const [query, setQuery] = useState("");
  const groups = useMemo(() => groupCatalog(newestVersions(catalog), query, mode), [catalog, query, mode]);
  const { screenToFlowPosition } = useReactFlow();

  const addInView = (type: string) => {
    const canvas = canvasRect();
    const p = canvas
      ? screenToFlowPosition({ x: canvas.left + canvas.width / 2, y: canvas.top + canvas.height / 2 })
      : { x: 0, y: 0 };
    useEditor.getState().addNodeOfType(type, { x: p.x - NODE_SIZE.width / 2, y: p.y - NODE_SIZE.height / 2 }, { free: true });
  };

  return (
    <aside className="ed-palette" aria-label="Node palette">
      <input
        className="ed-input"
        type="search"
        placeholder="Search nodes…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        aria-label="Search node types"
      />
      {groups.map(([category, types]) => (
        <section key={category} className="pal-group">
          <h3>{categoryLabel(category)}</h3>
          {types.map((t) => (
            <button
              key={`${t.type}@${t.version}`}
              type="button"
              className={`pal-item wn-${t.category}`}
              draggable={canEdit}
              disabled={!canEdit}
              data-testid={`palette-${t.type}`}
              title={t.description}
              onDragStart={(e) => {
                e.dataTransfer.setData(DRAG_MIME, t.type);
                e.dataTransfer.effectAllowed = "copy";
              }}
              onClick={() => addInView(t.type)}
            >
              <span className="wn-icon" aria-hidden="true">
                {t.title.slice(0, 2)}
              </span>
              <span className="pal-text">
                <span className="pal-title">{t.title}</span>
                <span className="pal-desc">{t.description}</span>
              </span>
            </button>
          ))}
        </section>
      ))}
      {!groups.length && <p className="muted">No node type matches “{query}”.</p>}
    </aside>
  );
}
