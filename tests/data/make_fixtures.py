"""Generate the small, synthetic input files used by the transcript-importer tests.

Every file in ``tests/data/`` except this script and ``README.md`` is made here,
from Python literals only: no network, no randomness except a fixed-seed hash
stream, fixed dates in all document metadata, and fixed timestamps inside every
ZIP container (docx, xlsx, odt). Running the script again rewrites the files with
the same bytes (given the same library versions and zlib).

All people, places-as-biographies and answers are fictional. Where a format has
metadata (docx/xlsx/odt/pdf properties, YAML front matter, WebVTT header/NOTE) it
is marked SYNTHETIC.

The expected import result for every file (turns, speakers, roles, timestamps,
error codes) is listed in ``README.md`` next to this script. If you change a
literal here, update that file too.

Usage (from the repository root)::

    .venv/bin/python tests/data/make_fixtures.py            # write + verify
    .venv/bin/python tests/data/make_fixtures.py --no-verify

Needs (dev only): python-docx, odfpy, fpdf2, openpyxl; verification also uses
pypdf and PyYAML.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import sys
import unicodedata
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

FIXED_DATETIME = dt.datetime(2024, 1, 15, 12, 0, 0)
FIXED_ZIP_TIME = (2024, 1, 15, 12, 0, 0)
SYNTHETIC_NOTE = "SYNTHETIC test fixture for qualcode. Fictional people; not a real interview."
AUTHOR = "qualcode test fixtures"
NOT_FIXTURES = {"make_fixtures.py", "README.md"}


# --------------------------------------------------------------------------- helpers


def write_text(name: str, text: str, encoding: str, newline: str = "\n", bom: bytes = b"") -> Path:
    """Write `text` (written with '\\n') using `newline` and `encoding`; strict, so any
    character the encoding cannot hold is an error here rather than a silent '?'."""
    path = HERE / name
    data = text.replace("\n", newline).encode(encoding, errors="strict")
    path.write_bytes(bom + data)
    return path


def lines(*items: str) -> str:
    """Join lines with '\\n' and end with one '\\n'."""
    return "\n".join(items) + "\n"


def normalize_zip(path: Path) -> None:
    """Rewrite a ZIP container with fixed entry timestamps and attributes, keeping the
    entry order and each entry's compression (ODF needs `mimetype` first and stored)."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info.filename)) for info in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for info, data in entries:
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = info.compress_type
            zi.create_system = 3
            zi.external_attr = 0o100644 << 16
            zout.writestr(zi, data)
    path.write_bytes(buf.getvalue())


