"""The closed word classes each language's clause rules need (`qualcode.clauses`).

A `Grammar` lists, per language, the words that start or join clauses, mark questions,
conditions, unreal moods, reported speech, and name the respondent's household or other
people. Kazakh has none here: its clauses end at punctuation only.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


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



# How far (in tokens) from a match its clause, subject or reported-speech verb is looked for.
REACH = 40


def grammar(lang: str) -> Grammar | None:
    """The language's grammar, or None (Kazakh: clauses fall back to punctuation only)."""
    return GRAMMARS.get(lang)


# Kazakh (no grammar here): clauses end at punctuation only, and no word marks anything.
_PUNCT_ONLY = Grammar(**{f.name: () if f.type.startswith("tuple") else frozenset() for f in fields(Grammar)})
