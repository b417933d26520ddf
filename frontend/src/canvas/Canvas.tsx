// The canvas: React Flow over the store's nodes and edges; drop target of the palette. It keeps
// the graph in sight when the side panel opens beside it (the canvas area shrinks), connects a
// wire let go over a node's body, moves an edge whose end is dragged to another handle or node,
// and tracks the mouse so a paste lands under it.
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type IsValidConnection,
  type OnConnectEnd,
} from "@xyflow/react";
import { useCallback, useEffect, useRef, type MouseEvent } from "react";

import { connectionProblem, withoutEdge, type Connection, type WEdge } from "../state/graph";
import { boundsOf, inView, nodeBox, panInto } from "../state/placement";
import { useEditor } from "../state/store";
import { nodeTypes } from "../nodes";
import { connectionOverBody } from "./connect";
import { useNodeDrop } from "./drop";
import { setPointerInFlow } from "./pointer";

const multiKeys = ["Meta", "Control"];

function miniMapColor(n: { data: Record<string, unknown> }): string {
  const status = useEditor.getState().run.nodes[(n as { id?: string }).id ?? ""]?.status;
  if (status === "failed") return "#e5484d";
  if (status === "succeeded") return "#30a46c";
  return "var(--wn-minimap)";
}

const openNodePanel = () => useEditor.getState().setPanel("node");
// Nodes let go over a container's frame go into it; out of their frame, out of it.
const dropDragged = (_: unknown, __: unknown, dragged: { id: string }[]) => useEditor.getState().dropNodes(dragged.map((n) => n.id));
// A click on empty canvas clears the selection, so the node panel would only say "select a node":
// it closes and gives the room back. The run, versions and env panels stay.
const closeNodePanel = () => {
  if (useEditor.getState().panel === "node") useEditor.getState().setPanel(null);
};

export function Canvas() {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const canEdit = useEditor((s) => s.canEdit);
  const theme = useEditor((s) => s.theme);
  const onNodesChange = useEditor((s) => s.onNodesChange);
  const onEdgesChange = useEditor((s) => s.onEdgesChange);
  const connectNodes = useEditor((s) => s.connectNodes);
  const beginDrag = useEditor((s) => s.beginDrag);
  const { screenToFlowPosition, getViewport, setViewport, fitView } = useReactFlow();
  const { onDragOver, onDrop } = useNodeDrop();
  const wrap = useRef<HTMLDivElement>(null);

  // The edge whose end is being dragged to another handle or node, checked without itself.
  const moving = useRef<string | null>(null);
  const isValidConnection: IsValidConnection = useCallback(
    (c) => connectionProblem(withoutEdge(useEditor.getState(), moving.current), c) === null,
    [],
  );
  const onReconnectStart = useCallback((_: unknown, edge: WEdge) => {
    moving.current = edge.id;
  }, []);
  const onReconnect = useCallback((old: WEdge, c: Connection) => useEditor.getState().reconnectEdge(old.id, c), []);
  // An edge's end let go over empty canvas leaves the edge where it was (Dify deletes it): a drop
  // that misses by a few pixels should not lose a wire, and deleting one is a click and Delete.
  const onReconnectEnd = useCallback(() => {
    moving.current = null;
  }, []);

  // A wire (new, or an edge's end being moved) let go over a node's body rather than a handle.
  const onConnectEnd: OnConnectEnd = useCallback((event, state) => {
    if (state.isValid) return;
    const s = useEditor.getState();
    const c = connectionOverBody(event, state, s);
    if (c === null) return;
    const edge = moving.current;
    const problem = typeof c === "string" ? c : connectionProblem(withoutEdge(s, edge), c);
    if (problem) s.notify(`${edge ? "Not moved" : "Not connected"}: ${problem}`, "error");
    else if (typeof c !== "string") {
      if (edge) s.reconnectEdge(edge, c);
      else s.connectNodes(c);
    }
  }, []);

  const onMouseMove = useCallback(
    (e: MouseEvent) => setPointerInFlow(screenToFlowPosition({ x: e.clientX, y: e.clientY })),
    [screenToFlowPosition],
  );
  const onMouseLeave = useCallback(() => setPointerInFlow(null), []);

  // When the canvas changes size (the side panel opens or closes beside it), keep what was in
  // sight in sight: a graph that fitted is fitted again, a selected node is panned back in.
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    let size = { width: el.clientWidth, height: el.clientHeight };
    const observer = new ResizeObserver(() => {
      const before = size;
      size = { width: el.clientWidth, height: el.clientHeight };
      if (!size.width || !size.height || (size.width === before.width && size.height === before.height)) return;
      const vp = getViewport();
      const all = useEditor.getState().nodes;
      const whole = boundsOf(all.map(nodeBox));
      if (!whole) return;
      // React Flow measures its own new size in this frame too: act on the next one.
      if (inView(whole, vp, before) && !inView(whole, vp, size)) {
        requestAnimationFrame(() => void fitView({ padding: 0.2, maxZoom: vp.zoom }));
        return;
      }
      const picked = boundsOf(all.filter((n) => n.selected).map(nodeBox));
      const pan = picked && inView(picked, vp, before) ? panInto(picked, vp, size) : null;
      if (pan) requestAnimationFrame(() => void setViewport({ x: vp.x + pan.x, y: vp.y + pan.y, zoom: vp.zoom }, { duration: 200 }));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [getViewport, setViewport, fitView]);

  return (
    <div
      ref={wrap}
      className="ed-canvas"
      onDrop={onDrop}
      onDragOver={onDragOver}
      onMouseMove={onMouseMove}
      onMouseLeave={onMouseLeave}
      data-testid="canvas"
    >
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={connectNodes}
        onConnectEnd={onConnectEnd}
        onReconnectStart={onReconnectStart}
        onReconnect={onReconnect}
        onReconnectEnd={onReconnectEnd}
        edgesReconnectable={canEdit}
        reconnectRadius={14}
        connectionRadius={28}
        isValidConnection={isValidConnection}
        onNodeDragStart={beginDrag}
        onNodeDragStop={dropDragged}
        onSelectionDragStart={beginDrag}
        onNodeClick={openNodePanel}
        onPaneClick={closeNodePanel}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={multiKeys}
        nodesDraggable={canEdit}
        nodesConnectable={canEdit}
        colorMode={theme}
        minZoom={0.1}
        maxZoom={2}
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
        defaultEdgeOptions={{ type: "smoothstep" }}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} />
        <MiniMap pannable zoomable nodeColor={miniMapColor} ariaLabel="Minimap" />
      </ReactFlow>
    </div>
  );
}
