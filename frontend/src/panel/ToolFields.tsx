// A tool server and a tool picked from the workspace's tool servers (the tool node's fields, and
// each tool of an agent), and the tool node's form with one row per parameter of the tool's
// input schema, each mapped from a constant, a variable or a text with {{#node.field#}}
// references (config: {type, value} per parameter). The tool and the parameters are those of the
// server (and tool) picked beside them, which the form passes in.
import type { Schema } from "../state/schema";
import { toolsNote, useToolServers, type ToolSpec } from "../state/toolServers";
import { TemplateField } from "./TemplateField";
import { VariablePicker } from "./VariablePicker";

type Mode = "constant" | "variable" | "mixed";
export interface ToolArgument {
  type: Mode;
  value: unknown;
}

interface PickProps {
  id: string;
  nodeId: string;
  value: string;
  onChange: (value: string) => void;
  disabled: boolean;
}

function Options({ names, value }: { names: string[]; value: string }) {
  return (
    <>
      <option value="">—</option>
      {names.map((n) => (
        <option key={n} value={n}>
          {n}
        </option>
      ))}
      {value && !names.includes(value) && <option value={value}>{value} (not found)</option>}
    </>
  );
}

export function ToolServerField({ id, value, onChange, disabled }: PickProps) {
  const { servers, error, load } = useToolServers();
  // after a server is added on the Tools page (in another tab), without closing the panel
  const refresh = (
    <button type="button" className="icon-button" title="Fetch the list again" aria-label="Fetch the tool servers again" onClick={load}>
      ↻
    </button>
  );
  if (error) {
    return (
      <p className="field-error">
        The tool servers could not be listed: {error} {refresh}
      </p>
    );
  }
  if (servers && !servers.length) {
    return (
      <p className="field-help" data-testid="tool-servers-empty">
        This workspace has no tool servers yet. {refresh}
      </p>
    );
  }
  const picked = servers?.find((s) => s.name === value);
  const note = picked ? toolsNote(picked) : "";
  return (
    <>
      <div className="tool-server-pick">
        <select id={id} className="ed-input" value={value} disabled={disabled || !servers} onChange={(e) => onChange(e.target.value)}>
          <Options names={(servers ?? []).map((s) => s.name)} value={value} />
        </select>
        {refresh}
      </div>
      {note && <p className="field-help" data-testid="tool-server-note">{note}</p>}
    </>
  );
}

/** The tools of the server named `server` and the one named `name`, once the servers are listed. */
function usePickedTool(server: string, name: string): { tools: ToolSpec[]; tool: ToolSpec | undefined } {
  const { servers } = useToolServers();
  const tools = servers?.find((s) => s.name === server)?.tools ?? [];
  return { tools, tool: tools.find((t) => t.name === name) };
}

export function ToolField({ id, server, value, onChange, disabled }: PickProps & { server: string }) {
  const { tools, tool } = usePickedTool(server, value);
  return (
    <>
      <select id={id} className="ed-input" value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
        <Options names={tools.map((t) => t.name)} value={value} />
      </select>
      {tool?.description && <p className="field-help">{tool.description}</p>}
    </>
  );
}

function ConstantInput({ id, schema, value, onChange, disabled }: { id: string; schema: Schema; value: unknown; onChange: (v: unknown) => void; disabled: boolean }) {
  const type = schema.type;
  if (type === "boolean") return <input id={id} type="checkbox" checked={value === true} disabled={disabled} onChange={(e) => onChange(e.target.checked)} />;
  if (type === "number" || type === "integer") {
    return <input id={id} type="number" className="ed-input" value={typeof value === "number" ? value : ""} disabled={disabled} onChange={(e) => onChange(e.target.value === "" ? null : Number(e.target.value))} />;
  }
  if (type === "string" || type === undefined) {
    return <input id={id} className="ed-input" value={typeof value === "string" ? value : ""} disabled={disabled} onChange={(e) => onChange(e.target.value)} />;
  }
  const text = value === undefined || value === null ? "" : JSON.stringify(value);
  return (
    <input id={id} className="ed-input mono" placeholder="JSON" defaultValue={text} disabled={disabled} onBlur={(e) => {
        try {
          onChange(e.target.value.trim() ? JSON.parse(e.target.value) : null);
        } catch {
          onChange(e.target.value); // kept as typed: the call names the argument that is wrong
        }
      }} />
  );
}

interface ArgumentsProps {
  id: string;
  nodeId: string;
  server: string;
  tool: string;
  value: Record<string, ToolArgument>;
  onChange: (value: Record<string, ToolArgument>) => void;
  disabled: boolean;
}

export function ToolArgumentsField({ id, nodeId, server, tool: name, value, onChange, disabled }: ArgumentsProps) {
  const { tool } = usePickedTool(server, name);
  if (!tool) return <p className="field-help" data-testid={`${id}-none`}>Pick a tool to map its parameters.</p>;
  const props = (tool.input_schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((tool.input_schema.required ?? []) as string[]);
  const set = (name: string, arg: ToolArgument | null) => {
    const next = { ...value };
    if (arg) next[name] = arg;
    else delete next[name];
    onChange(next);
  };
  return (
    <div className="tool-args" id={id} data-testid={`${id}-args`}>
      {Object.entries(props).map(([name, schema]) => {
        const arg = value[name];
        const rowId = `${id}.${name}`;
        const mode: Mode | "" = arg?.type ?? "";
        return (
          <div key={name} className="field tool-arg" data-testid={`tool-arg-${name}`}>
            <label htmlFor={rowId}>
              {schema.title ?? name}
              {required.has(name) && " *"}
            </label>
            <select aria-label={`${name}: from`} className="ed-input" value={mode} disabled={disabled} onChange={(e) => {
                const m = e.target.value as Mode | "";
                set(name, m ? { type: m, value: m === "variable" ? [] : m === "mixed" ? "" : (schema.default ?? null) } : null);
              }}>
              <option value="">{required.has(name) ? "— (required)" : "— (tool's default)"}</option>
              <option value="constant">a value</option>
              <option value="variable">a variable</option>
              <option value="mixed">a text</option>
            </select>
            {mode === "constant" && <ConstantInput id={rowId} schema={schema} value={arg!.value} disabled={disabled} onChange={(v) => set(name, { type: "constant", value: v })} />}
            {mode === "variable" && <VariablePicker id={rowId} nodeId={nodeId} value={arg!.value as string[]} disabled={disabled} onChange={(v) => set(name, { type: "variable", value: v ?? [] })} />}
            {mode === "mixed" && <TemplateField id={rowId} nodeId={nodeId} rows={2} value={String(arg!.value ?? "")} disabled={disabled} onChange={(v) => set(name, { type: "mixed", value: v })} />}
            {schema.description && <p className="field-help">{schema.description}</p>}
          </div>
        );
      })}
    </div>
  );
}
