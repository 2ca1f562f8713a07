"""Printable documents (completion reports, certificates) as PDF, with Cyrillic and Kazakh text.

fpdf2 with the DejaVu Sans font from Debian's fonts-dejavu-core (`./platform` installs it); the
font is embedded, so a document prints the same everywhere.

Parsing and subsetting DejaVu's 6,253 glyphs is most of a render (~0.3 s of CPU, one completion
report per student). A document whose text stays within the letters the platform prints (Latin,
Cyrillic with Kazakh, Greek, punctuation, currency signs) is drawn with DejaVu cut down to them once
per machine (~900 glyphs, no hinting or layout tables fpdf2 does not use), which costs a third of
that; any other text is drawn with the whole font. The choice depends only on the text, and the cut
is made the same way everywhere, so the same content still renders to the same bytes.
"""
import functools
import hashlib
import os
import tempfile

import fontTools
from fontTools import subset, ttLib
from fpdf import FPDF

FONT_DIR = os.environ.get("PDF_FONT_DIR", "/usr/share/fonts/truetype/dejavu")
FONT_CACHE = os.environ.get("PDF_FONT_CACHE", os.path.join(tempfile.gettempdir(), "student-voucher-fonts"))
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
REPERTOIRE = frozenset(
    chr(code) for first, last in (
        (0x20, 0x17F),  # Latin, Latin-1 and Latin Extended-A (Kazakh's Latin alphabet)
        (0x370, 0x3FF),  # Greek
        (0x400, 0x52F),  # Cyrillic and its supplement (Kazakh's letters)
        (0x2000, 0x206F),  # general punctuation: dashes, quotes, the ellipsis
        (0x20A0, 0x20BF),  # currency signs, the tenge among them
        (0x2100, 0x214F),  # letterlike symbols: №
    ) for code in range(first, last + 1)) | {"\n"}


class Document:
    """A simple A4 document: a title, headings, paragraphs, key-value blocks and tables. The blocks
    are kept and drawn when rendered, once the text, and so the font it needs, is known."""

    def __init__(self, title, created_at=None):
        """`created_at`: the document's date; given, the same content renders to the same bytes
        (a document signed by EDS is rendered again to check the signature)."""
        self.title, self.created_at = title, created_at
        self.blocks = []
        self.characters = set(title)

    def _add(self, draw, texts):
        self.blocks.append(draw)
        for text in texts:
            self.characters.update(text)
        return self

    def heading(self, text):
        def draw(pdf):
            pdf.set_font(FONT, "B", 12)
            pdf.ln(2)
            pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        return self._add(draw, [text])

    def paragraph(self, text):
        def draw(pdf):
            pdf.set_font(FONT, "", 10)
            pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
        return self._add(draw, [text])

    def key_values(self, pairs):
        pairs = [(str(key), str(value)) for key, value in pairs]

        def draw(pdf):
            for key, value in pairs:
                pdf.set_font(FONT, "B", 10)
                pdf.cell(55, 6, key)
                pdf.set_font(FONT, "", 10)
                pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
        return self._add(draw, [text for pair in pairs for text in pair])

    def table(self, headers, rows):
        cells = [[str(value) for value in values] for values in [headers, *rows]]

        def draw(pdf):
            pdf.set_font(FONT, "", 9)
            with pdf.table(first_row_as_headings=True) as table:
                for values in cells:
                    row = table.row()
                    for value in values:
                        row.cell(value)
        return self._add(draw, [value for values in cells for value in values])

    def render(self):
        pdf = FPDF(format="A4")
        pdf.set_title(self.title)
        if self.created_at is not None:
            pdf.set_creation_date(self.created_at)
        pdf.set_auto_page_break(auto=True, margin=15)
        font_dir = FONT_DIR if self.characters - REPERTOIRE else repertoire_fonts()
        for style, name in FONT_FILES.items():
            pdf.add_font(FONT, style, os.path.join(font_dir, name))
        # fpdf2 cuts each font's fontTools font to the glyphs used when it writes the PDF; the glyphs
        # carry their bounds already, and recomputing them was a quarter of a render
        for font in pdf.fonts.values():
            font.ttfont.recalcBBoxes = False
        pdf.add_page()
        pdf.set_font(FONT, "B", 16)
        pdf.multi_cell(0, 9, self.title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        for draw in self.blocks:
            draw(pdf)
        return bytes(pdf.output())


@functools.cache
def repertoire_fonts():
    """The folder of DejaVu cut down to REPERTOIRE, made once per machine (a folder per font and
    fontTools version, written whole or not at all, so processes starting together agree)."""
    sources = {name: os.path.join(FONT_DIR, name) for name in FONT_FILES.values()}
    key = hashlib.sha256(repr((fontTools.version, sorted(REPERTOIRE),
                               [(name, os.path.getsize(path)) for name, path in sorted(sources.items())])
                              ).encode()).hexdigest()[:16]
    folder = os.path.join(FONT_CACHE, key)
    if not os.path.isdir(folder):
        os.makedirs(FONT_CACHE, exist_ok=True)
        building = tempfile.mkdtemp(dir=FONT_CACHE)
        os.chmod(building, 0o755)
        for name, path in sources.items():
            _cut(path, os.path.join(building, name))
        try:
            os.rename(building, folder)
        except OSError:  # another process made it first: the same fonts
            for name in sources:
                os.remove(os.path.join(building, name))
            os.rmdir(building)
    return folder


def _cut(source, target):
    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.layout_features = []
    options.hinting = False
    options.glyph_names = True
    options.drop_tables += ["FFTM"]  # FontForge's timestamps, which fontTools cannot cut
    font = ttLib.TTFont(source, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(character) for character in REPERTOIRE])
    subsetter.subset(font)
    font.save(target)
