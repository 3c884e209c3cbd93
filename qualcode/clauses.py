"""Clauses, and what the clause around a rule match says about it.

A phrase can be in the text without being said of the respondent's life: "we did not take
anything in credit" (negated five words away), "Will I go back to Shymkent?" (asked),
"people expect me to say there was no work" (others' words), "if there had been work"
(hypothetical), "my cousin lost his job" (someone else's situation). The rule engine
(`qualcode.autocode`) asks this module about each match, in its clause.

A clause here is cheap and rule-based, no parser: a sentence is cut at punctuation
(, ; : dashes, brackets, quotes), before subordinators and contrastive conjunctions
(because, if, which, but; потому, если, который, но, а) and before "and"/"и" when a
subject follows ("and we", "и мы"). natasha's syntax parser was measured as the
alternative for Russian (BENCHMARKS.md): about 7,500 words/s, eight times slower than
first coding, and its trees attach "а у нас работы не было" under "говорит" in "брат
говорит, что…, а у нас…", which is the very distinction needed here.

Everything works on an `Analysis` (tokens, lowercase forms, lemmas, sentences) and is
computed only around matches, so it adds nothing to analysing a corpus.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, fields

import numpy as np

from qualcode.nlp import Analysis


def _w(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Grammar:
    """The closed word classes one language needs for clauses and their roles."""

    starters: frozenset[str]  # always begin a clause (lowercase forms)
    joiners: frozenset[str]  # begin a clause only when a subject-like word follows
    subject_like: frozenset[str]  # what makes a joiner start a clause
    contrast: frozenset[str]  # a clause starting with these is not governed by the one before
    not_negating: frozenset[str]  # a cue followed by these does not negate ("not only")
    question_words: frozenset[str]  # a sentence ending in "?" and starting with these is a question
    question_particles: frozenset[str]  # anywhere in the clause: a question ("ли")
    conditional: frozenset[str]  # open a hypothetical clause ("if", "если")
    not_conditional: frozenset[str]  # after a conditional, a set phrase ("если честно": honestly)
    modal: frozenset[str]  # a main clause after "if…" is hypothetical only with one ("would", "бы")
    irrealis: frozenset[str]  # mark the clause they are in as unreal ("бы", "wish")
    irrealis_pairs: tuple[tuple[str, str], ...]  # two-word markers ("would have", "as if")
    pair_blockers: frozenset[str]  # right after a two-word marker, undo it ("so that's how": no purpose)
    hearsay: frozenset[str]  # words that mark reported speech by themselves ("якобы", "supposedly")
    speech_lemmas: frozenset[str]  # verbs of saying and expecting: reported unless "I" or "we" say it
    speech_skip: frozenset[str]  # between a subject and its verb ("my cousin keeps saying")
    first_person_endings: tuple[str, ...]  # a speech verb form without a subject that is "I" or "we"
    past_endings: tuple[str, ...]  # past forms, which do not show the person (думал: I or he)
    verb_lemma_endings: tuple[str, ...]  # infinitives: a lemma that is a verb ("брать", "мочь")
    self_words: frozenset[str]  # the respondent and their household (lemmas)
    self_subjects: frozenset[str]  # "I", "we" (forms): the respondent's own statement begins here
    other_words: frozenset[str]  # other people (lemmas)
    transparent: frozenset[str]  # he/she: refers back to the nearest person named before
    companions: frozenset[str]  # "with": "мы с братом" is still "мы"


GRAMMARS: dict[str, Grammar] = {
    "en": Grammar(
        starters=_w("because but although though whereas while unless if whether why where when how which who "
                    "whom whose however cause 'cause"),
        joiners=_w("and or so then that"),
        subject_like=_w("i we you he she it they there the a an my our his her their this these those people "
                        "everyone nobody someone everybody somebody"),
        contrast=_w("but however although though whereas"),
        not_negating=_w("only just"),
        question_words=_w("what why how when where who whom which whose will would shall should can could do does "
                          "did is are was were have has had am may might must"),
        question_particles=frozenset(),
        conditional=_w("if unless whether"),
        not_conditional=_w("anything"),
        modal=_w("would 'd will 'll might could should"),
        irrealis=_w("wish imagine suppose supposing pretend"),
        irrealis_pairs=(("would", "have"), ("would", "'ve"), ("could", "have"), ("could", "'ve"),
                        ("should", "have"), ("should", "'ve"), ("as", "if"), ("as", "though"), ("'d", "have"),
                        ("would", "be"), ("'d", "be"), ("would", "like"), ("'d", "like"), ("would", "love"),
                        ("'d", "love"), ("i", "want"), ("we", "want"), ("i", "hope"), ("we", "hope"),
                        ("i", "dream"), ("we", "dream"), ("so", "that"), ("order", "to")),
        pair_blockers=_w("'s is was 's were"),
        hearsay=_w("supposedly allegedly apparently reportedly rumour rumor"),
        speech_lemmas=_w("say tell expect claim think believe assume"),
        speech_skip=_w("always also just often never even still keep keeps kept 'd would will 'll do did does can "
                       "could usually"),
        first_person_endings=(),
        past_endings=(),
        verb_lemma_endings=(),
        self_words=_w("i we me us myself ourselves husband wife son daughter child kid family parent mother father "
                      "mum mom dad spouse"),
        self_subjects=_w("i we"),
        other_words=_w("they cousin brother sister neighbour neighbor friend uncle aunt relative people everyone "
                       "everybody others colleague acquaintance classmate nephew niece somebody someone many "
                       "guy man woman ones newcomers guys folks lads"),
        transparent=_w("he she"),
        companions=_w("with through"),
    ),
    "ru": Grammar(
        starters=_w("потому поэтому но зато однако если когда хотя чтобы который которая которое которые которого "
                    "которой которую которых которым где куда откуда пока ведь будто словно"),
        joiners=_w("и или да а что так"),
        subject_like=_w("я мы ты вы он она оно они у там тогда потом это все люди мне нам им ему ей нас меня"),
        contrast=_w("но зато однако а"),
        not_negating=_w("только лишь"),
        question_words=_w("что почему зачем как когда где куда откуда кто какой какая какое какие чей разве неужели "
                          "сколько"),
        question_particles=_w("ли"),
        conditional=_w("если"),
        not_conditional=_w("честно откровенно что"),
        modal=_w("бы б"),
        # чтобы = что + бы: a purpose or a wish ("хочу, чтобы работа была официальной"), not a fact
        irrealis=_w("бы б чтобы чтоб хочу хотим хочется хотелось мечтаю мечтаем мечта надеюсь надеемся"),
        irrealis_pairs=(("как", "будто"), ("если", "бы")),
        pair_blockers=frozenset(),
        hearsay=_w("якобы мол дескать будто"),
        speech_lemmas=_w("говорить сказать рассказывать рассказать ждать ожидать считать думать утверждать"),
        speech_skip=frozenset(),
        first_person_endings=("ю", "у", "ем", "им", "ём"),
        past_endings=("л", "ла", "ло", "ли"),
        verb_lemma_endings=("ть", "ти", "чь", "ться", "тись", "чься"),
        self_words=_w("я мы муж жена сын дочь ребенок дети семья родитель мама папа мать отец супруг супруга"),
        self_subjects=_w("я мы"),
        other_words=_w("они брат сестра сосед соседка друг подруга дядя тетя родственник родственница знакомый "
                       "знакомая люди многие кто-то некоторые коллега одноклассник племянник племянница кузен "
                       "односельчанин новенький приезжий парень мужик ребята"),
        transparent=_w("он она"),
        companions=_w("с со через"),
    ),
}


_RU_PREPOSITIONS = _w("после до из-за без в во на с со у к по за от для при через перед о об")
_RU_SUBJECTS = _w("я мы ты вы он она оно они")
_NE = frozenset({"не"})
# Whether a string is punctuation, kept across analyses (a corpus repeats its words).
_PUNCT_CACHE: dict[str, bool] = {}

# How far (in tokens) from a match its clause, subject or reported-speech verb is looked for.
REACH = 40

# "…или нет", "…or not": the alternative of a question or a choice, not a negation.
ALTERNATIVE = frozenset({"or", "или", "әлде"})

# "Официально — нет.", "A contract? No.": the thing named, then a dash and a bare "no" that ends
# the sentence or clause, is denied; the dash cuts the clause, so the cue is looked for past it.
DASHES = frozenset({"—", "–", "-", "--"})

# Purpose ("so that we…", "in order to…") makes only its own clause unreal, not the next one.
PURPOSE = frozenset({("so", "that"), ("order", "to")})
ANSWER_NO = frozenset({"нет", "no", "never", "никогда", "nope"})

# Quotation marks: what stands between them in a turn is someone's quoted words ("My husband says:
# 'Sit at home'", «После испытательного оформлю») or a name («С дипломом — в село»), not the
# respondent's own account. « „ open, » ” close; " and “ open or close (“ closes „…“ in Russian).
QUOTE_OPEN = frozenset({"«", "„"})
QUOTE_CLOSE = frozenset({"»", "”"})
QUOTE_EITHER = frozenset({'"', "“"})
# A quote longer than this (in tokens) is taken for a stray mark, not a quotation.
QUOTE_REACH = 150


def grammar(lang: str) -> Grammar | None:
    """The language's grammar, or None (Kazakh: clauses fall back to punctuation only)."""
    return GRAMMARS.get(lang)


