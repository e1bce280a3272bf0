#!/usr/bin/python3
"""Render a terminal capture with ANSI colours (tmux capture-pane -e -p) as a PNG.

    tmux capture-pane -e -p -t SESSION > screen.ansi
    /usr/bin/python3 render.py screen.ansi out.png

Needs Pillow (Debian: python3-pil) and the DejaVu Sans Mono font (fonts-dejavu-core).
Understands SGR colours (16, 256 and 24-bit), bold and reverse: what Neovim draws.
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 15
FG, BG = (220, 220, 220), (24, 24, 28)
BASE = [
    (0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188), (17, 168, 205), (229, 229, 229),
    (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67), (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255),
]


def color256(n):
    if n < 16:
        return BASE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    level = 8 + (n - 232) * 10
    return (level, level, level)


def parse(line):
    """Cells of one line: (char, fg, bg, bold)."""
    cells, fg, bg, bold, reverse = [], None, None, False, False
    for part in re.split(r"(\x1b\[[0-9;:]*m)", line):
        if part.startswith("\x1b["):
            codes = [int(c) if c else 0 for c in re.split("[;:]", part[2:-1])] or [0]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0:
                    fg, bg, bold, reverse = None, None, False, False
                elif c == 1:
                    bold = True
                elif c == 22:
                    bold = False
                elif c == 7:
                    reverse = True
                elif c == 27:
                    reverse = False
                elif 30 <= c <= 37:
                    fg = BASE[c - 30]
                elif 90 <= c <= 97:
                    fg = BASE[c - 90 + 8]
                elif 40 <= c <= 47:
                    bg = BASE[c - 40]
                elif 100 <= c <= 107:
                    bg = BASE[c - 100 + 8]
                elif c == 39:
                    fg = None
                elif c == 49:
                    bg = None
                elif c in (38, 48) and i + 1 < len(codes):
                    if codes[i + 1] == 5 and i + 2 < len(codes):
                        value = color256(codes[i + 2])
                        i += 2
                    elif codes[i + 1] == 2 and i + 4 < len(codes):
                        value = tuple(codes[i + 2:i + 5])
                        i += 4
                    else:
                        value = None
                    if c == 38:
                        fg = value
                    else:
                        bg = value
                i += 1
            continue
        for ch in part:
            f, b = fg or FG, bg or BG
            if reverse:
                f, b = b, f
            cells.append((ch, f, b, bold))
    return cells


def main():
    source, target = sys.argv[1], sys.argv[2]
    lines = open(source, encoding="utf-8", errors="replace").read().rstrip("\n").split("\n")
    font, bold = ImageFont.truetype(FONT, SIZE), ImageFont.truetype(BOLD, SIZE)
    width = int(font.getlength("M"))
    height = SIZE + 4
    columns = max(len(parse(line)) for line in lines)
    image = Image.new("RGB", (columns * width + 16, len(lines) * height + 16), BG)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        for col, (ch, f, b, strong) in enumerate(parse(line)):
            x, y = 8 + col * width, 8 + row * height
            if b != BG:
                draw.rectangle([x, y, x + width, y + height], fill=b)
            if ch != " ":
                draw.text((x, y + 1), ch, font=bold if strong else font, fill=f)
    image.save(target)


if __name__ == "__main__":
    main()
