// Find a node by title, id or type; Enter (or a click) selects it and centres the view on it.
import { useReactFlow } from "@xyflow/react";
import { forwardRef, useMemo, useState } from "react";

import { useEditor } from "../state/store";
import { afterLayout } from "./pointer";

export const NodeSearch = forwardRef<HTMLInputElement>(function NodeSearch(_props, ref) {
  const nodes = useEditor((s) => s.nodes);
  const [query, setQuery] = useState("");
  const [open, setOpen] = useState(false);
  const { setCenter } = useReactFlow();
  const hits = useMemo(() => {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    return nodes.filter((n) => `${n.data.title} ${n.id} ${n.data.type}`.toLowerCase().includes(q)).slice(0, 12);
  }, [nodes, query]);
  const go = (id: string) => {
    const n = useEditor.getState().nodes.find((x) => x.id === id);
    if (!n) return;
    useEditor.getState().select([id]);
    useEditor.getState().setPanel("node");
    // Centre once the side panel has opened and the canvas has shrunk beside it.
    afterLayout(() => setCenter(n.position.x + (n.measured?.width ?? 240) / 2, n.position.y + (n.measured?.height ?? 90) / 2, { zoom: 1, duration: 300 }));
    setOpen(false);
  };
  return (
    <div className="node-search">
      <input
        ref={ref}
        type="search"
        className="ed-input"
        placeholder="Find node…  (Ctrl+F)"
        aria-label="Find node"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && hits[0]) go(hits[0].id);
          if (e.key === "Escape") setOpen(false);
        }}
      />
      {open && hits.length > 0 && (
        <ul className="search-hits" role="listbox">
          {hits.map((n) => (
            <li key={n.id}>
              <button type="button" onMouseDown={(e) => e.preventDefault()} onClick={() => go(n.id)}>
                {n.data.title || n.id} <span className="muted">{n.id}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
});
