"""Seeded synthetic chat text for the store benchmark.

Words are drawn from a Zipf-like distribution (weight 1/rank^s) over a vocabulary
of a few thousand words: real English words at the top ranks, syllable-built
pseudo-words in the long tail, with code-like tokens (identifiers, paths, flags)
and non-ASCII tokens (accents, CJK, Cyrillic, emoji) mixed in at assorted ranks.
That gives FTS5 a realistic term-frequency spread: a handful of terms occur in
nearly every message, most occur rarely.

The search term is placed at the rank where it is expected to occur in about
``SEARCH_TARGET_SHARE`` of all messages; the actual count is measured and
printed by the benchmark, not assumed.
"""

from __future__ import annotations

import itertools
import random

SEARCH_TERM = "throughput"
COMMON_TERM = "data"
SEARCH_TARGET_SHARE = 0.004  # ~0.4 % of messages contain the search term
ZIPF_EXPONENT = 1.05
VOCABULARY_SIZE = 4000

_ENGLISH = """
the of and to a in is it you that this for on with be are as not have can
i we if or but at by from your will an do so was there all what which they
use one would more about when just like some my how then also get need it's
code file data model function value error test run time new way make first
should could other only can't see because into than work example set list
any here each change call return case type output input server request user
first version default line config problem works check add look thanks issue
build memory string number result step update try help question answer
different running know want good still question write read query same loop
""".split()

_TOPICAL = """
python database index table column migration cache thread worker queue event
signal window widget button layout render stream token prompt agent provider
message conversation search context history session setting option network
socket packet latency bandwidth timeout retry backoff payload header cookie
schema record field integer float boolean array dictionary tuple class method
object module package import export script command terminal shell process
kernel driver device storage disk folder directory path archive backup
restore deploy release branch commit merge rebase review patch diff compile
linker library binary runtime compiler syntax parser lexer grammar tree node
graph edge vertex matrix vector tensor gradient epoch batch sample dataset
training inference embedding attention layer weight bias activation
optimizer scheduler benchmark profile metric counter gauge histogram trace
span log warning exception traceback stack frame heap pointer reference
garbage allocation buffer chunk block page segment partition shard replica
cluster container image volume secret credential permission role policy
account password login logout email address phone invoice payment order
customer product price discount shipping delivery warehouse inventory report
chart dashboard summary analysis forecast budget revenue expense quarter
meeting schedule calendar reminder deadline project milestone task ticket
priority owner team manager design draft document chapter section paragraph
sentence translation language english german french spanish recipe kitchen
garden weather travel flight hotel museum city river mountain coffee breakfast
""".split()

_CODE = """
config.yaml get_user_id() self.cache --verbose HTTP/1.1 0x1f i+=1 np.array
async_def {"ok":true} ~/.config/agentdesk __init__.py os.path.join() SIGTERM
max_tokens=2048 user@example.com https://example.org/api/v1 SELECT_*_FROM
std::vector<int> #include<stdio.h> fn_main() git_rebase_-i pip_install
README.md Cargo.toml 127.0.0.1:8080 UTF-8 O(n_log_n) assert_eq! TODO(jane)
list.append(x) dict.get(key) await_asyncio.sleep(0) x86_64 arm64 sha256sum
""".split()

_NON_ASCII = """
café naïve résumé Straße Größe façade señor jalapeño Ångström smörgåsbord
東京 日本語 検索 数据库 中文 Привет данные поиск Ελληνικά αναζήτηση العربية
שלום 한국어 ✓ → … 😀 🚀 °C µs ±5% €20 ½ Zürich São_Paulo Kraków
""".split()

_ONSETS = ["b", "br", "c", "ch", "d", "dr", "f", "fl", "g", "gr", "h", "j", "k",
           "l", "m", "n", "p", "pl", "qu", "r", "s", "sh", "sk", "st", "t", "tr",
           "v", "w", "z"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"]
_CODAS = ["", "", "n", "r", "s", "l", "m", "t", "nd", "rk", "st", "x"]


def _pseudo_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    words: list[str] = []
    while len(words) < count:
        syllables = rng.choice((1, 2, 2, 2, 3))
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                       for _ in range(syllables))
        # Keep the measured terms unambiguous for the prefix query "term"*.
        if word in taken or word.startswith((SEARCH_TERM, COMMON_TERM)):
            continue
        taken.add(word)
        words.append(word)
    return words


