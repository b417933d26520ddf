// The canvas: React Flow over the store's nodes and edges; drop target of the palette. It keeps
// the graph in sight when the side panel opens beside it (the canvas area shrinks), connects a
// wire let go over a node's body, and tracks the mouse so a paste lands under it.
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

import { connectionProblem, sourceHandles } from "../state/graph";
import { typeKey } from "../state/nodeTypes";
import { boundsOf, inView, nodeBox, panInto } from "../state/placement";
import { useEditor } from "../state/store";
import { nodeTypes } from "../nodes";
import { bodyConnection } from "./connect";
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

  const isValidConnection: IsValidConnection = useCallback(
    (c) => connectionProblem(useEditor.getState(), c) === null,
    [],
  );

  const onConnectEnd: OnConnectEnd = useCallback((event, state) => {
    if (state.isValid || !state.fromNode || !state.fromHandle) return;
    const point = "changedTouches" in event ? event.changedTouches[0] : event;
    const over = document
      .elementsFromPoint(point.clientX, point.clientY)
      .map((el) => el.closest(".react-flow__node"))
      .find((el) => el !== null)
      ?.getAttribute("data-id");
    if (!over || over === state.fromNode.id) return;
    const s = useEditor.getState();
    const node = s.nodes.find((n) => n.id === over);
    if (!node) return;
    const info = s.types[typeKey(node.data.type, node.data.version)];
    const c = bodyConnection(
      { node: state.fromNode.id, handle: state.fromHandle.id ?? null, type: state.fromHandle.type },
      over,
      { title: node.data.title || info?.title || node.data.type, acceptsInput: info?.accepts_input !== false, handles: sourceHandles(s.report.nodes[over]) },
    );
    const problem = typeof c === "string" ? c : connectionProblem(s, c);
    if (problem) s.notify(`Not connected: ${problem}`, "error");
    else if (typeof c !== "string") s.connectNodes(c);
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
        connectionRadius={28}
        isValidConnection={isValidConnection}
        onNodeDragStart={beginDrag}
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
