"""The linear intent classifier (bot/components/linear_intent.py; bot/config.yml, the default pipeline since
issue 14): its features are scikit-learn's, its probabilities are the trained LogisticRegression's, and an NLU model
trained with it on the bot's own NLU data parses with usable confidences."""
from __future__ import annotations

import subprocess

from scripts.stack import ROOT

ENV = {"PYTHONPATH": f"{ROOT}:{ROOT / 'bot'}", "PATH": "/usr/bin:/bin",
       "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "RASA_TELEMETRY_ENABLED": "false"}


def run_rasa_python(snippet: str) -> str:
    proc = subprocess.run([str(ROOT / ".venv" / "rasa" / "bin" / "python"), "-c", snippet], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, env=ENV)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


FEATURES_SNIPPET = r'''
import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from components.linear_intent import LinearModel, char_ngrams

sk = CountVectorizer(analyzer="char_wb", ngram_range=(1, 3), lowercase=False).build_analyzer()
for text in ["升級轉型 program是什麼", "ab", "a  b\tc", "", "以大帶小"]:
    assert sorted(char_ngrams(text)) == sorted(sk(text)), text

# the stored arrays give the estimator's own probabilities
texts = ["你好", "您好啊", "謝謝你", "感謝幫忙", "補助多少", "補助怎麼算", "找真人", "轉接客服"]
labels = ["greet", "greet", "thank", "thank", "calc", "calc", "human", "human"]
terms = [["c:" + g for g in char_ngrams(t)] for t in texts]
vocab = {}
for ts in terms:
    for t in ts:
        vocab.setdefault(t, len(vocab))
x = LinearModel(vocab, [], np.zeros((0, 0)), np.zeros(0)).matrix(terms)
assert x.shape == (8, len(vocab)) and x.sum() == sum(len(t) for t in terms)
clf = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced", multi_class="multinomial").fit(x, labels)
model = LinearModel(vocab, list(clf.classes_), clf.coef_, clf.intercept_)
query = [["c:" + g for g in char_ngrams(t)] for t in ["你好嗎", "補助", "完全無關的字 xyz"]]
assert np.allclose(model.probabilities(query), clf.predict_proba(model.matrix(query)))
print("OK")
'''


def test_features_and_probabilities_match_scikit_learn():
    assert "OK" in run_rasa_python(FEATURES_SNIPPET)


MODEL_SNIPPET = r'''
import asyncio, json, yaml
import components
from rasa.core.agent import Agent

agent = Agent.load("MODEL_PATH")
nodes = agent.processor.model_metadata.predict_schema.nodes
uses = {n.uses.__name__ for n in nodes.values()}
assert "LinearIntentClassifier" in uses and "DIETClassifier" not in uses, uses
config = yaml.safe_load(open("bot/config.yml"))
threshold = next(c["threshold"] for c in config["pipeline"] if c["name"] == "FallbackClassifier")

async def parse(text):
    return await agent.parse_message(text)

out = {}
for text in ["你好", "謝謝你的幫忙", "我要找真人客服", "員工20人可以申請多少補助", "今天天氣如何"]:
    p = asyncio.run(parse(text))
    ranking = p["intent_ranking"]
    confs = [r["confidence"] for r in ranking]
    assert confs == sorted(confs, reverse=True) and 0 <= confs[-1] and confs[0] <= 1, ranking
    out[text] = [p["intent"]["name"], p["intent"]["confidence"]]
# nonsense and an empty string: low confidence, so the FallbackClassifier answers nlu_fallback
for text in ["qzxv", "，。"]:
    p = asyncio.run(parse(text))
    out[text] = [p["intent"]["name"], p["intent"]["confidence"]]
print(json.dumps({"threshold": threshold, "out": out}, ensure_ascii=False))
'''


def test_nlu_model_trained_with_the_linear_pipeline_has_usable_confidences(tmp_path):
    proc = subprocess.run([str(ROOT / ".venv" / "rasa" / "bin" / "rasa"), "train", "nlu",
                           "--config", str(ROOT / "bot" / "config.yml"), "--nlu", str(ROOT / "bot" / "data" / "nlu"),
                           "--out", str(tmp_path), "--fixed-model-name", "linear"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900, env=ENV)
    assert proc.returncode == 0, proc.stderr[-3000:]
    model = tmp_path / "linear.tar.gz"
    assert model.exists(), proc.stdout[-2000:]
    import json

    stdout = run_rasa_python(MODEL_SNIPPET.replace("MODEL_PATH", str(model)))
    result = json.loads(stdout.strip().splitlines()[-1])
    out, threshold = result["out"], result["threshold"]
    assert out["你好"][0] == "greet" and out["你好"][1] >= threshold
    assert out["謝謝你的幫忙"][0] == "thank"
    assert out["我要找真人客服"][0] == "request_human"
    assert out["員工20人可以申請多少補助"][0] in {"ask_programme", "calc_subsidy", "nlu_fallback"}
    assert out["qzxv"][0] == "nlu_fallback", out