# Kazakh (no grammar here): clauses end at punctuation only, and no word marks anything.
_PUNCT_ONLY = Grammar(**{f.name: () if f.type.startswith("tuple") else frozenset() for f in fields(Grammar)})


class Clauses:
    """Clause questions about one analysis of one language, answered around single matches.

    `qualcode.match_filter` asks these only for the matches where each question's first look (the
    marker test before any work: '?', cues, "если"/"бы", quotes and speech verbs, people) finds
    something: a new way for a question to answer must be added to that filter too (its test fails
    otherwise only if the corpora show the case)."""

    def __init__(self, a: Analysis, lang: str) -> None:
        self.a = a
        self.g = GRAMMARS.get(lang, _PUNCT_ONLY)
        self.strings = a.strings
        # Python lists and small caches: these questions look at a few dozen tokens per match,
        # where numpy's per-element access would cost more than the work itself.
        self.lower = a.lower.tolist()
        self.lemma = a.lemma.tolist()
        self.sent = a.sent.tolist()
        self._word: dict[int, bool] = {}
        self._clauses: dict[tuple[int, int], tuple[int, int]] = {}
        self._positions: dict[object, list[int]] = {}
        self._bounds: tuple[list[int], list[int]] | None = None
        self._piped: list[int] | None = None
        self._sentence_bounds: tuple[list[int], list[int]] | None = None
        self._turn: list[int] | None = None
        self._start: list[int] | None = None
        self._end: list[int] | None = None
        self._asks: dict[int, bool | None] = {}  # per sentence: see `question`
        self._quoted: tuple[list[int], list[int]] | None = None  # see `quoted`

    # --- tokens ---------------------------------------------------------------------------

    def form(self, j: int) -> str:
        return self.strings[self.lower[j]]

    def lemmas(self, j: int) -> list[str]:
        return self.strings[self.lemma[j]].split("|")

    def is_word(self, j: int) -> bool:
        k = self.lower[j]
        hit = self._word.get(k)
        if hit is None:
            hit = self._word[k] = any(ch.isalnum() for ch in self.strings[k].replace("'", "a"))
        return hit

    def positions(self, key: object, words: frozenset[str] | set[str]) -> list[int]:
        """Sorted positions of the tokens whose form or (first) lemma is one of `words`.

        Computed once per analysis with numpy, so each match asks only a bisection: the marker
        words are rare, and most matches have none near them."""
        hit = self._positions.get(key)
        if hit is None:
            hit = self._positions[key] = np.flatnonzero(self._token_mask(words)).tolist()
        return hit

    def _string_mask(self, words: frozenset[str] | set[str]) -> np.ndarray:
        """Per distinct string of the analysis: is it (or its first lemma) one of `words`?
        Looked up word by word, not string by string: the word lists are short."""
        index = self.a.index
        mask = np.zeros(len(self.strings), dtype=bool)
        mask[[index[w] for w in words if w in index]] = True
        if self._piped is None:  # strings with several equally likely lemmas ("найти|наслать")
            self._piped = [i for i, st in enumerate(self.strings) if "|" in st]
        for i in self._piped:
            if self.strings[i].split("|", 1)[0] in words:
                mask[i] = True
        return mask

    def _token_mask(self, words: frozenset[str] | set[str]) -> np.ndarray:
        mask = self._string_mask(words)
        return mask[self.a.lower] | mask[self.a.lemma]

    def _hypothetical_markers(self) -> list[int]:
        """Positions of "if"/"бы"-like words and of the first word of two-word markers ("would
        have", "I want") where the second follows: "I" alone is everywhere, "I want" is not."""
        g, lower = self.g, self.a.lower
        mask = self._token_mask(g.conditional | g.irrealis)
        firsts = {p[0] for p in g.irrealis_pairs}
        for first in firsts:
            seconds = frozenset(p[1] for p in g.irrealis_pairs if p[0] == first)
            a_mask = self._string_mask(frozenset({first}))[lower]
            b_mask = self._string_mask(seconds)[lower]
            if len(mask) > 1:
                mask[:-1] |= a_mask[:-1] & b_mask[1:]
        hit = self._positions["hypothetical"] = np.flatnonzero(mask).tolist()
        return hit

    @staticmethod
    def within(positions: list[int], a: int, b: int) -> list[int]:
        """The positions in [a, b)."""
        return positions[bisect_left(positions, a):bisect_left(positions, b)]

    def bounds(self) -> tuple[list[int], list[int]]:
        """Where clauses can start (after punctuation, at a starter or a joiner before a subject)
        and where they end (at punctuation or such a word), as sorted token positions."""
        if self._bounds is None:
            g, strings, a = self.g, self.strings, self.a
            punct_of = _PUNCT_CACHE if len(_PUNCT_CACHE) < 1_000_000 else {}
            is_punct = np.fromiter((punct_of[st] if st in punct_of else punct_of.setdefault(
                st, not any(ch.isalnum() for ch in st.replace("'", "a"))) for st in strings),
                dtype=bool, count=len(strings))
            punct = is_punct[a.lower]
            starter = self._string_mask(g.starters)[a.lower]
            joiner = self._string_mask(g.joiners)[a.lower]
            subject_like = self._string_mask(g.subject_like)[a.lower]
            opens = starter.copy()
            if len(opens) > 1:
                opens[:-1] |= joiner[:-1] & subject_like[1:] & (a.sent[:-1] == a.sent[1:])
            after_punct = np.zeros_like(punct)
            after_punct[1:] = punct[:-1]
            self._bounds = (np.flatnonzero(opens | after_punct).tolist(), np.flatnonzero(opens | punct).tolist())
        return self._bounds

    def sentence(self, j: int) -> tuple[int, int]:
        """First token and one past the last of j's sentence (`Analysis.sentence_tokens`), for all
        sentences at once on first use: two searchsorted calls instead of two per match."""
        if self._sentence_bounds is None:
            sent = self.a.sent
            ids = np.arange(int(sent[-1]) + 1 if len(sent) else 0)
            self._sentence_bounds = (np.searchsorted(sent, ids, "left").tolist(),
                                     np.searchsorted(sent, ids, "right").tolist())
        sent = self.sent[j]
        firsts, ends = self._sentence_bounds
        return firsts[sent], ends[sent]

    @property
    def turn(self) -> list[int]:
        """Each token's turn, as a list (per-token access from Python)."""
        if self._turn is None:
            self._turn = self.a.turn.tolist()
        return self._turn

    @property
    def start(self) -> list[int]:
        """Each token's first character, as a list."""
        if self._start is None:
            self._start = self.a.start.tolist()
        return self._start

    @property
    def end(self) -> list[int]:
        """Each token's end character, as a list."""
        if self._end is None:
            self._end = self.a.end.tolist()
        return self._end

    def reach(self, j: int) -> tuple[int, int]:
        """The part of j's sentence these questions look at: at most REACH tokens either side.

        A transcript without punctuation (raw speech recognition) is one endless sentence;
        unbounded, every match would scan all of it, and coding would take quadratic time."""
        first, end = self.sentence(j)
        return max(first, j - REACH), min(end, j + REACH + 1)

    def starts_clause(self, j: int, first: int, end: int) -> bool:
        """Whether word j begins a clause (punctuation before it is handled by the caller)."""
        if j <= first:
            return True
        f = self.form(j)
        if f in self.g.starters:
            return True
        if f in self.g.joiners and j + 1 < end:
            return self.form(j + 1) in self.g.subject_like
        return False

    # --- clauses --------------------------------------------------------------------------

    def clause(self, s: int, t: int) -> tuple[int, int]:
        """The clause around tokens [s, t): its first token and one past its last, in the sentence.

        A match that spans a boundary ("no work, no money") keeps both sides."""
        hit = self._clauses.get((s, t))
        if hit is None:
            hit = self._clauses[(s, t)] = self._clause(s, t)
        return hit

    def _clause(self, s: int, t: int) -> tuple[int, int]:
        first, end = self.reach(s)
        starts, ends = self.bounds()
        i = bisect_right(starts, s) - 1  # the last clause start at or before s
        cs = max(first, starts[i]) if i >= 0 else first
        i = bisect_left(ends, t)  # the first boundary at or after t
        ce = min(end, ends[i]) if i < len(ends) else end
        return cs, ce

    def previous_clause(self, cs: int) -> tuple[int, int] | None:
        """The clause before the one starting at `cs`, in the same sentence (skipping punctuation)."""
        first, _end = self.reach(cs)
        j = cs - 1
        while j >= first and not self.is_word(j):
            j -= 1
        if j < first:
            return None
        return self.clause(j, j + 1)

    # --- the questions the engine asks ------------------------------------------------------

    def negation(self, s: int, t: int, cues: set[str], after: int) -> str | None:
        """A cue anywhere before the match in its clause, or within `after` tokens after it."""
        where = self._positions.get(("cues", id(cues)))
        if where is None:
            where = self.positions(("cues", id(cues)), cues)
        first, end = self.reach(s)
        ne = self.positions("не", _NE) if self.g.verb_lemma_endings else []
        if not self.within(where, first, min(end, t + max(after, 2))) and not self.within(ne, t, end):
            return None  # no cue near: the clause need not be found
        if (answer := self.answered_no(t, end)) is not None:
            return answer
        cs, ce = self.clause(s, t)
        for j in [*reversed(self.within(where, cs, s)), *self.within(where, t, min(ce, t + after))]:
            form = self.form(j)
            if form in cues or self.lemmas(j)[0] in cues:
                if j + 1 < len(self.lower) and self.form(j + 1) in self.g.not_negating:
                    continue
                if j > 0 and self.form(j - 1) in ALTERNATIVE:
                    continue
                return f"negation: '{form}' {'before' if j < s else 'after'} the match"
        if self.g.verb_lemma_endings:
            # Russian puts the negated verb after its object ("кредит мы не брали", "денег мне не
            # дали"): "не" right before a verb later in the clause negates the match too.
            # But a match after a preposition is a circumstance of the clause's subject ("После
            # развода я не могла…": the divorce happened), so a subject between them ends the scan.
            adjunct = s > 0 and self.form(s - 1) in _RU_PREPOSITIONS
            stop = min(ce, t + 4) - 1
            for j in self.within(self.positions("не", _NE), t, stop):
                if adjunct and any(self.form(k) in _RU_SUBJECTS for k in range(t, j)):
                    break
                if self.lemmas(j + 1)[0].endswith(self.g.verb_lemma_endings):
                    return f"negation: 'не {self.form(j + 1)}' after the match"
        return None

    def answered_no(self, t: int, end: int) -> str | None:
        """"Официально — нет.": a dash right after the match, then a bare "no" that ends its clause."""
        if (t + 1 < end and self.form(t) in DASHES and self.form(t + 1) in ANSWER_NO
                and (t + 2 >= end or not self.is_word(t + 2))):
            return f"negation: '{self.form(t)} {self.form(t + 1)}' answers the match"
        return None

    def question(self, s: int, t: int) -> str | None:
        """The match is in a question: its sentence ends with "?" and the match is in the clause
        that asks (the last one, or the whole sentence when it opens with a question word)."""
        first, end = self.sentence(s)
        # Per sentence (many matches share one): None when it does not end with "?", else
        # whether it opens with a question word.
        sent = self.sent[s]
        if sent in self._asks:
            opener = self._asks[sent]
        else:
            opener = None
            if self.form(end - 1).endswith("?"):
                opens = next((j for j in range(first, min(end, first + REACH)) if self.is_word(j)), first)
                opener = self.form(opens) in self.g.question_words
            self._asks[sent] = opener
        if opener is None:
            return None
        asked = opener
        if not asked:
            cs, ce = self.clause(s, t)
            asked = any(self.form(j) in self.g.question_particles for j in range(cs, ce))
        if not asked:
            # The last stretch between punctuation marks is what asks ("We had debts, you know?" tells).
            asked = end - 1 - t <= REACH and all(self.is_word(j) for j in range(t, end - 1))
        return "question: the sentence asks, it does not tell" if asked else None

    def hypothetical(self, s: int, t: int) -> str | None:
        """Under a condition ("if…", "если…") or an unreal mood ("бы", "would have", "wish")."""
        g = self.g
        first, end = self.reach(s)
        markers = self._positions.get("hypothetical")
        if markers is None:
            markers = self._hypothetical_markers()
        if not self.within(markers, first, end):
            return None  # no marker word anywhere near: most matches end here
        cs, ce = self.clause(s, t)
        scopes = [(cs, ce)]
        prev = self.previous_clause(cs)
        if prev is not None and self.form(cs) not in g.contrast:
            scopes.append(prev)  # "If I had money, I would…": the condition is the clause before
        modal = any(self.form(j) in g.modal for j in range(cs, ce))
        if cs > first and (self.form(cs - 1), self.form(cs)) in g.irrealis_pairs and not (
                cs + 1 < end and self.form(cs + 1) in g.pair_blockers):
            return f"hypothetical: '{self.form(cs - 1)} {self.form(cs)}'"  # "so | that we…": the clause opens at "that"
        for n, (a, b) in enumerate(scopes):
            for j in range(a, b):
                f = self.form(j)
                conditional = f in g.conditional and not (j + 1 < b and self.form(j + 1) in g.not_conditional)
                if n == 0 and (f in g.irrealis or (conditional and j < s)):
                    return f"hypothetical: '{f}' in the clause"
                if n == 1 and j == a and conditional and modal:
                    return f"hypothetical: '{f}' clause before the match"
                if j + 1 < b and (f, self.form(j + 1)) in g.irrealis_pairs:
                    if j + 2 < len(self.lower) and self.form(j + 2) in g.pair_blockers:
                        continue  # "so that's how we came": no purpose
                    # "would have", "would be" mark the whole clause, even after the match ("the
                    # programme would be the right thing"); "I want", "as if" only what follows them
                    if (n == 1 and (f, self.form(j + 1)) not in PURPOSE) or (n == 0 and (j < s or f in g.modal)):
                        return f"hypothetical: '{f} {self.form(j + 1)}'"
        return None

    def quoted_spans(self) -> tuple[list[int], list[int]]:
        """The token ranges [start, end) between a pair of quotation marks in one turn, sorted,
        found once per analysis from the (rare) quote tokens. An unclosed mark, or a pair more
        than QUOTE_REACH tokens apart, is a stray mark and quotes nothing."""
        if self._quoted is None:
            starts: list[int] = []
            ends: list[int] = []
            marks = self.positions("quotes", QUOTE_OPEN | QUOTE_CLOSE | QUOTE_EITHER)
            turn = self.turn
            opened: int | None = None
            for j in marks:
                f = self.form(j)
                if opened is not None and turn[opened] != turn[j]:
                    opened = None  # a quote does not run into the next turn
                if opened is None:
                    if f in QUOTE_OPEN or f in QUOTE_EITHER:
                        opened = j
                elif f in QUOTE_CLOSE or f in QUOTE_EITHER:
                    if j - opened <= QUOTE_REACH:
                        starts.append(opened + 1)
                        ends.append(j)
                    opened = None
            self._quoted = (starts, ends)
        return self._quoted

    def quoted(self, s: int) -> bool:
        """Whether token s stands between quotation marks in its turn."""
        starts, ends = self.quoted_spans()
        i = bisect_right(starts, s) - 1
        return i >= 0 and s < ends[i]

    def quoted_many(self, s: np.ndarray) -> np.ndarray:
        """`quoted` for an array of tokens at once (a pre-filter of matches can ask it)."""
        starts, ends = self.quoted_spans()
        if not starts:
            return np.zeros(len(s), dtype=bool)
        i = np.searchsorted(np.asarray(starts), s, "right") - 1
        return (i >= 0) & (s < np.asarray(ends)[np.maximum(i, 0)])

    def reported(self, s: int, t: int) -> str | None:
        """In others' reported words: "people say…", "they expect me to say…", "говорят, что…",
        or quoted between quotation marks ("He said: 'you stay alone'", «…оформлю»)."""
        g = self.g
        if self.quoted(s):
            return "reported: between quotation marks (quoted words or a name)"
        first, end = self.reach(s)
        markers = self._positions.get("reported")
        if markers is None:
            markers = self.positions("reported", g.hearsay | g.speech_lemmas)
        if not self.within(markers, first, s):
            return None
        for j in range(s - 1, first - 1, -1):
            if not self.is_word(j):
                continue
            f = self.form(j)
            if f in g.hearsay:
                return f"reported: '{f}'"
            if (self.lemmas(j)[0] in g.speech_lemmas or f in g.speech_lemmas) and self.speaker(j) == "other":
                return f"reported: '{f}' (not the respondent's own words)"
            if f in g.contrast and self.starts_clause(j, first, end):
                break  # "…, but we found work": what follows a contrast is the speaker's own
            if f in g.self_subjects:
                break  # "говорят…, а мы копим": the respondent speaks for themselves again
        return None

    def speaker(self, j: int) -> str | None:
        """Who says (expects, thinks) with the speech verb at j: 'self' for "I"/"we" or the household
        ("my husband says we stay"), 'other' for anyone else, None when it is no finite verb
        ("expect me to say": "to say" is nobody's).

        English: the word before the verb (past adverbs and auxiliaries: "my cousin keeps saying").
        Russian, with its free word order and dropped pronouns: я/мы in the verb's clause, or a
        first-person ending (говорю, скажем), make it the respondent's; otherwise it is another's
        ("говорят", "брат говорил", "сказал: приезжай")."""
        g = self.g
        first, _end = self.reach(j)
        if g.first_person_endings:
            cs, ce = self.clause(j, j + 1)
            near = range(cs, min(ce, j + 3))
            if any(self.form(k) in g.self_subjects or self.lemmas(k)[0] in g.self_words for k in near):
                return "self"  # I, we, or the household ("муж говорит"): the household's own account
            form = self.form(j)
            if form.endswith(g.first_person_endings):
                return "self"
            if form.endswith(g.past_endings):  # сказал: I, he or she; the person named before decides
                k = j - 1
                while k >= first:
                    f, lemma = self.form(k), self.lemmas(k)[0]
                    if f in g.self_words or lemma in g.self_words:
                        return "self"
                    if f in g.other_words or lemma in g.other_words or f in g.transparent or lemma in g.transparent:
                        return "other"
                    k -= 1
                return None
            return "other"
        k = j - 1
        while k >= first and self.form(k) in g.speech_skip:
            k -= 1
        if k < first or not self.is_word(k):
            return None
        if self.form(k) == "to":
            return None
        return "self" if self.form(k) in g.self_words or self.lemmas(k)[0] in g.self_words else "other"

    def subject(self, j: int) -> str | None:
        """Whose clause word j is in: 'self', 'other' or None (no person named before it).

        The nearest person word before j in the sentence decides; he/she defer to the person
        named before them ("my cousin says he…" is the cousin; "my husband… he" the household);
        a person after "with" ("мы с братом") is company, not the subject."""
        g = self.g
        first, _end = self.reach(j)
        people = self.positions("people", g.self_words | g.other_words | g.transparent)
        for k in reversed(self.within(people, first, j)):
            # a person after "with"/"through" ("мы с братом", "через знакомого брата") is company
            if any(self.form(c) in g.companions for c in range(max(first, k - 2), k)):
                continue
            f = self.form(k)
            lemma = self.lemmas(k)[0]
            if f in g.transparent or lemma in g.transparent:
                continue
            if f in g.self_words or lemma in g.self_words:
                return "self"
            if f in g.other_words or lemma in g.other_words:
                return "other"
        return None

    def other_person(self, s: int, t: int) -> str | None:
        """The match is about someone else: the nearest person before it is another person
        ("my cousin lost his job", "у брата долги"), or one inside the match's clause is."""
        who = self.subject(s)
        if who == "other":
            return "someone else: the clause is about another person, not the respondent's household"
        return None
