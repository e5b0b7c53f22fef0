"""Tokenizer for Traditional-Chinese users who sometimes type Simplified or full-width text.

Normalises each message with ``knowledge.textnorm`` (Simplified → Traditional, full-width →
half-width, lower case; length preserved) and segments it with jieba on a Simplified copy, with
the programme's own terms (以大帶小, 疫後振興 …) from ``knowledge/jieba/userdict.txt``. The same
normalisation feeds the retriever, so NLU and retrieval see the same text.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from knowledge.textnorm import clip_message, normalize, segment


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class ZhTokenizer(JiebaTokenizer):
    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["zh"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**JiebaTokenizer.get_default_config(), "dictionary_path": None}

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        clipped, was_clipped = clip_message(text)
        # offsets must index the original text: clip only what would not fit
        norm = normalize(clipped if was_clipped else text)
        tokens = [Token(word, start) for word, start in segment(norm) if word.strip()]
        return self._apply_token_pattern(tokens)
