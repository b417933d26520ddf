import { describe, expect, it } from "vitest";

import type { NodeTypeInfo } from "../api/types";
import { indexCatalog } from "../state/nodeTypes";
import { itemLabel } from "./groups";
import { node } from "./testing";
import { innerRunName } from "./Trace";

const container = (type: string, inner_run_name: string) => ({ type, version: 1, container_start: `${type}_start`, inner_run_name }) as unknown as NodeTypeInfo;

describe("innerRunName", () => {
  it("names a container's runs by its type's inner_run_name, whatever the type id", () => {
    const types = indexCatalog([container("repeat", "round"), container("each", "item")]);
    const nodes = [node("r", "repeat", "Repeat"), node("e", "each", "Each")];
    expect(itemLabel(innerRunName("r", nodes, types), [0, 2])).toBe("Round 3");
    expect(itemLabel(innerRunName("e", nodes, types), [1])).toBe("Item 2");
    expect(itemLabel(innerRunName("gone", nodes, types), [0])).toBe("Item 1");
  });
});
