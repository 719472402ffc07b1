#!/usr/bin/env python3
"""Turns a PC Screen Font (PSF1 or PSF2, optionally gzip-compressed) into C++ source.

Usage: generate_console_font.py INPUT.psf[.gz] OUTPUT.cpp

The output defines Core::console_font (declared in Core/BitmapFont.h):
the glyph bitmaps, one byte per 8 pixels of a row with the most significant bit as the
leftmost pixel, and a table of (codepoint, glyph index) pairs sorted by codepoint so the
kernel can binary-search it. The font is converted at build time so the kernel needs no
decompressor or font parser, and so the font file itself never has to be committed.

Malformed input is rejected with a message on stderr and exit status 1; nothing is
written in that case, so a build never picks up a half-written file.
"""

import argparse
import gzip
import os
import struct
import sys
import tempfile
import zlib

PSF1_MAGIC = b"\x36\x04"
PSF1_HEADER_SIZE = 4
PSF1_MODE_512_GLYPHS = 0x01
PSF1_MODE_HAS_TABLE = 0x02
PSF1_MODE_HAS_SEQUENCES = 0x04
PSF1_KNOWN_MODE_BITS = PSF1_MODE_512_GLYPHS | PSF1_MODE_HAS_TABLE | PSF1_MODE_HAS_SEQUENCES
PSF1_TABLE_TERMINATOR = 0xFFFF
PSF1_SEQUENCE_START = 0xFFFE

PSF2_MAGIC = b"\x72\xb5\x4a\x86"
PSF2_HEADER_FORMAT = "<4sIIIIIII"
PSF2_HEADER_SIZE = struct.calcsize(PSF2_HEADER_FORMAT)
PSF2_FLAG_HAS_TABLE = 0x01
PSF2_TABLE_TERMINATOR = 0xFF
PSF2_SEQUENCE_START = 0xFE

GZIP_MAGIC = b"\x1f\x8b"

# No console font comes anywhere near these; a header claiming more is corrupt, and
# refusing it keeps a bad file from turning into a gigantic generated source.
MAX_GLYPH_DIMENSION = 256
MAX_GLYPH_COUNT = 65536

MAX_CODEPOINT = 0x10FFFF
REPLACEMENT_CHARACTER = 0xFFFD
QUESTION_MARK = ord("?")
# Fonts without a Unicode table are taken to be in the first 256 codepoints' order.
IMPLICIT_MAPPING_LIMIT = 256


class FontError(Exception):
    """The input is not a font this tool can convert; the message says why."""


class ParsedFont:
    def __init__(self, format_name, width, height, glyphs, mapping, has_table):
        self.format_name = format_name
        self.width = width
        self.height = height
        self.bytes_per_row = (width + 7) // 8
        # One bytes object of height * bytes_per_row bytes per glyph.
        self.glyphs = glyphs
        # codepoint -> glyph index.
        self.mapping = mapping
        self.has_table = has_table


def is_unicode_scalar(codepoint):
    return 0 <= codepoint <= MAX_CODEPOINT and not 0xD800 <= codepoint <= 0xDFFF


def add_mapping(mapping, codepoint, glyph):
    if not is_unicode_scalar(codepoint):
        raise FontError(
            f"unicode table maps glyph {glyph} to U+{codepoint:04X}, which is not a Unicode scalar value"
        )
    # Some fonts list a codepoint under more than one glyph. The first one wins, so the
    # result depends only on the file's order and the kernel's table has unique keys.
    mapping.setdefault(codepoint, glyph)


def split_glyphs(data, offset, glyph_count, glyph_size):
    end = offset + glyph_count * glyph_size
    if end > len(data):
        raise FontError(
            f"file is truncated: {glyph_count} glyphs of {glyph_size} bytes need {end} bytes, "
            f"file has {len(data)}"
        )
    glyphs = []
    for index in range(glyph_count):
        start = offset + index * glyph_size
        glyphs.append(bytes(data[start : start + glyph_size]))
    return glyphs, end


