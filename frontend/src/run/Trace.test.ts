import { describe, expect, it } from "vitest";

import type { NodeTypeInfo } from "../api/types";
import { indexCatalog } from "../state/nodeTypes";
import { node } from "./testing";
import { itemHeading } from "./Trace";

const container = (type: string, inner_run_name: string) => ({ type, version: 1, container_start: `${type}_start`, inner_run_name }) as unknown as NodeTypeInfo;

describe("itemHeading", () => {
  it("names a container's runs by its type's inner_run_name, whatever the type id", () => {
    const types = indexCatalog([container("repeat", "round"), container("each", "item")]);
    const nodes = [node("r", "repeat", "Repeat"), node("e", "each", "Each")];
    expect(itemHeading("r", [0, 2], nodes, types)).toBe("round 3");
    expect(itemHeading("e", [1], nodes, types)).toBe("item 2");
    expect(itemHeading("gone", [0], nodes, types)).toBe("item 1");
  });
});
