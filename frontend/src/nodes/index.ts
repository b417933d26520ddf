// React Flow's nodeTypes map: at module level so it never changes identity between renders.
import { WeftNode } from "./WeftNode";

export const nodeTypes = { weft: WeftNode };