def pseudo_random_bytes(n: int, seed: bytes) -> bytes:
    """Deterministic bytes from SHA-256 in counter mode; every 61st byte forced to NUL."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    out = out[:n]
    for i in range(0, n, 61):
        out[i] = 0
    return bytes(out)


# --------------------------------------------------------------------------- plain-text transcripts

CP1251_RU = lines(
    "Интервьюер: Расскажите, пожалуйста, почему вы решили переехать из Шымкента в Петропавловск?",
    "",
    "Респондент: В Шымкенте у меня не было постоянной работы. Двоюродный брат сказал, что на севере "
    "нужны сварщики, и весной 2018 года я поехал к нему.",
    "",
    "Первые полгода жил у брата, потом мы с женой сняли квартиру на улице «Интернациональная».",
    "",
    "Интервьюер: Что было самым трудным в первый год?",
    "",
    "Респондент: Зима — минус тридцать пять, а у меня не было нормальной куртки. И язык: на работе все "
    "говорят по-русски, а я лучше говорю по-казахски.",
    "",
    "Интервьюер: Спасибо, на сегодня это всё.",
)

KOI8R_RU = lines(
    "И: Когда вы переехали в Павлодар?",
    "Р: Весной 2020 года, сразу после карантина. Мы ехали на поезде почти двое суток.",
    "И: Почему именно Павлодар?",
    "Р: Там работала программа переселения: дали подъёмные и помогли с арендой. Мама сначала была "
    "против, но потом согласилась.",
    "И: А дети быстро привыкли?",
    "Р: Младший да, а старшая до сих пор скучает по бабушке в Туркестане.",
)

CP866_RU = lines(
    "Интервьюер: Как вы нашли работу в Усть-Каменогорске?",
    "Респондент: Через знакомых из нашего села под Жетысаем. Они уже работали на заводе и позвали меня.",
    "Интервьюер: Вы переехали один или с семьёй?",
    "Респондент: Сначала один. Жена с детьми приехала через год, когда мне дали комнату в общежитии.",
    "Интервьюер: Вы думаете вернуться на юг?",
    "Респондент: Пока нет. Может быть, на пенсии.",
)

UTF16_EN = lines(
    "Interviewer: Where did you live before moving north?",
    "Respondent: In a village near Kyzylorda. My parents grew rice there.",
    "Interviewer: And why did you leave?",
    "Respondent: The water was getting worse every year, and there were no jobs for young people. "
    "I moved to Kostanay in 2016.",
    "Interviewer: Do you still visit the village?",
    "Respondent: Every summer, for two weeks.",
)

# "cafe" + COMBINING ACUTE ACCENT (U+0301): NFD on disk, must become NFC "café" (U+00E9).
CAFE_DECOMPOSED = "cafe\u0301"
assert unicodedata.normalize("NFC", CAFE_DECOMPOSED) == "caf\u00e9"
UTF8_BOM_CRLF_EN = lines(
    "I: What do you do in Astana now?",
    f"R: I work at a small {CAFE_DECOMPOSED} near the railway station. The owner is also from Shymkent, "
    "so we speak Kazakh at work \U0001f642",
    "I: Was it hard to find housing?",
    "R: Very hard. The first landlord asked for three months in advance.",
)

FRONTMATTER_EN_MD = lines(
    "---",
    "case: T01",
    "language: en",
    "gender: female",
    "age: 34",
    "moved: 2019-05-01",
    "region: Turkistan",
    "synthetic: true",
    "---",
    "",
    "# Interview T01 - from Turkistan to Petropavl",
    "",
    "**Interviewer:** How did you decide to move?",
    "",
    "**Respondent:** My husband found a job at the meat factory in Petropavl. We sold our house in "
    "Turkistan in April and left in May.",
    "",
    "**Interviewer:** How did your children take it?",
    "",
    "**Respondent:** The older one cried the whole way. Now she says she likes the snow.",
)

TIMESTAMPS_TXT = lines(
    "[00:03:15] Interviewer: When did you first think about moving?",
    "00:03:40 Respondent: After my brother moved to Pavlodar in 2015. He kept calling and saying there "
    "was work.",
    "Interviewer (00:05): Did he help you when you arrived?",
    "Respondent [00:05:20]: Yes, I lived with him for four months.",
    "Interviewer: [01:02:03] Looking back now, was it the right decision?",
    "(00:06) Respondent: I think so. My children have better schools here.",
)

NAMED_SPEAKERS_TXT = lines(
    "Aliya: Nurlan, thank you for agreeing to talk. Where are you from originally?",
    "Nurlan: I was born in Saryagash, in the far south, close to the Uzbek border. My family has lived "
    "there for three generations, and most of my relatives still do. When I finished college there was "
    "simply nothing for me to do, so I sold phones at the bazaar for a few years.",
    "Aliya: What made you finally leave?",
    "Nurlan: It was my uncle, really. He had moved to Kokshetau in the nineties and kept telling us how "
    "different life was there.",
    "My uncle said: come north. There is land, there are jobs, and nobody asks who your grandfather was.",
    "So in 2017 I packed one bag and took the train.",
    "Aliya: How did your parents react?",
    "Nurlan: My father was quiet for a week. Then he gave me money for the ticket and told me to call "
    "every Sunday. I still do.",
)

OTTER_STYLE_TXT = lines(
    "Speaker 1  0:03",
    "So, to start, can you tell me when you moved to Pavlodar?",
    "",
    "Speaker 2  0:09",
    "It was in 2019. In September, I think. Yes, September,",
    "because my daughter started school there.",
    "",
    "Speaker 1  0:21",
    "And where did you live before that?",
    "",
    "Speaker 2  0:24",
    "In Kentau, in Turkistan region. My husband worked at the mine until it closed.",
    "",
    "Speaker 1  1:02",
    "What was the hardest part of the move?",
    "",
    "Speaker 2  1:05",
    "Finding a flat. Nobody wanted to rent to a family with three children.",
)

KAZAKH_KK = lines(
    "Сұхбат алушы: Сіз Түркістаннан Петропавлға қашан көштіңіз?",
    "Респондент: Екі мың он сегізінші жылы көштік. Ауылда жұмыс болмады, ал солтүстіктегі зауыттарға "
    "жұмысшылар керек еді. Әкем мен шешем әлі де ауылда тұрады, жиһазымызды да сонда қалдырдық.",
    "Сұхбат алушы: Жаңа жерде не қиын болды?",
    "Респондент: Ең қиыны — қыс. Бірақ көршілеріміз өте мейірімді адамдар, олар бізге көп көмектесті.",
    "Сұхбат алушы: Балаларыңыз қай тілде оқиды?",
    "Респондент: Қазақ мектебінде оқиды. Үйде де қазақша сөйлейміз, бірақ орысшаны да жақсы біледі.",
)
assert set("әғқңөұүһі") <= set(KAZAKH_KK), "every Kazakh-specific letter must occur"

NO_LABELS_TXT = lines(
    "I grew up in a small town outside Shymkent, where my grandfather kept a vineyard and my mother "
    "taught in the village school. When the school closed in 2014 there was nothing left to keep us "
    "there.",
    "",
    "My cousin was already working in Petropavl, and he wrote to us every month about the new flats "
    "and the factories that were looking for people. We sold the car, bought train tickets, and left "
    "in the first week of October.",
    "",
    "The first winter was the hardest thing I have ever lived through. Now, eight years later, my "
    "children speak about the north as home, and it is the south that feels far away.",
)

UNKNOWN_XYZ = lines(
    "Interviewer: Is this file type supported?",
    "Respondent: It should not be; the extension is .xyz.",
)

BAD_FRONTMATTER_MD = lines(
    "---",
    "case: T09",
    "tags: [migration, north",
    "language: en",
    "---",
    "",
    "**Interviewer:** Does this file import?",
    "",
    "**Respondent:** The body is fine; only the front matter is broken.",
)

NOT_A_DOCX = lines(
    "This is a plain text file that only has a .docx name.",
    "It is not a ZIP archive, so it cannot be a Word document.",
)

SPEAKER_MAP_YAML = lines(
    "# SYNTHETIC speaker map for named_speakers.txt (qualcode test fixture).",
    "# 'Guest' does not occur in any transcript: an unknown extra entry.",
    "Aliya: interviewer",
    "Nurlan: respondent",
    "Guest: other",
)


def make_plain_text() -> None:
    write_text("cp1251_ru.txt", CP1251_RU, "cp1251", newline="\r\n")
    write_text("koi8r_ru.txt", KOI8R_RU, "koi8_r")
    write_text("cp866_ru.txt", CP866_RU, "cp866", newline="\r\n")
    write_text("utf16_bom_en.txt", UTF16_EN, "utf-16-le", newline="\r\n", bom=b"\xff\xfe")
    write_text("utf8_bom_crlf_en.txt", UTF8_BOM_CRLF_EN, "utf-8", newline="\r\n", bom=b"\xef\xbb\xbf")
    write_text("frontmatter_en.md", FRONTMATTER_EN_MD, "utf-8")
    write_text("timestamps.txt", TIMESTAMPS_TXT, "utf-8")
    write_text("named_speakers.txt", NAMED_SPEAKERS_TXT, "utf-8")
    write_text("otter_style.txt", OTTER_STYLE_TXT, "utf-8")
    write_text("kazakh_kk.txt", KAZAKH_KK, "utf-8")
    write_text("no_labels.txt", NO_LABELS_TXT, "utf-8")
    write_text("speaker_map.yaml", SPEAKER_MAP_YAML, "utf-8")


# --------------------------------------------------------------------------- subtitles

VOICE_TAGS_VTT = lines(
    "WEBVTT - SYNTHETIC test fixture, fictional speakers",
    "",
    "NOTE",
    "This file is synthetic. An interview about moving from Shymkent to Astana.",
    "Nothing in a NOTE block is part of the transcript.",
    "",
    "STYLE",
    '::cue(v[voice="Interviewer"]) {',
    "  color: yellow;",
    "}",
    "",
    "1",
    "00:00:01.000 --> 00:00:04.000",
    "<v Interviewer>Aigerim, when did you move to Astana?",
    "",
    "00:05.000 --> 00:07.000",
    "<v.loud Aigerim Bekova>In 2018, right after university.",
    "",
    "3",
    "00:00:07.500 --> 00:00:11.000 align:start",
    "<v.loud Aigerim Bekova>My sister already lived there,",
    "so I stayed with her at first.",
    "",
    "00:00:11.000 --> 00:00:14.000",
    "<v Interviewer>Was it <i>hard</i> to find work, <00:00:12.500><b>at first</b>?",
    "",
    "5",
    "00:00:14.500 --> 00:00:19.000",
    "<v.loud Aigerim Bekova>Not really. A bank hired me after two weeks.</v>",
    "",
    "00:19.500 --> 00:22.000",
    "<v Interviewer>That was quick. Thank you.",
)

SUBTITLES_SRT = lines(
    "1",
    "00:00:01,000 --> 00:00:04,200",
    "INTERVIEWER: Asel, why did you leave Taraz?",
    "",
    "2",
    "00:00:04,800 --> 00:00:08,000",
    "ASEL: My husband got a contract in Ekibastuz,",
    "at the power station.",
    "",
    "3",
    "00:00:08,100 --> 00:00:11,500",
    "The contract was for three years,",
    "but we stayed.",
    "",
    "4",
    "00:00:12,000 --> 00:00:14,000",
    "INTERVIEWER: And do you like it there?",
    "",
    "5",
    "00:00:14,500 --> 00:00:18,000",
    "ASEL: The people are kind. The wind is terrible.",
    "",
    "6",
    "00:00:18,200 --> 00:00:20,000",
    "In winter I hardly go out at all.",
)


def make_subtitles() -> None:
    write_text("voice_tags.vtt", VOICE_TAGS_VTT, "utf-8")
    write_text("subtitles.srt", SUBTITLES_SRT, "utf-8")


# --------------------------------------------------------------------------- tables (csv, xlsx)

TURNS_ROWS = [
    ("int_a", "Interviewer", "00:00:05", "Why did you move to Karaganda?"),
    (
        "int_a",
        "Respondent",
        "00:00:09",
        "My friend offered me a place to stay, and the mines were hiring.\nI went in March 2017.",
    ),
    ("int_a", "Interviewer", "00:01:02", "Did you plan to stay?"),
    ("int_a", "Respondent", "00:01:10", "No. I thought one year. It has been seven."),
    ("int_b", "Interviewer", "00:00:03", "When did your family arrive in Oskemen?"),
    ("int_b", "Respondent", "00:00:07", "In 2021. We came by car with everything we owned."),
    ("int_b", "Interviewer", "00:00:30", "What surprised you most?"),
    ("int_b", "Respondent", "00:00:41", "How quiet the streets are in the evening."),
]

CASES_ROWS = [
    ("case_id", "file", "gender", "age", "region", "moved"),
    ("T01", "frontmatter_en.md", "female", "34", "Turkistan", "2019-05-01"),
    ("T02", "cp1251_ru.txt", "male", "41", "Shymkent", "2018-03-15"),
    ("T03", "utf16_bom_en.txt", "male", "27", "Kyzylorda", "2016-08-20"),
]

BAD_CASES_ROWS = [
    ("gender", "age", "region", "moved"),
    ("female", "34", "Turkistan", "2019-05-01"),
    ("male", "41", "Shymkent", "2018-03-15"),
]

SURVEY_HEADER = ("respondent_id", "gender", "age", "why_did_you_move", "what_was_hardest")
SURVEY_ROWS = [
    (
        "S01",
        "female",
        29,
        "My husband got a job in Petropavl. We wanted the children to grow up near good schools.",
        "The cold. I did not own a proper winter coat.",
    ),
    (
        "S02",
        "male",
        41,
        "There was no work in our village near Shymkent.",
        "Finding a flat that we could afford. Landlords wanted three months in advance.",
    ),
    (
        "S03",
        "female",
        23,
        "I came to study in Kostanay and stayed after graduation. My friends were here by then.",
        "Being far from my mother. Speaking Russian all day at work. I was tired every evening.",
    ),
    ("S04", "male", 35, "The resettlement programme paid for the move.", None),
    (
        "S05",
        "female",
        52,
        "My son moved to Pavlodar first and asked me to help with the grandchildren.",
        "Nothing was hard, really. The neighbours helped us from the first day.",
    ),
]


def write_csv(name: str, rows) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(rows)
    (HERE / name).write_bytes(buf.getvalue().encode("utf-8"))


def make_tables() -> None:
    write_csv("turns.csv", [("interview", "speaker", "time", "text"), *TURNS_ROWS])
    write_csv("cases.csv", CASES_ROWS)
    write_csv("bad_cases.csv", BAD_CASES_ROWS)

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(SURVEY_HEADER)
    for row in SURVEY_ROWS:
        ws.append(row)
    props = wb.properties
    props.creator = AUTHOR
    props.lastModifiedBy = AUTHOR
    props.title = "SYNTHETIC survey fixture"
    props.description = SYNTHETIC_NOTE
    props.created = FIXED_DATETIME
    props.modified = FIXED_DATETIME
    path = HERE / "survey.xlsx"
    # Not wb.save(): openpyxl's save_workbook() stamps `modified` with the current time.
    from openpyxl.writer.excel import ExcelWriter

    ExcelWriter(wb, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)).save()
    normalize_zip(path)


# --------------------------------------------------------------------------- docx

DOCX_TURNS_BOLD_FIRST = ("Interviewer", " Why did you move to Petropavl?")
DOCX_SDT_BLOCK = "Respondent: My cousin found me a job at the grain elevator, and the pay was regular."
DOCX_TURNS_BOLD_SECOND = ("Interviewer", " And your family?")
DOCX_INLINE = ("Respondent", " My wife joined me ", "in the spring of 2021", " with our two sons.")
DOCX_TABLE = [
    ("Speaker", "Text"),
    ("Interviewer", "Do you plan to stay in the north?"),
    ("Respondent", "Yes. The winters are long, but the children are happy here."),
    ("Interviewer", "Thank you, those are all my questions."),
]


def make_docx() -> bytes:
    from docx import Document
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    doc = Document()
    cp = doc.core_properties
    cp.author = AUTHOR
    cp.last_modified_by = AUTHOR
    cp.title = "SYNTHETIC qualcode fixture: content controls"
    cp.subject = "Internal migration in Kazakhstan (fictional)"
    cp.comments = SYNTHETIC_NOTE
    cp.keywords = "synthetic; test fixture"
    cp.created = FIXED_DATETIME
    cp.modified = FIXED_DATETIME
    cp.last_printed = FIXED_DATETIME
    cp.revision = 1

    doc.add_paragraph().add_run("SYNTHETIC test document").italic = True

    def bold_label_paragraph(label: str, text: str):
        p = doc.add_paragraph()
        p.add_run(label).bold = True
        p.add_run(text)
        return p

    bold_label_paragraph(*DOCX_TURNS_BOLD_FIRST)

    # Block-level content control: <w:sdt> as a child of <w:body>, holding a paragraph.
    sdt_block = parse_xml(
        f"<w:sdt {nsdecls('w')}>"
        '<w:sdtPr><w:alias w:val="Answer"/><w:tag w:val="answer-1"/><w:id w:val="101"/></w:sdtPr>'
        "<w:sdtContent><w:p><w:r>"
        f'<w:t xml:space="preserve">{DOCX_SDT_BLOCK}</w:t>'
        "</w:r></w:p></w:sdtContent></w:sdt>"
    )
    anchor = doc.add_paragraph()
    anchor._p.addprevious(sdt_block)
    anchor._p.getparent().remove(anchor._p)

    bold_label_paragraph(*DOCX_TURNS_BOLD_SECOND)

    # Run-level content control: <w:sdt> as a child of <w:p>, between ordinary runs.
    label, before, inside, after = DOCX_INLINE
    p = bold_label_paragraph(label, before)
    sdt_inline = parse_xml(
        f"<w:sdt {nsdecls('w')}>"
        '<w:sdtPr><w:alias w:val="When"/><w:tag w:val="when-1"/><w:id w:val="102"/></w:sdtPr>'
        f'<w:sdtContent><w:r><w:t xml:space="preserve">{inside}</w:t></w:r></w:sdtContent>'
        "</w:sdt>"
    )
    p._p.append(sdt_inline)
    p.add_run(after)  # appended after the sdt, so the sentence reads on

    table = doc.add_table(rows=len(DOCX_TABLE), cols=2)
    table.style = "Table Grid"
    for r, (speaker, text) in enumerate(DOCX_TABLE):
        for c, value in enumerate((speaker, text)):
            cell = table.rows[r].cells[c]
            run = cell.paragraphs[0].add_run(value)
            run.bold = r == 0

    # Keep the file small: drop optional parts of python-docx's template (thumbnail,
    # customXml, stylesWithEffects) and every style this document does not use.
    for source in (doc.part.package.rels, doc.part.rels):
        for rid, rel in list(source.items()):
            if rel.reltype.rsplit("/", 1)[-1] in {"thumbnail", "customXml", "stylesWithEffects"}:
                del source[rid]
    from docx.oxml.ns import qn

    styles = doc.styles.element
    keep = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "TableGrid"}
    for child in list(styles):
        if child.tag == qn("w:latentStyles") or (
            child.tag == qn("w:style") and child.get(qn("w:styleId")) not in keep
        ):
            styles.remove(child)

    path = HERE / "content_controls.docx"
    doc.save(path)
    normalize_zip(path)
    return path.read_bytes()


# --------------------------------------------------------------------------- odt

ODT_HEADING = "Interview T04 - from Kyzylorda to Kostanay (synthetic)"
ODT_PARAGRAPHS = [
    ("Interviewer: What did you take with you when you moved?",),
    ("Respondent: Only two suitcases and ", "my grandmother's carpet", "."),  # middle part is bold
    ("Interviewer: Why the carpet?",),
    ("Respondent: Because without it the new flat did not feel like home.",),
]


def make_odt() -> None:
    from odf import dc, meta
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.text import H, P, Span

    doc = OpenDocumentText()
    doc.meta.addElement(dc.Title(text="SYNTHETIC qualcode fixture: ODT interview"))
    doc.meta.addElement(dc.Description(text=SYNTHETIC_NOTE))
    doc.meta.addElement(dc.Creator(text=AUTHOR))
    doc.meta.addElement(dc.Date(text=FIXED_DATETIME.isoformat()))
    doc.meta.addElement(meta.CreationDate(text=FIXED_DATETIME.isoformat()))

    bold = Style(name="Bold", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(bold)

    doc.text.addElement(H(outlinelevel=1, text=ODT_HEADING))
    for parts in ODT_PARAGRAPHS:
        p = P(text=parts[0])
        if len(parts) == 3:
            p.addElement(Span(stylename=bold, text=parts[1]))
            p.addText(parts[2])
        doc.text.addElement(p)

    path = HERE / "interview.odt"
    doc.save(str(path))
    normalize_zip(path)


# --------------------------------------------------------------------------- pdf

PDF_PAGES = [
    [
        "Interviewer: When did you move from Taraz to Pavlodar?",
        "Respondent: In 2015. I was twenty years old and had never seen snow in October.",
        "Interviewer: How did you find your first job?",
    ],
    [
        "Respondent: A neighbour worked at the aluminium plant and brought me to the foreman.",
        "Interviewer: Do you send money home?",
        "Respondent: Every month. My mother built a new kitchen with it.",
    ],
]


def _new_pdf(title: str):
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATETIME.replace(tzinfo=dt.UTC))
    pdf.set_title(title)
    pdf.set_author(AUTHOR)
    pdf.set_subject(SYNTHETIC_NOTE)
    pdf.set_keywords("synthetic test fixture")
    pdf.set_creator(AUTHOR)
    pdf.set_auto_page_break(auto=True, margin=20)
    return pdf


def make_pdfs() -> None:
    pdf = _new_pdf("SYNTHETIC qualcode fixture: PDF with text layer")
    pdf.set_font("Helvetica", size=11)
    for page in PDF_PAGES:
        pdf.add_page()
        for turn in page:
            pdf.multi_cell(0, 6, turn, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
    pdf.output(str(HERE / "text_layer.pdf"))

    scan = _new_pdf("SYNTHETIC qualcode fixture: PDF without text layer")
    scan.add_page()
    scan.set_draw_color(0, 0, 0)
    scan.set_fill_color(220, 220, 220)
    scan.rect(20, 20, 170, 250, style="DF")
    scan.output(str(HERE / "scanned.pdf"))


# --------------------------------------------------------------------------- bad inputs


def make_bad_inputs(docx_bytes: bytes) -> None:
    (HERE / "empty.txt").write_bytes(b"")
    (HERE / "whitespace_only.txt").write_bytes(b"   \n\n      \n \n\n  ")
    (HERE / "binary.txt").write_bytes(pseudo_random_bytes(2048, b"qualcode binary.txt fixture"))
    (HERE / "corrupt.docx").write_bytes(docx_bytes[:300])
    write_text("not_a_docx.docx", NOT_A_DOCX, "utf-8")
    write_text("unknown.xyz", UNKNOWN_XYZ, "utf-8")
    write_text("bad_frontmatter.md", BAD_FRONTMATTER_MD, "utf-8")


# --------------------------------------------------------------------------- verification


def verify() -> None:
    """Re-read every generated file and check it is what it claims to be."""
    import yaml

    def check(cond: bool, msg: str) -> None:
        if not cond:
            raise SystemExit(f"verify failed: {msg}")

    def raw(name: str) -> bytes:
        return (HERE / name).read_bytes()

    # Encodings round-trip and are *not* valid UTF-8 where they should not be.
    for name, enc, text, crlf in [
        ("cp1251_ru.txt", "cp1251", CP1251_RU, True),
        ("koi8r_ru.txt", "koi8_r", KOI8R_RU, False),
        ("cp866_ru.txt", "cp866", CP866_RU, True),
    ]:
        data = raw(name)
        check(data.decode(enc).replace("\r\n", "\n") == text, f"{name} round trip")
        check((b"\r\n" in data) == crlf and (crlf or b"\r" not in data), f"{name} line endings")
        try:
            data.decode("utf-8")
            check(False, f"{name} must not be valid UTF-8")
        except UnicodeDecodeError:
            pass
    data = raw("utf16_bom_en.txt")
    check(data[:2] == b"\xff\xfe", "utf16 BOM")
    check(data.decode("utf-16").replace("\r\n", "\n") == UTF16_EN, "utf16 round trip")
    data = raw("utf8_bom_crlf_en.txt")
    check(data[:3] == b"\xef\xbb\xbf" and data.count(b"\r\n") == data.count(b"\n"), "utf8 BOM/CRLF")
    decoded = data.decode("utf-8-sig")
    check("e\u0301" in decoded and "\u00e9" not in decoded and "\U0001f642" in decoded, "NFD + emoji")
    check("caf\u00e9" in unicodedata.normalize("NFC", decoded), "NFC gives precomposed é")
    for name in [
        "frontmatter_en.md",
        "timestamps.txt",
        "named_speakers.txt",
        "otter_style.txt",
        "kazakh_kk.txt",
        "no_labels.txt",
        "voice_tags.vtt",
        "subtitles.srt",
    ]:
        data = raw(name)
        check(not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data, f"{name} plain UTF-8/LF")
        data.decode("utf-8")

    fm = yaml.safe_load(raw("frontmatter_en.md").decode().split("---\n")[1])
    check(
        fm
        == {
            "case": "T01",
            "language": "en",
            "gender": "female",
            "age": 34,
            "moved": dt.date(2019, 5, 1),
            "region": "Turkistan",
            "synthetic": True,
        },
        f"front matter {fm}",
    )
    try:
        yaml.safe_load(raw("bad_frontmatter.md").decode().split("---\n")[1])
        check(False, "bad_frontmatter.md must not parse")
    except yaml.YAMLError:
        pass
    check(
        yaml.safe_load(raw("speaker_map.yaml"))
        == {"Aliya": "interviewer", "Nurlan": "respondent", "Guest": "other"},
        "speaker map",
    )

    # Tables.
    with open(HERE / "turns.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    check(len(rows) == 8 and [r["interview"] for r in rows].count("int_a") == 4, "turns.csv rows")
    check("\n" in rows[1]["text"] and "," in rows[1]["text"], "turns.csv embedded newline+comma")
    with open(HERE / "cases.csv", newline="", encoding="utf-8") as fh:
        check([r["case_id"] for r in csv.DictReader(fh)] == ["T01", "T02", "T03"], "cases.csv")
    with open(HERE / "bad_cases.csv", newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
        check("case_id" not in header and "file" not in header, "bad_cases.csv header")

    from openpyxl import load_workbook

    ws = load_workbook(HERE / "survey.xlsx").active
    values = list(ws.iter_rows(values_only=True))
    check(values[0] == SURVEY_HEADER and len(values) == 6, "survey.xlsx shape")
    check(sum(v is None for row in values for v in row) == 1 and values[4][4] is None, "one empty cell")

    # docx: opens, is a zip, contains both content controls; the naive API misses the inline one.
    from docx import Document

    docx_path = HERE / "content_controls.docx"
    check(zipfile.is_zipfile(docx_path), "docx is zip")
    d = Document(str(docx_path))
    body_xml = d.element.body.xml
    check(body_xml.count("<w:sdt>") == 2 and "in the spring of 2021" in body_xml, "docx sdts")
    check(len(d.tables) == 1 and len(d.tables[0].rows) == 4, "docx table")
    check(d.paragraphs[0].runs[0].italic and d.paragraphs[1].runs[0].bold, "docx formatting")
    check(raw("corrupt.docx") == docx_path.read_bytes()[:300], "corrupt.docx prefix")
    check(not zipfile.is_zipfile(HERE / "corrupt.docx"), "corrupt.docx must not open as zip")
    check(not zipfile.is_zipfile(HERE / "not_a_docx.docx"), "not_a_docx.docx is not a zip")

    # odt.
    from odf import teletype
    from odf.opendocument import load as odf_load
    from odf.text import H, P

    odt = odf_load(str(HERE / "interview.odt"))
    check([teletype.extractText(h) for h in odt.getElementsByType(H)] == [ODT_HEADING], "odt heading")
    check(
        [teletype.extractText(p) for p in odt.getElementsByType(P)]
        == ["".join(parts) for parts in ODT_PARAGRAPHS],
        "odt paragraphs",
    )
    with zipfile.ZipFile(HERE / "interview.odt") as z:
        first = z.infolist()[0]
        check(first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED, "odt mimetype")

    # pdf.
    import pypdf

    reader = pypdf.PdfReader(str(HERE / "text_layer.pdf"))
    check(len(reader.pages) == 2, "text_layer.pdf has 2 pages")
    for page, turns in zip(reader.pages, PDF_PAGES, strict=True):
        text = " ".join(page.extract_text().split())
        for turn in turns:
            check(turn in text, f"pdf text layer has {turn!r}")
    scan = pypdf.PdfReader(str(HERE / "scanned.pdf"))
    check(len(scan.pages) == 1 and scan.pages[0].extract_text().strip() == "", "scanned.pdf no text")

    # Bad inputs and sizes.
    check(raw("empty.txt") == b"" and raw("whitespace_only.txt").strip() == b"", "empty/whitespace")
    check(len(raw("binary.txt")) == 2048 and b"\x00" in raw("binary.txt"), "binary.txt")
    fixtures = [p for p in HERE.iterdir() if p.is_file() and p.name not in NOT_FIXTURES]
    for path in fixtures:
        check(path.stat().st_size < 20_000, f"{path.name} is under 20 KB")
    print(f"verified {len(fixtures)} fixture files in {HERE}")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-verify", action="store_true", help="skip re-reading the files")
    args = parser.parse_args(argv)
    make_plain_text()
    make_subtitles()
    make_tables()
    docx_bytes = make_docx()
    make_odt()
    make_pdfs()
    make_bad_inputs(docx_bytes)
    if not args.no_verify:
        verify()
    return 0


if __name__ == "__main__":
    sys.exit(main())
