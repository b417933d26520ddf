// What the app page's template (templates/portal/app.html) tells its script on #app-root.

export interface PageInfo {
  appId: number;
  mode: "chat" | "workflow";
  canEdit: boolean;
  baseUrl: string;
}

export function readPage(root: HTMLElement): PageInfo {
  return {
    appId: Number(root.dataset.appId),
    mode: root.dataset.appMode === "workflow" ? "workflow" : "chat",
    canEdit: root.dataset.canEdit === "1",
    baseUrl: root.dataset.baseUrl ?? "",
  };
}
