r"""Decode the bytes that arrive into text; encode text to send or store it.

A network carries bytes, values from 0 to 255; a program thinks in text, a
sequence of Unicode characters. Python 3 keeps the two apart:

>>> list(b'Hi!')                 # bytes: a sequence of small integers
[72, 105, 33]
>>> 'Köln'.encode('utf-8')       # text to bytes: ö needs two bytes in UTF-8
b'K\xc3\xb6ln'
>>> b'K\xc3\xb6ln'.decode('utf-8')
'Köln'
>>> b'abc' + 'def'               # never mixed without an explicit conversion
Traceback (most recent call last):
  ...
TypeError: can't concat str to bytes

UTF-16 spends two bytes on most characters, in either order; a byte-order
mark (BOM) at the start says which. FF FE means "low byte first":

>>> b'\xff\xfeK\x00\xf6\x00'.decode('utf-16')
'Kö'
>>> b'\xfe\xff\x00K\x00\xf6'.decode('utf-16')
'Kö'
"""

import argparse
import sys

# Bytes as they might arrive from a peer: UTF-16, little-endian, with a BOM.
INCOMING = (
    b"\xff\xfeZ\x00\xfc\x00r\x00i\x00c\x00h\x00 \x00\x92! \x00"
    b"K\x00\xf6\x00l\x00n\x00\n\x00"
)


def main() -> None:
    parser = argparse.ArgumentParser(description="Decode UTF-16, write UTF-8.")
    parser.add_argument("output", help="the file to write the UTF-8 bytes to")
    args = parser.parse_args()
    print(f"received {len(INCOMING)} bytes: {INCOMING!r}")
    text = INCOMING.decode("utf-16")  # the BOM says which byte comes first
    print(f"decoded {len(text)} characters: {text!r}")
    data = text.encode("utf-8")
    try:
        with open(args.output, "wb") as f:  # "b": we hand over bytes, not text
            f.write(data)
    except OSError as exc:
        sys.exit(f"stringcodes: cannot write {args.output}: {exc.strerror}")
    print(f"wrote {len(data)} bytes to {args.output}: {data!r}")


if __name__ == "__main__":
    main()
