// The canvas: React Flow over the store's nodes and edges; drop target of the palette.
import { Background, Controls, MiniMap, ReactFlow, useReactFlow, type IsValidConnection, type OnSelectionChangeParams } from "@xyflow/react";
import { useCallback, type DragEvent } from "react";

import { connectionProblem } from "../state/graph";
import { useEditor } from "../state/store";
import { nodeTypes } from "../nodes";

export const DRAG_MIME = "application/x-weft-node-type";

const multiKeys = ["Meta", "Control"];

function miniMapColor(n: { data: Record<string, unknown> }): string {
  const status = useEditor.getState().run.nodes[(n as { id?: string }).id ?? ""]?.status;
  if (status === "failed") return "#e5484d";
  if (status === "succeeded") return "#30a46c";
  return "var(--wn-minimap)";
}

const openNodePanel = () => useEditor.getState().setPanel("node");

export function Canvas() {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const canEdit = useEditor((s) => s.canEdit);
  const theme = useEditor((s) => s.theme);
  const onNodesChange = useEditor((s) => s.onNodesChange);
  const onEdgesChange = useEditor((s) => s.onEdgesChange);
  const connectNodes = useEditor((s) => s.connectNodes);
  const beginDrag = useEditor((s) => s.beginDrag);
  const { screenToFlowPosition } = useReactFlow();

  const isValidConnection: IsValidConnection = useCallback(
    (c) => connectionProblem(useEditor.getState(), c) === null,
    [],
  );

  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = event.dataTransfer.getData(DRAG_MIME);
      if (!type) return;
      event.preventDefault();
      const p = screenToFlowPosition({ x: event.clientX, y: event.clientY });
      useEditor.getState().addNodeOfType(type, { x: p.x - 110, y: p.y - 30 });
    },
    [screenToFlowPosition],
  );

  const onDragOver = useCallback((event: DragEvent) => {
    if (event.dataTransfer.types.includes(DRAG_MIME)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    }
  }, []);

  const onSelectionChange = useCallback(({ nodes: picked }: OnSelectionChangeParams) => {
    const s = useEditor.getState();
    if (picked.length === 1 && (s.panel === null || s.panel === "env")) s.setPanel("node");
  }, []);

  return (
    <div className="ed-canvas" onDrop={onDrop} onDragOver={onDragOver} data-testid="canvas">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={connectNodes}
        isValidConnection={isValidConnection}
        onNodeDragStart={beginDrag}
        onSelectionDragStart={beginDrag}
        onSelectionChange={onSelectionChange}
        onNodeClick={openNodePanel}
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
