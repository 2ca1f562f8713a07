"""Documents as PDF: Kazakh and Russian text printed with DejaVu cut down to the platform's letters,
the same content rendered to the same bytes, and any other text printed with the whole font."""
import datetime as dt
import io
import logging

from fontTools import ttLib
from pypdf import PdfReader

from common import pdf

CREATED = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.timezone.utc)
KAZAKH = "Сәрсенова Айгерім Нұрланқызы — Қарағанды облысы, № 5, 20 000 ₸"


def document(name):
    return (pdf.Document("Completion report — Student Voucher", created_at=CREATED)
            .key_values([("Student", name), ("Hours", "20")])
            .table(["Date", "Hours", "Activity"], [["2026-09-28", "4", "Ойын үйірмесі"], ["2026-09-29", "4", "Кружок"]])
            .heading("Confirmation").paragraph(f"{name} worked the hours above."))


def text_of(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def embedded_font_files(content):
    for page in PdfReader(io.BytesIO(content)).pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            yield descriptor["/FontFile2"].get_object().get_data()


def embedded_fonts(content):
    """Each embedded font file's size in bytes."""
    return [len(data) for data in embedded_font_files(content)]


def test_kazakh_text_prints_with_the_cut_font_and_the_same_content_gives_the_same_bytes(caplog):
    with caplog.at_level(logging.WARNING):
        first, again = document(KAZAKH).render(), document(KAZAKH).render()
    assert first == again
    assert "Сәрсенова Айгерім Нұрланқызы" in text_of(first) and "Ойын үйірмесі" in text_of(first)
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    assert set(KAZAKH) <= pdf.REPERTOIRE


def test_text_beyond_the_platforms_letters_prints_with_the_whole_font(caplog):
    armenian = "Սարգսյան Անի"  # DejaVu draws Armenian; the cut font does not carry it
    assert not set(armenian) <= pdf.REPERTOIRE
    with caplog.at_level(logging.WARNING):
        content = document(armenian).render()
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    assert "Սարգսյան" in text_of(content)
    # The whole font's glyphs are cut at output too, but from its full tables: a larger embedding.
    assert min(embedded_fonts(content)) > max(embedded_fonts(document(KAZAKH).render()))


def test_the_embedded_glyphs_carry_their_true_bounds():
    """The cut font is written without recomputing glyph bounds (a quarter of a render): the bounds it
    carries are those the outlines give."""
    for data in embedded_font_files(document(KAZAKH).render()):
        glyphs = ttLib.TTFont(io.BytesIO(data))["glyf"]
        drawn = [name for name in glyphs.keys() if glyphs[name].numberOfContours]
        assert len(drawn) > 20
        for name in drawn:
            stored = (glyphs[name].xMin, glyphs[name].yMin, glyphs[name].xMax, glyphs[name].yMax)
            glyphs[name].recalcBounds(glyphs)
            assert stored == (glyphs[name].xMin, glyphs[name].yMin, glyphs[name].xMax, glyphs[name].yMax), name
