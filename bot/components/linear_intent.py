"""A linear intent classifier: logistic regression over word and character n-gram counts.

The default intent classifier since issue 14 (bot/config.yml; DIETClassifier's pipeline is kept in
bot/config.diet.yml; figures in docs/performance.md): on this data it is at least as accurate on the
held-out questions (``bench.intent``), and a parse costs a sparse dot product instead of a
TensorFlow graph call.
Rasa's own ``LogisticRegressionClassifier`` over the pipeline's sparse features scored lower on the
held-out test split (0.924 against DIET's 0.940): its character n-grams are taken per token, and a
Chinese question's useful n-grams cross jieba's token boundaries. Here they are taken over the
whole normalised text, as the retriever sees it.

Features of a message (both raw counts):
* its words: the tokens ``ZhTokenizer`` produced (normalised, jieba-segmented);
* character n-grams (1–3, ``char_wb``) of the normalised text (``knowledge.textnorm.normalize``).
Model: scikit-learn's multinomial ``LogisticRegression`` (lbfgs, balanced class weights; C from the
config: 1 by default, 10 in bot/config.yml),
trained by ``rasa train`` with that pipeline. Its probabilities are the intent confidences the FallbackClassifier
reads. The trained model is stored as plain arrays and vocabularies (``.npz`` without pickles and
a JSON file), and a parse needs only NumPy/SciPy, not scikit-learn's estimator objects.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np
import scipy.sparse as sp

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.textnorm import clip_message, normalize

logger = logging.getLogger(__name__)

WORD_PREFIX = "w:"   # vocabulary keys: "w:<token>" for words, "c:<n-gram>" for character n-grams
CHAR_PREFIX = "c:"


def char_ngrams(text: str, lo: int = 1, hi: int = 3) -> List[str]:
    """scikit-learn's ``char_wb`` n-grams: per whitespace-separated word, padded with one space."""
    out: List[str] = []
    for word in text.split():
        padded = f" {word} "
        n_chars = len(padded)
        for n in range(lo, hi + 1):
            if n > n_chars:
                break
            out.extend(padded[i:i + n] for i in range(n_chars - n + 1))
    return out


def message_terms(message: Message, lo: int = 1, hi: int = 3) -> List[str]:
    """The terms (word and character n-gram keys) of a message, with repeats (counts)."""
    text = message.get(TEXT) or ""
    clipped, was_clipped = clip_message(text)
    norm = normalize(clipped if was_clipped else text)
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    words = [WORD_PREFIX + t.text for t in tokens if t.text.strip()]
    return words + [CHAR_PREFIX + g for g in char_ngrams(norm, lo, hi)]


class LinearModel:
    """Vocabulary + multinomial logistic-regression weights; probabilities by softmax."""

    def __init__(self, vocabulary: Dict[str, int], classes: List[str], coef: np.ndarray,
                 intercept: np.ndarray) -> None:
        self.vocabulary = vocabulary
        self.classes = classes
        self.coef = coef              # (n_classes, n_features)
        self.intercept = intercept    # (n_classes,)

    def matrix(self, term_lists: List[List[str]]) -> sp.csr_matrix:
        rows, cols = [], []
        for r, terms in enumerate(term_lists):
            for t in terms:
                j = self.vocabulary.get(t)
                if j is not None:
                    rows.append(r)
                    cols.append(j)
        data = np.ones(len(rows), dtype=np.float64)
        m = sp.csr_matrix((data, (rows, cols)), shape=(len(term_lists), len(self.vocabulary)))
        m.sum_duplicates()
        return m

    def probabilities(self, term_lists: List[List[str]]) -> np.ndarray:
        scores = self.matrix(term_lists) @ self.coef.T + self.intercept
        scores = np.asarray(scores) - np.max(scores, axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    """Logistic regression over the message's words and character n-grams (see module doc)."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"C": 1.0, "max_iter": 3000, "ngram_min": 1, "ngram_max": 3, "random_state": 42,
                "ranking_length": LABEL_RANKING_LENGTH}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[LinearModel] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LinearIntentClassifier":
        return cls(config, model_storage, resource)

    def _terms(self, message: Message) -> List[str]:
        return message_terms(message, self.config["ngram_min"], self.config["ngram_max"])

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("LinearIntentClassifier: no intent examples; nothing trained")
            return self._resource
        term_lists = [self._terms(e) for e in examples]
        vocabulary: Dict[str, int] = {}
        for terms in term_lists:
            for t in terms:
                vocabulary.setdefault(t, len(vocabulary))
        labels = [e.get(INTENT) for e in examples]
        x = LinearModel(vocabulary, [], np.zeros((0, 0)), np.zeros(0)).matrix(term_lists)
        clf = LogisticRegression(C=self.config["C"], max_iter=self.config["max_iter"],
                                 class_weight="balanced", solver="lbfgs", multi_class="multinomial",
                                 random_state=self.config["random_state"])
        clf.fit(x, labels)
        classes = [str(c) for c in clf.classes_]
        coef, intercept = clf.coef_, clf.intercept_
        if len(classes) == 2:   # sklearn keeps one row for two classes: make it a 2-row softmax
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        self.model = LinearModel(vocabulary, classes, np.asarray(coef, dtype=np.float64),
                                 np.asarray(intercept, dtype=np.float64))
        self.persist()
        return self._resource

    def persist(self) -> None:
        if self.model is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / "weights.npz", coef=self.model.coef, intercept=self.model.intercept)
            (directory / "vocabulary.json").write_text(
                json.dumps({"classes": self.model.classes, "vocabulary": self.model.vocabulary},
                           ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LinearIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / "vocabulary.json").read_text("utf-8"))
                with np.load(directory / "weights.npz", allow_pickle=False) as w:
                    coef, intercept = w["coef"], w["intercept"]
        except (ValueError, FileNotFoundError):
            logger.debug("LinearIntentClassifier: no trained model in %s", resource.name)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource,
                   LinearModel(meta["vocabulary"], meta["classes"], coef, intercept))

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None or not messages:
            return messages
        probs = self.model.probabilities([self._terms(m) for m in messages])
        n_rank = self.config["ranking_length"]
        for message, p in zip(messages, probs):
            order = np.argsort(-p, kind="stable")
            ranking = [{"name": self.model.classes[i], "confidence": float(p[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[:n_rank] if n_rank > 0 else ranking,
                        add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
