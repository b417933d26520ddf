// A server's tools: name, description, and the parameters its JSON Schema declares.
import type { ToolSpec } from "./types";

interface Param {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

/** The top-level parameters of a tool's input schema, required ones first. */
export function paramsOf(schema: Record<string, unknown>): Param[] {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(props)
    .map(([name, p]) => ({
      name,
      type: Array.isArray(p.type) ? p.type.join(" | ") : String(p.type ?? (p.enum ? "enum" : "any")),
      required: required.has(name),
      description: String(p.description ?? ""),
    }))
    .sort((a, b) => Number(b.required) - Number(a.required));
}

export function ToolList({ tools }: { tools: ToolSpec[] }) {
  if (!tools.length) return <p className="small muted">No tools listed yet: refresh to connect and list them.</p>;
  return (
    <ul className="tools-list" data-testid="tool-list">
      {tools.map((t) => (
        <li key={t.name} data-testid={`tool-${t.name}`}>
          <code className="tools-name">{t.name}</code>
          {t.description && <p className="small">{t.description}</p>}
          {paramsOf(t.input_schema).length > 0 && (
            <table className="table tools-params">
              <tbody>
                {paramsOf(t.input_schema).map((p) => (
                  <tr key={p.name}>
                    <td>
                      <code>{p.name}</code>
                      {p.required && <span className="pill">required</span>}
                    </td>
                    <td className="muted">{p.type}</td>
                    <td className="small">{p.description}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </li>
      ))}
    </ul>
  );
}
