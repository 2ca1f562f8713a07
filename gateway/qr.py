"""QR codes drawn on this server as SVG (segno): nothing about them leaves for an outside service."""
import io

import segno


def qr_svg(content):
    """`content` as a standalone SVG document (an image, or a file), with the standard quiet zone and a
    white ground so a camera reads it on any page."""
    drawn = io.BytesIO()
    segno.make(content, error="m").save(drawn, kind="svg", scale=4, border=4, light="#fff", xmldecl=False)
    return drawn.getvalue().decode()