def _expected_share(weight: float, total: float, words_per_message: float) -> float:
    per_token = weight / total
    return 1.0 - (1.0 - per_token) ** words_per_message


class Corpus:
    """Deterministic message text for one seed."""

    MEAN_WORDS = 40.0  # rough mean over user and assistant messages

    def __init__(self, seed: int = 20240601) -> None:
        rng = random.Random(seed)
        self._rng = random.Random(seed + 1)
        head = list(dict.fromkeys(_ENGLISH + _TOPICAL))
        head = [w for w in head if w not in (SEARCH_TERM,)]
        taken = set(head) | set(_CODE) | set(_NON_ASCII) | {SEARCH_TERM}
        tail = _pseudo_words(rng, VOCABULARY_SIZE - len(head) - len(_CODE)
                             - len(_NON_ASCII) - 1, taken)
        vocab = head + tail
        # Scatter code and non-ASCII tokens over the middle and tail ranks.
        for token in _CODE + _NON_ASCII:
            vocab.insert(rng.randrange(60, len(vocab)), token)
        weights = [1.0 / (rank ** ZIPF_EXPONENT) for rank in range(1, len(vocab) + 2)]
        total = sum(weights)
        ranks = range(len(vocab) + 1)
        target_rank = min(ranks, key=lambda r: abs(
            _expected_share(weights[r], total, self.MEAN_WORDS) - SEARCH_TARGET_SHARE))
        vocab.insert(target_rank, SEARCH_TERM)
        self.vocabulary = vocab
        self.search_term_rank = target_rank + 1
        self._cum = list(itertools.accumulate(weights))
        self._code = _CODE

    def _words(self, count: int) -> list[str]:
        return self._rng.choices(self.vocabulary, cum_weights=self._cum, k=count)

    def _prose(self, words: int) -> str:
        rng = self._rng
        tokens = self._words(words)
        out: list[str] = []
        i = 0
        while i < len(tokens):
            length = rng.randint(5, 17)
            sentence = tokens[i:i + length]
            i += length
            if len(sentence) > 6 and rng.random() < 0.4:
                sentence[rng.randrange(2, len(sentence) - 2)] += ","
            sentence[0] = sentence[0][:1].upper() + sentence[0][1:]
            out.append(" ".join(sentence) + rng.choice(".....?!"))
        return " ".join(out)

    def _code_block(self) -> str:
        rng = self._rng
        lines = []
        for _ in range(rng.randint(2, 8)):
            indent = "    " * rng.randint(0, 2)
            parts = rng.sample(self._code, 2) + self._words(rng.randint(1, 4))
            lines.append(indent + " ".join(parts))
        return "```python\n" + "\n".join(lines) + "\n```"

    def title(self) -> str:
        """A short conversation title."""
        words = self._words(self._rng.randint(2, 6))
        return " ".join(words)[:1].upper() + " ".join(words)[1:]

    def user_text(self) -> str:
        """A question or instruction: short, sometimes a pasted snippet."""
        words = max(3, int(self._rng.lognormvariate(2.9, 0.6)))  # median ~18
        text = self._prose(words)
        if self._rng.random() < 0.05:
            text += "\n\n" + self._code_block()
        return text

    def assistant_text(self) -> str:
        """An answer: longer prose, paragraphs, often a code block."""
        rng = self._rng
        words = max(5, int(rng.lognormvariate(3.9, 0.6)))  # median ~50
        paragraphs = [self._prose(part) for part in _split(rng, words)]
        if rng.random() < 0.25:
            paragraphs.insert(rng.randint(1, len(paragraphs)), self._code_block())
        return "\n\n".join(paragraphs)


def _split(rng: random.Random, words: int) -> list[int]:
    """Split a word count into paragraphs of 20–80 words."""
    parts = []
    while words > 0:
        part = min(words, rng.randint(20, 80))
        parts.append(part)
        words -= part
    return parts


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 100)) - 1))
    return ordered[index]


__all__ = ["COMMON_TERM", "SEARCH_TERM", "Corpus", "percentile"]
