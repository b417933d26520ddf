// The knowledge-base page: the list (with "New knowledge base"), or one knowledge base with its
// tabs (route.ts reads the URL hash, so a reload lands on the same view).
import { useEffect, useState } from "react";

import { KbList } from "./KbList";
import { KbView } from "./KbView";
import { parseHash } from "./route";

export function KnowledgeApp({ canEdit }: { canEdit: boolean }) {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onHash = () => {
      setRoute(parseHash(window.location.hash));
      window.scrollTo({ top: 0 });
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  return (
    <div className="tp kb" data-can-edit={canEdit ? "1" : "0"}>
      {route.kb === null ? (
        <>
          <div className="tp-head">
            <h1>Knowledge</h1>
            <p className="muted">Documents your apps answer from: upload files, watch them indexed, try searches, and measure how well retrieval finds what it should.</p>
          </div>
          <KbList canEdit={canEdit} />
        </>
      ) : (
        <KbView key={route.kb} id={route.kb} tab={route.tab} doc={route.doc} canEdit={canEdit} />
      )}
    </div>
  );
}
