// The one node component of the canvas. What it shows (handles, outputs) comes from the
// backend's report on the node; it re-renders only when its own data, shape, issues or run change.
import { Handle, Position, useConnection, type NodeProps } from "@xyflow/react";
import { memo, useEffect } from "react";

import { sourceHandles, type WNode } from "../state/graph";
import { typeKey } from "../state/nodeTypes";
import { useEditor } from "../state/store";
import { ContainerNode } from "./ContainerNode";
import { handleLabel, modelLabel } from "../canvas/labels";
import { useShownIssues } from "../panel/pending";
import { NodeHead } from "./NodeHead";
import { knowledgeField, knowledgeLabel, useKbNames } from "../state/knowledgeNames";
import { toolCallFields, toolCallLabel, toolsField, toolsLabel } from "../state/toolNames";

function summary(config: Record<string, unknown>): string {
  for (const value of Object.values(config)) {
    if (typeof value === "string" && value.trim()) return value.trim().split("\n")[0].slice(0, 60);
  }
  return "";
}

function WeftNodeView({ id, data, selected }: NodeProps<WNode>) {
  const info = useEditor((s) => s.types[typeKey(data.type, data.version)]);
  const shape = useEditor((s) => s.report.nodes[id]);
  // A row or field still being filled in does not turn the card red either (panel/pending.ts).
  const issues = useShownIssues(id);
  const run = useEditor((s) => s.run.nodes[id]);
  const providers = useEditor((s) => s.providers);
  // A node that ends the run (End) reports no source handle and gets none drawn.
  const handles = sourceHandles(shape);
  const model = modelLabel(data.config, providers);
  const outputs = Object.keys(shape?.outputs ?? {});
  const entry = info?.accepts_input === false;
  const status = run?.status;
  // While a wire is dragged from an output, every other node that takes input shows it may be
  // dropped on anywhere (the canvas connects a wire let go over a body to its input).
  const target = useConnection((c) => c.inProgress && c.fromHandle.type === "source" && c.fromNode.id !== id) && !entry;
  const category = info?.category ?? "unknown";
  const kbField = knowledgeField(info?.config_schema);
  const kbNames = useKbNames((s) => (kbField ? s.names : null));
  const needKbNames = useKbNames((s) => s.need);
  useEffect(() => {
    if (kbField) needKbNames();
  }, [kbField, needKbNames]);
  const kbText = kbField ? knowledgeLabel(data.config[kbField], kbNames) : "";
  const toolList = toolsField(info?.config_schema);
  const tools = toolList ? toolsLabel(data.config[toolList.list], toolList.name) : null;
  const callFields = toolCallFields(info?.config_schema);
  const call = callFields ? toolCallLabel(data.config[callFields.server], data.config[callFields.tool]) : "";
  return (
    <div
      className={`wn wn-${category}${selected ? " wn-selected" : ""}${target ? " wn-drop-target" : ""}${status ? ` wn-${status}` : ""}${issues?.length ? " wn-invalid" : ""}`}
      data-testid={`node-${id}`}
      data-status={status ?? ""}
    >
      {!entry && <Handle type="target" position={Position.Left} id="target" className="wn-handle" />}
      <NodeHead id={id} type={data.type} title={data.title} info={info} run={run} issues={issues} />
      <div className="wn-body">
        <div className="wn-type">{info?.title ?? data.type}</div>
        {model && (
          <div className="wn-model" title={model.title} data-testid={`node-model-${id}`}>
            {model.text}
          </div>
        )}
        {kbText && (
          <div className="wn-summary wn-kbs" title={kbText} data-testid={`node-kbs-${id}`}>
            {kbText}
          </div>
        )}
        {call && (
          <div className="wn-summary wn-call" title={call} data-testid={`node-call-${id}`}>
            {call}
          </div>
        )}
        {!kbText && !call && summary(data.config) && <div className="wn-summary">{summary(data.config)}</div>}
        {tools && (
          <div className="wn-summary wn-tools" title={tools.title} data-testid={`node-tools-${id}`}>
            {tools.text}
          </div>
        )}
        {outputs.length > 0 && (
          <div className="wn-outputs">
            {outputs.slice(0, 6).map((o) => (
              <span key={o} className="wn-var">
                {o}
              </span>
            ))}
          </div>
        )}
      </div>
      {handles.length === 0 ? null : handles.length === 1 && handles[0] === "source" ? (
        <Handle type="source" position={Position.Right} id="source" className="wn-handle" />
      ) : (
        <div className="wn-branches">
          {handles.map((h) => (
            <div key={h} className={`wn-branch${h === "fail-branch" ? " wn-branch-fail" : ""}`}>
              <span title={shape?.labels?.[h] ? h : undefined}>{shape?.labels?.[h] ?? (handleLabel(h) || "NEXT")}</span>
              <Handle type="source" position={Position.Right} id={h} className="wn-handle" />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

const CardNode = memo(WeftNodeView);

// A container (its type has a start node) is a frame; every other node a card.
function NodeView(props: NodeProps<WNode>) {
  const container = useEditor((s) => !!s.types[typeKey(props.data.type, props.data.version)]?.container_start);
  return container ? <ContainerNode {...props} /> : <CardNode {...props} />;
}

export const WeftNode = memo(NodeView);
