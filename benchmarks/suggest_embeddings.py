"""Do static embeddings that ship inside a wheel help the learned suggestions? (issue 13)

Two packages on PyPI carry their vectors in the wheel, so nothing would download at run time:

- `wordllama` (256-d, trained for English; its Llama-2 tokenizer also cuts Russian and Kazakh);
- `natasha` ships navec (Russian, 250 k words x 300-d; used for Russian units only).

Neither is a dependency of qualcode. Install them to measure (`pip install wordllama natasha`),
or point PYTHONPATH at a folder they were installed into with `pip install --target`.

Each unit's mean vector (normalised) is appended to the shipped model's sparse features at a
weight, and the learning curve of benchmarks/suggest_learning_curve.py (same project, same
splits and seeds) compares model and suggestion with and without it. Also timed: loading
the vectors, and embedding 1 M words.

    .venv/bin/python benchmarks/suggest_embeddings.py [--splits 3] [--sizes 8,12] [--weights 0.3,1]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from suggest_learning_curve import CODEBOOK, ROOT, SETS, Pool, build, split

from qualcode.suggest import learn
from qualcode.suggest.evaluation import choose, to_turns, turn_ids


def wordllama_embedder():
    """WordLlama from the wheel's own files: its `load()` looks for the tokenizer in a folder the
    wheel does not have (tokenizer/, the wheel has tokenizers/) and would then download it."""
    import wordllama
    from safetensors import safe_open
    from tokenizers import Tokenizer
    from wordllama.inference import WordLlamaInference

    root = Path(wordllama.__file__).parent
    with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), framework="np", device="cpu") as f:
        table = f.get_tensor("embedding.weight")
    tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    model = WordLlamaInference(table, tokenizer)
    return lambda units: model.embed([" ".join(u.forms) for u in units], norm=True).astype(np.float32)


def navec_embedder():
    import natasha
    from navec import Navec

    tar = Path(natasha.__file__).parent / "data" / "emb" / "navec_news_v1_1B_250K_300d_100q.tar"
    nv = Navec.load(str(tar))

    def embed(units):
        out = np.zeros((len(units), 300), dtype=np.float32)
        for i, u in enumerate(units):
            vs = [nv[f] for f in u.forms if u.lang == "ru" and f in nv]
            if vs:
                v = np.mean(vs, axis=0)
                out[i] = v / (np.linalg.norm(v) + 1e-9)
        return out
    return embed


def curve(prep: learn.Prepared, E: np.ndarray | None, weight: float, sizes: list[int], splits: int) -> dict:
    corpus, Y, R = prep.corpus, prep.Y, prep.R
    names = np.array([u.transcript for u in corpus.units])
    langs = {t: corpus.languages[t] for t in prep.dec.coded}
    ids, keys = turn_ids(corpus)
    out = {}
    for k in sizes:
        pools = {s: Pool() for s in ("model", "suggestion")}
        for i in range(splits):
            train = split(langs, k, random.Random(1000 * k + i))
            tr = np.isin(names, train) & (Y >= 0).any(axis=1)
            te = ~np.isin(names, train)
            pipe = learn.make_pipeline(seed=i)
            features, model = pipe.named_steps["features"], pipe.named_steps["model"]
            Xtr = features.fit_transform([corpus.units[x] for x in np.flatnonzero(tr)])
            Xte = features.transform([corpus.units[x] for x in np.flatnonzero(te)])
            if E is not None:
                Xtr = sp.hstack([Xtr, sp.csr_matrix(E[tr] * weight)]).tocsr()
                Xte = sp.hstack([Xte, sp.csr_matrix(E[te] * weight)]).tocsr()
            model.fit(Xtr, Y[tr], groups=names[tr])
            M = np.zeros(Y.shape, dtype=bool)
            M[te] = model.predict(Xte).astype(bool)
            use = choose(model, Y[tr], R[tr], ids[tr])
            rows = np.unique(ids[te])
            H = to_turns((Y > 0) & te[:, None], ids, len(keys))[rows]
            pools["model"].add(H, to_turns(M & te[:, None], ids, len(keys))[rows])
            pools["suggestion"].add(H, to_turns(np.where(use, M, R) & te[:, None], ids, len(keys))[rows])
        out[k] = (pools["model"].kappa, pools["suggestion"].kappa)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--sizes", default="8,12")
    parser.add_argument("--weights", default="0.3,1")
    args = parser.parse_args()
    sizes = [int(k) for k in args.sizes.split(",")]
    embedders = {}
    for name, make in (("wordllama", wordllama_embedder), ("navec", navec_embedder)):
        t = time.perf_counter()
        try:
            embedders[name] = (make(), time.perf_counter() - t)
        except ImportError as e:
            print(f"{name}: not installed ({e}); skipped")
    sets = [ROOT / "tests" / "data" / s for s in SETS if (ROOT / "tests" / "data" / s / "gold.csv").exists()]
    with tempfile.TemporaryDirectory() as tmp:
        project = build(Path(tmp), sets)
        book = project._suggest_book(CODEBOOK)
        prep = learn.prepare(project.engine, ["gold"], unit="sentence", codes=None, book=book, min_positive=5)
        project.close()
    units = prep.corpus.units
    words = sum(len(u.lemmas) for u in units)
    rep = max(1, round(1_000_000 / words))
    print(f"# Embeddings for learned suggestions: {len(prep.dec.coded)} interviews, {args.splits} splits\n")
    print("| embedding | load s | embed 1 M words s | weight | " + " | ".join(
        f"model / suggestion kappa at {k}" for k in sizes) + " |")
    print("|---|---|---|---|" + "---|" * len(sizes))
    base = curve(prep, None, 0.0, sizes, args.splits)
    print("| none (shipped) | | | | " + " | ".join(f"{m:.3f} / {s:.3f}" for m, s in base.values()) + " |", flush=True)
    for name, (embed, t_load) in embedders.items():
        t = time.perf_counter()
        embed(units * rep)
        t_big = time.perf_counter() - t
        E = embed(units)
        for w in (float(x) for x in args.weights.split(",")):
            res = curve(prep, E, w, sizes, args.splits)
            print(f"| {name} | {t_load:.1f} | {t_big:.1f} | {w:g} | "
                  + " | ".join(f"{m:.3f} / {s:.3f}" for m, s in res.values()) + " |", flush=True)
    print(f"\npeak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
