// A container node (iteration, loop) drawn as a resizable frame: its title bar, the handles
// that wire it to the nodes around it, and room for the nodes inside it (React Flow draws
// those, as children with `parentId`, over the frame).
import { Handle, NodeResizer, Position, type NodeProps } from "@xyflow/react";
import { memo } from "react";

import type { WNode } from "../state/graph";
import { typeKey } from "../state/nodeTypes";
import { useEditor } from "../state/store";
import { useShownIssues } from "../panel/pending";
import { NodeHead } from "./NodeHead";

function ContainerNodeView({ id, data, selected }: NodeProps<WNode>) {
  const info = useEditor((s) => s.types[typeKey(data.type, data.version)]);
  const canEdit = useEditor((s) => s.canEdit);
  // Like every card: a field still being filled in does not turn the frame red (panel/pending.ts).
  const issues = useShownIssues(id);
  const run = useEditor((s) => s.run.nodes[id]);
  const status = run?.status;
  return (
    <div
      className={`wn wn-container wn-${info?.category ?? "logic"}${selected ? " wn-selected" : ""}${status ? ` wn-${status}` : ""}${issues?.length ? " wn-invalid" : ""}`}
      data-testid={`node-${id}`}
      data-status={status ?? ""}
    >
      <NodeResizer isVisible={!!selected && canEdit} minWidth={300} minHeight={160} />
      <Handle type="target" position={Position.Left} id="target" className="wn-handle" />
      <NodeHead id={id} type={data.type} title={data.title} info={info} run={run} issues={issues} />
      <Handle type="source" position={Position.Right} id="source" className="wn-handle" />
    </div>
  );
}

export const ContainerNode = memo(ContainerNodeView);