def parse_psf1(data):
    if len(data) < PSF1_HEADER_SIZE:
        raise FontError("file is too short for a PSF1 header")
    mode = data[2]
    height = data[3]
    if mode & ~PSF1_KNOWN_MODE_BITS:
        raise FontError(f"PSF1 mode byte 0x{mode:02x} has unknown bits set")
    if height == 0:
        raise FontError("PSF1 header gives a glyph height of 0")
    glyph_count = 512 if mode & PSF1_MODE_512_GLYPHS else 256
    # PSF1 glyphs are always 8 pixels wide, so each row is one byte.
    glyphs, offset = split_glyphs(data, PSF1_HEADER_SIZE, glyph_count, height)

    has_table = bool(mode & (PSF1_MODE_HAS_TABLE | PSF1_MODE_HAS_SEQUENCES))
    mapping = {}
    if has_table:
        # Per glyph: little-endian UCS-2 codepoints, then (after a 0xFFFE) combining
        # sequences, terminated by 0xFFFF. Sequences need a shaper, so they are skipped.
        for glyph in range(glyph_count):
            in_sequences = False
            while True:
                if offset + 2 > len(data):
                    raise FontError(f"unicode table ends inside the entry for glyph {glyph}")
                (value,) = struct.unpack_from("<H", data, offset)
                offset += 2
                if value == PSF1_TABLE_TERMINATOR:
                    break
                if value == PSF1_SEQUENCE_START:
                    in_sequences = True
                    continue
                if not in_sequences:
                    add_mapping(mapping, value, glyph)
    return ParsedFont("PSF1", 8, height, glyphs, mapping, has_table)


def utf8_length(lead_byte):
    if lead_byte < 0x80:
        return 1
    if 0xC2 <= lead_byte <= 0xDF:
        return 2
    if 0xE0 <= lead_byte <= 0xEF:
        return 3
    if 0xF0 <= lead_byte <= 0xF4:
        return 4
    return None


def parse_psf2(data):
    if len(data) < PSF2_HEADER_SIZE:
        raise FontError("file is too short for a PSF2 header")
    _, version, header_size, flags, glyph_count, glyph_size, height, width = struct.unpack_from(
        PSF2_HEADER_FORMAT, data, 0
    )
    if version != 0:
        raise FontError(f"PSF2 version {version} is not supported (only version 0 exists)")
    if header_size < PSF2_HEADER_SIZE or header_size > len(data):
        raise FontError(
            f"PSF2 header size {header_size} is outside the file or smaller than {PSF2_HEADER_SIZE}"
        )
    if flags & ~PSF2_FLAG_HAS_TABLE:
        raise FontError(f"PSF2 flags 0x{flags:x} have unknown bits set")
    if glyph_count == 0 or glyph_count > MAX_GLYPH_COUNT:
        raise FontError(f"PSF2 glyph count {glyph_count} is not between 1 and {MAX_GLYPH_COUNT}")
    if not 1 <= width <= MAX_GLYPH_DIMENSION or not 1 <= height <= MAX_GLYPH_DIMENSION:
        limit = MAX_GLYPH_DIMENSION
        raise FontError(f"PSF2 glyph size {width}x{height} is not between 1x1 and {limit}x{limit}")
    bytes_per_row = (width + 7) // 8
    if glyph_size != height * bytes_per_row:
        raise FontError(
            f"PSF2 glyph size field is {glyph_size} bytes, "
            f"but {width}x{height} glyphs take {height * bytes_per_row}"
        )
    glyphs, offset = split_glyphs(data, header_size, glyph_count, glyph_size)

    has_table = bool(flags & PSF2_FLAG_HAS_TABLE)
    mapping = {}
    if has_table:
        # Per glyph: UTF-8 characters, then sequences each introduced by 0xFE, then a
        # 0xFF terminator. Neither marker byte can occur inside valid UTF-8.
        for glyph in range(glyph_count):
            in_sequences = False
            while True:
                if offset >= len(data):
                    raise FontError(f"unicode table ends inside the entry for glyph {glyph}")
                lead_byte = data[offset]
                if lead_byte == PSF2_TABLE_TERMINATOR:
                    offset += 1
                    break
                if lead_byte == PSF2_SEQUENCE_START:
                    in_sequences = True
                    offset += 1
                    continue
                invalid_utf8 = FontError(
                    f"unicode table entry for glyph {glyph} has invalid UTF-8 at byte {offset}"
                )
                length = utf8_length(lead_byte)
                if length is None or offset + length > len(data):
                    raise invalid_utf8
                try:
                    character = bytes(data[offset : offset + length]).decode("utf-8")
                except UnicodeDecodeError:
                    raise invalid_utf8 from None
                offset += length
                if not in_sequences:
                    add_mapping(mapping, ord(character), glyph)
    return ParsedFont("PSF2", width, height, glyphs, mapping, has_table)


def decompress_if_needed(data):
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise FontError(f"file looks gzip-compressed but cannot be decompressed: {error}") from None


def parse_font(data):
    data = decompress_if_needed(data)
    if data.startswith(PSF2_MAGIC):
        font = parse_psf2(data)
    elif data.startswith(PSF1_MAGIC):
        font = parse_psf1(data)
    else:
        raise FontError("not a PSF font (neither the PSF1 nor the PSF2 magic number)")
    if not font.has_table:
        for glyph in range(min(len(font.glyphs), IMPLICIT_MAPPING_LIMIT)):
            font.mapping[glyph] = glyph
    return font


