// The inputs a schema's `widget` key (set by the backend) picks: the variable picker
// ("selector"), the template editor ("template"), the model picker ("model"), the knowledge-base
// picker ("knowledge_bases") and the tool node's fields ("tool_server", "tool",
// "tool_arguments": the tool is one of the server's beside it, the arguments those of the tool
// beside them). Each is drawn inside the field's label.
import type { ReactNode } from "react";

import { KnowledgeBasesField } from "./KnowledgeBasesField";
import { ModelField } from "./ModelField";
import { TemplateField } from "./TemplateField";
import { ToolArgumentsField, ToolField, ToolServerField, type ToolArgument } from "./ToolFields";
import { VariablePicker } from "./VariablePicker";

export interface WidgetProps {
  id: string;
  label: string;
  nodeId: string;
  value: unknown;
  nullable: boolean;
  onChange: (value: unknown) => void;
  disabled: boolean;
  /** The values beside the field (the node's config, or its row of a list). */
  siblings: Record<string, unknown>;
}

export const WIDGETS = new Map<string, (p: WidgetProps) => ReactNode>([
  ["selector", ({ id, nodeId, value, nullable, onChange, disabled }) => (
    <VariablePicker id={id} nodeId={nodeId} value={value as string[] | null} disabled={disabled} onChange={(v) => onChange(v ?? (nullable ? null : []))} />
  )],
  ["template", ({ id, nodeId, value, onChange, disabled }) => (
    <TemplateField id={id} nodeId={nodeId} value={String(value ?? "")} onChange={onChange} disabled={disabled} />
  )],
  ["model", ({ id, value, onChange, disabled }) => (
    <ModelField id={id} value={(value ?? {}) as { provider?: string; name?: string }} onChange={onChange} disabled={disabled} />
  )],
  ["knowledge_bases", ({ id, label, value, onChange, disabled }) => (
    <KnowledgeBasesField id={id} label={label} value={Array.isArray(value) ? (value as string[]) : []} onChange={onChange} disabled={disabled} />
  )],
  ["tool_server", ({ id, nodeId, value, onChange, disabled }) => (
    <ToolServerField id={id} nodeId={nodeId} value={String(value ?? "")} onChange={onChange} disabled={disabled} />
  )],
  ["tool", ({ id, nodeId, value, onChange, disabled, siblings }) => (
    <ToolField id={id} nodeId={nodeId} server={String(siblings.server ?? "")} value={String(value ?? "")} onChange={onChange} disabled={disabled} />
  )],
  ["tool_arguments", ({ id, nodeId, value, onChange, disabled, siblings }) => (
    <ToolArgumentsField
      id={id}
      nodeId={nodeId}
      server={String(siblings.server ?? "")}
      tool={String(siblings.tool ?? "")}
      value={(value ?? {}) as Record<string, ToolArgument>}
      onChange={onChange}
      disabled={disabled}
    />
  )],
]);
