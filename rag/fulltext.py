"""Full-text scoring with bm25s: English stopwords and Snowball stemming (PyStemmer).

bm25s's defaults (Lucene's BM25, k1 = 1.5, b = 0.75) are kept; stemming is what lifts SciFact
from 0.662 to 0.686 nDCG@10 (shared/data/scifact/README.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import numpy.typing as npt

STOPWORDS = "en"


@cache
def _stemmer() -> object:
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stopword-free, stemmed tokens of each text."""
    import bm25s

    tokens = bm25s.tokenize(
        list(texts), stopwords=STOPWORDS, stemmer=_stemmer(), return_ids=False, show_progress=False
    )
    return [list(t) for t in tokens]


class FullTextIndex:
    """BM25 over a fixed list of texts; built once, scored per query."""

    def __init__(self, texts: Sequence[str]) -> None:
        import bm25s

        self.size = len(texts)
        self._bm25 = bm25s.BM25()
        if texts:
            self._bm25.index(tokenize(texts), show_progress=False)

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """The BM25 score of every text for `query` (0 where no term matches)."""
        tokens = (
            [t for t in tokenize([query])[0] if t in self._bm25.vocab_dict] if self.size else []
        )
        if not tokens:
            return np.zeros(self.size, np.float32)
        return np.asarray(self._bm25.get_scores(tokens), np.float32)
