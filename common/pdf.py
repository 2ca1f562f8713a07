"""Printable documents (completion reports, certificates) as PDF, with Cyrillic and Kazakh text.

fpdf2 with the DejaVu Sans font from Debian's fonts-dejavu-core (`./platform` installs it); the
font is embedded, so a document prints the same everywhere.
"""
import os

from fpdf import FPDF

FONT_DIR = os.environ.get("PDF_FONT_DIR", "/usr/share/fonts/truetype/dejavu")
FONT = "DejaVu"


class Document:
    """A simple A4 document: a title, headings, paragraphs, key-value blocks and tables."""

    def __init__(self, title, created_at=None):
        """`created_at`: the document's date; given, the same content renders to the same bytes
        (a document signed by EDS is rendered again to check the signature)."""
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(title)
        if created_at is not None:
            self.pdf.set_creation_date(created_at)
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_font(FONT, "", os.path.join(FONT_DIR, "DejaVuSans.ttf"))
        self.pdf.add_font(FONT, "B", os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf"))
        self.pdf.add_page()
        self.pdf.set_font(FONT, "B", 16)
        self.pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2)

    def heading(self, text):
        self.pdf.set_font(FONT, "B", 12)
        self.pdf.ln(2)
        self.pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        return self

    def paragraph(self, text):
        self.pdf.set_font(FONT, "", 10)
        self.pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
        return self

    def key_values(self, pairs):
        for key, value in pairs:
            self.pdf.set_font(FONT, "B", 10)
            self.pdf.cell(55, 6, str(key))
            self.pdf.set_font(FONT, "", 10)
            self.pdf.multi_cell(0, 6, str(value), new_x="LMARGIN", new_y="NEXT")
        return self

    def table(self, headers, rows):
        self.pdf.set_font(FONT, "", 9)
        with self.pdf.table(first_row_as_headings=True) as table:
            for values in [headers, *rows]:
                row = table.row()
                for value in values:
                    row.cell(str(value))
        return self

    def render(self):
        return bytes(self.pdf.output())
