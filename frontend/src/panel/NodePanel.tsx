// The side panel of the selected node: its title, its config form (generated from the type's
// JSON Schema), its run settings, its issues and its last run.
import type { Json } from "../api/spec";
import type { WNode } from "../state/graph";
import { typeKey } from "../state/nodeTypes";
import { useEditor } from "../state/store";
import type { Schema } from "../state/schema";
import { NodeRunSection } from "../run/NodeRunSection";
import { useShownIssues } from "./pending";
import { FieldIssues, ObjectFields } from "./SchemaForm";

/** The config schema without the fields whose `modes` hint leaves out this app's mode (an LLM's
 * chat memory in a workflow app). */
export function fieldsForMode(schema: Schema, mode: string): Schema {
  const props = Object.entries(schema.properties ?? {});
  const kept = props.filter(([, p]) => !Array.isArray(p.modes) || p.modes.includes(mode));
  return kept.length === props.length ? schema : { ...schema, properties: Object.fromEntries(kept) };
}

/** The selected node's panel, or what to do when not exactly one node is selected. */
export function NodePanel() {
  const node = useEditor((s) => {
    const picked = s.nodes.filter((n) => n.selected);
    return picked.length === 1 ? picked[0] : null;
  });
  const count = useEditor((s) => s.nodes.reduce((k, n) => k + (n.selected ? 1 : 0), 0));
  if (!node) {
    return (
      <div className="panel-empty">
        <p>{count > 1 ? `${count} nodes selected.` : "Select a node to edit it."}</p>
        <p className="muted">Drag nodes from the palette, connect their handles, and press Run.</p>
      </div>
    );
  }
  return <NodeForm node={node} />;
}

function NodeForm({ node }: { node: WNode }) {
  const info = useEditor((s) => s.types[typeKey(node.data.type, node.data.version)]);
  const issues = useShownIssues(node.id);
  const canEdit = useEditor((s) => s.canEdit);
  const mode = useEditor((s) => s.mode);
  const updateNode = useEditor((s) => s.updateNode);
  const schema = fieldsForMode((info?.config_schema ?? {}) as Schema, mode);
  const byField = Object.fromEntries((issues ?? []).filter((i) => i.field).map((i) => [`${node.id}.${i.field}`, i.message]));
  const settingsSchema = info?.settings_schema as Schema | undefined;
  return (
    <div className="node-panel" data-testid="node-panel">
      <div className="panel-head">
        <span className={`wn-icon wn-${info?.category ?? "unknown"}`} aria-hidden="true">
          {(info?.title ?? node.data.type).slice(0, 2)}
        </span>
        <input
          className="ed-input panel-title"
          aria-label="Node title"
          value={node.data.title}
          disabled={!canEdit}
          onChange={(e) => updateNode(node.id, { title: e.target.value }, `${node.id}:title`)}
        />
      </div>
      <p className="muted panel-sub">
        {info?.title ?? node.data.type} · <code>{node.id}</code>
        {info?.description ? ` — ${info.description}` : ""}
      </p>
      {!info && <p className="field-error">Unknown node type “{node.data.type}”.</p>}
      {!!issues?.length && (
        <ul className="issue-list panel-issues" data-testid="panel-issues">
          {issues.map((i, k) => (
            <li key={k} data-code={i.code}>
              {i.message}
            </li>
          ))}
        </ul>
      )}
      <FieldIssues.Provider value={byField}>
      {info && (
        <form className="schema-form" onSubmit={(e) => e.preventDefault()}>
          <ObjectFields
            path={node.id}
            name=""
            schema={schema}
            root={schema}
            value={node.data.config}
            nodeId={node.id}
            required
            disabled={!canEdit}
            onChange={(config) => updateNode(node.id, { config: config as Json }, `${node.id}:config`)}
          />
        </form>
      )}
      {settingsSchema && (
        <details className="panel-section">
          <summary>Run settings (timeout, retry, on error)</summary>
          <ObjectFields
            path={`${node.id}.settings`}
            name=""
            schema={settingsSchema}
            root={settingsSchema}
            value={node.data.settings}
            nodeId={node.id}
            required
            disabled={!canEdit}
            onChange={(settings) => updateNode(node.id, { settings: settings as Json }, `${node.id}:settings`)}
          />
        </details>
      )}
      </FieldIssues.Provider>
      <NodeRunSection nodeId={node.id} />
    </div>
  );
}
