#!/usr/bin/env python3
"""make-tnef.py — writes tnef.eml, a mail with a winmail.dat (TNEF,
MS-OXTNEF) part, for the mapix MIME tests: message class, a code page, MAPI
properties (8-bit body, importance, named properties by id and by name, an
RTF body that encapsulates HTML, stored in the uncompressed "MELA" form of
MS-OXRTFCP) and one attachment with a Unicode long file name.
Run it from this folder; the output is committed, so the tests do not need it."""
import base64
import struct
import uuid

def attr(level, attid, data):
    return struct.pack('<BII', level, attid, len(data)) + data + struct.pack('<H', sum(data) & 0xFFFF)

def pad(b):
    return b + b'\0' * (-len(b) % 4)

def prop_long(tag, v):
    return struct.pack('<II', tag, v)

def prop_bool(tag, v):
    return struct.pack('<IHH', tag, 1 if v else 0, 0)

def prop_var(tag, data):
    return struct.pack('<III', tag, 1, len(data)) + pad(data)

def named_id(tag, guid, lid, value):
    return struct.pack('<I', tag) + guid.bytes_le + struct.pack('<II', 0, lid) + value

def named_str(tag, guid, name, value):
    n = (name + '\0').encode('utf-16-le')
    return struct.pack('<I', tag) + guid.bytes_le + struct.pack('<II', 1, len(n)) + pad(n) + value

def props(*items):
    return struct.pack('<I', len(items)) + b''.join(items)

PSETID_Common = uuid.UUID('00062008-0000-0000-C000-000000000046')
PS_PUBLIC_STRINGS = uuid.UUID('00020329-0000-0000-C000-000000000046')

rtf = (b'{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\deff0{\\fonttbl{\\f0\\fswiss Arial;}}'
       b'{\\*\\htmltag64 <html>}{\\*\\htmltag72 <body>}\\htmlrtf {\\htmlrtf0 Hello '
       b'{\\*\\htmltag84 <b>}\\htmlrtf \\b \\htmlrtf0 bold{\\*\\htmltag92 </b>}\\htmlrtf \\b0 \\htmlrtf0  caf\\\'e9'
       b'\\htmlrtf }\\htmlrtf0 {\\*\\htmltag88 </body>}{\\*\\htmltag72 </html>}}')
rtf_mela = struct.pack('<IIII', len(rtf) + 12, len(rtf), 0x414C454D, 0) + rtf

message_props = props(
    prop_var(0x1000001E, b'Body from TNEF: caf\xe9\0'),          # PR_BODY_A
    prop_long(0x00170003, 2),                                     # PR_IMPORTANCE high
    prop_var(0x10090102, rtf_mela),                               # PR_RTF_COMPRESSED
    prop_bool(0x0E1F000B, True),                                  # PR_RTF_IN_SYNC
    named_id(0x8001000B, PSETID_Common, 0x8503, struct.pack('<HH', 1, 0)),   # PidLidReminderSet
    named_str(0x8002001F, PS_PUBLIC_STRINGS, 'X-Mapix-Test',
              struct.pack('<II', 1, len('Wert ü\0'.encode('utf-16-le'))) + pad('Wert ü\0'.encode('utf-16-le'))),
)
attach_data = b'Quarterly report\r\nline 2\r\n'
attach_props = props(
    prop_var(0x3707001F, 'Bericht für Q1.txt\0'.encode('utf-16-le')),  # PR_ATTACH_LONG_FILENAME_W
    prop_long(0x37050003, 1),                                           # PR_ATTACH_METHOD by value
    prop_var(0x370E001E, b'text/plain\0'),                              # PR_ATTACH_MIME_TAG_A
)

tnef = struct.pack('<IH', 0x223E9F78, 0x1234)
tnef += attr(1, 0x00089006, struct.pack('<I', 0x00010000))        # attTnefVersion
tnef += attr(1, 0x00069007, struct.pack('<II', 1252, 0))          # attOemCodepage
tnef += attr(1, 0x00078008, b'IPM.Note\0')                        # attMessageClass
tnef += attr(1, 0x00069003, message_props)                        # attMAPIProps
tnef += attr(2, 0x00069002, struct.pack('<HIHHI', 1, 0xFFFFFFFF, 0, 0, 0))  # attAttachRenddata
tnef += attr(2, 0x00018010, b'report.txt\0')                      # attAttachTitle
tnef += attr(2, 0x0006800F, attach_data)                          # attAttachData
tnef += attr(2, 0x00069005, attach_props)                         # attAttachment

mail = b'''From: Outlook User <user@example.com>
To: Recipient <rcpt@example.org>
Subject: TNEF sample
Date: Tue, 07 May 2024 11:12:13 +0000
Message-ID: <tnef-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="tnefb"

--tnefb
Content-Type: text/plain; charset=us-ascii

The plain text version.

--tnefb
Content-Type: application/ms-tnef; name="winmail.dat"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="winmail.dat"

''' + base64.encodebytes(tnef) + b'''
--tnefb--
'''
with open('tnef.eml', 'wb') as f:
    f.write(mail)
with open('winmail.dat', 'wb') as f:
    f.write(tnef)