def choose_fallback_glyph(font):
    for codepoint in (REPLACEMENT_CHARACTER, QUESTION_MARK):
        if codepoint in font.mapping:
            return font.mapping[codepoint]
    # A font can map neither; glyph 0 is by convention the "unknown" glyph of PC fonts.
    print(
        "generate_console_font.py: warning: font maps neither U+FFFD nor '?'; "
        "using glyph 0 for unknown characters",
        file=sys.stderr,
    )
    return 0


def render_cpp(font, source_name):
    fallback_glyph = choose_fallback_glyph(font)
    first_codepoint = {}
    for codepoint, glyph in sorted(font.mapping.items()):
        first_codepoint.setdefault(glyph, codepoint)

    lines = [
        f"// Generated by Tools/generate_console_font.py from {source_name}. Do not edit; do not commit.",
        f"// {font.format_name}, {len(font.glyphs)} glyphs of {font.width}x{font.height} pixels,",
        f"// {len(font.mapping)} codepoints mapped, unknown characters use glyph {fallback_glyph}.",
        "",
        "#include <Core/BitmapFont.h>",
        "",
        "namespace Core {",
        "",
        "namespace {",
        "",
        "// Rows of each glyph top to bottom; within a row the most significant bit is the leftmost pixel.",
        "constexpr Core::u8 glyph_data[] = {",
    ]
    for index, glyph in enumerate(font.glyphs):
        label = f"glyph {index}"
        if index in first_codepoint:
            label += f", U+{first_codepoint[index]:04X}"
        lines.append(f"    // {label}")
        for start in range(0, len(glyph), 16):
            lines.append("    " + " ".join(f"0x{byte:02x}," for byte in glyph[start : start + 16]))
    lines.append("};")
    lines.append("")

    mapping_items = sorted(font.mapping.items())
    if mapping_items:
        lines.append("// Sorted by codepoint, each codepoint once, for binary search.")
        lines.append("constexpr CodepointToGlyph codepoint_mapping[] = {")
        for start in range(0, len(mapping_items), 6):
            chunk = mapping_items[start : start + 6]
            entries = (f"{{ 0x{codepoint:04x}, {glyph} }}," for codepoint, glyph in chunk)
            lines.append("    " + " ".join(entries))
        lines.append("};")
        lines.append("")
    lines.append("} // namespace")
    lines.append("")
    lines.append("constinit const BitmapFont console_font {")
    lines.append(f"    .glyph_width = {font.width},")
    lines.append(f"    .glyph_height = {font.height},")
    lines.append(f"    .bytes_per_row = {font.bytes_per_row},")
    lines.append(f"    .glyph_count = {len(font.glyphs)},")
    lines.append("    .glyph_data = glyph_data,")
    # C++ has no empty arrays, so a font whose table maps nothing gets a null mapping.
    lines.append(f"    .mapping = {'codepoint_mapping' if mapping_items else 'nullptr'},")
    lines.append(f"    .mapping_count = {len(mapping_items)},")
    lines.append(f"    .fallback_glyph = {fallback_glyph},")
    lines.append("};")
    lines.append("")
    lines.append("} // namespace Core")
    return "\n".join(lines) + "\n"


def write_atomically(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    # Write next to the target and rename, so an interrupted run leaves the old file or
    # none, never a truncated one.
    descriptor, temporary_path = tempfile.mkstemp(prefix=".console_font.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as output:
            output.write(text)
        os.replace(temporary_path, path)
    except BaseException:
        os.unlink(temporary_path)
        raise


def main(arguments):
    parser = argparse.ArgumentParser(
        prog="generate_console_font.py",
        description="Convert a PSF1/PSF2 console font (optionally .gz) into C++ source "
        "defining Core::console_font.",
    )
    parser.add_argument("input", help="PSF1 or PSF2 font file, optionally gzip-compressed")
    parser.add_argument("output", help="C++ source file to write")
    options = parser.parse_args(arguments)

    try:
        with open(options.input, "rb") as font_file:
            data = font_file.read()
    except OSError as error:
        print(f"generate_console_font.py: error: cannot read {options.input}: {error.strerror}",
              file=sys.stderr)
        return 1
    try:
        font = parse_font(data)
    except FontError as error:
        print(f"generate_console_font.py: error: {options.input}: {error}", file=sys.stderr)
        return 1
    try:
        write_atomically(options.output, render_cpp(font, os.path.basename(options.input)))
    except OSError as error:
        print(f"generate_console_font.py: error: cannot write {options.output}: {error.strerror}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
