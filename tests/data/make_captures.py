#!/usr/bin/env python3
"""Build the captures the demo and the integration tests run on.

Everything here is written out by code (no opaque binaries in the repo):
HTTP exchanges carrying feeds, split into TCP segments, some of them sent
out of order or twice, framed as Ethernet/IPv4/IPv6 in a classic pcap file.
Standard library only.

usage: make_captures.py OUTDIR
writes OUTDIR/demo.pcap and OUTDIR/mixed.pcap
"""

import gzip
import os
import struct
import sys

ETH_IP4 = 0x0800
ETH_IP6 = 0x86DD
ETH_VLAN = 0x8100


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    # enough for the fully written-out forms used below
    head, _, tail = a.partition("::")
    h = [int(x, 16) for x in head.split(":") if x]
    t = [int(x, 16) for x in tail.split(":") if x]
    return struct.pack("!8H", *(h + [0] * (8 - len(h) - len(t)) + t))


class Pcap:
    def __init__(self):
        self.frames = []
        self.t = 1764324000.0  # 2025-11-28T10:00:00Z

    def add(self, frame, gap=0.0001):
        self.t += gap
        self.frames.append((self.t, frame))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, fr in self.frames:
                sec = int(t)
                usec = int(round((t - sec) * 1e6))
                f.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)))
                f.write(fr)


def ether(payload, ethertype, vlan=None):
    dst = bytes.fromhex("020000000002")
    src = bytes.fromhex("020000000001")
    if vlan is not None:
        return dst + src + struct.pack("!HHH", ETH_VLAN, vlan, ethertype) + payload
    return dst + src + struct.pack("!H", ethertype) + payload


def l3(src, dst, proto, l4, v6):
    if v6:
        s, d = ip6(src), ip6(dst)
        hdr = struct.pack("!IHBB", 6 << 28, len(l4), proto, 64) + s + d
        pseudo = s + d + struct.pack("!IxxxB", len(l4), proto)
        return hdr, pseudo
    s, d = ip4(src), ip4(dst)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0x4000, 64, proto, 0, s, d)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    pseudo = s + d + struct.pack("!xBH", proto, len(l4))
    return hdr, pseudo


def packet(src, dst, proto, l4_nocsum, csum_off, v6=False, vlan=None):
    hdr, pseudo = l3(src, dst, proto, l4_nocsum, v6)
    c = csum(pseudo + l4_nocsum)
    l4 = l4_nocsum[:csum_off] + struct.pack("!H", c) + l4_nocsum[csum_off + 2:]
    return ether(hdr + l4, ETH_IP6 if v6 else ETH_IP4, vlan)


def udp(src, sport, dst, dport, payload, v6=False, vlan=None):
    l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return packet(src, dst, 17, l4, 6, v6, vlan)


FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


class Tcp:
    """One TCP connection; each method returns the frames it would send."""

    def __init__(self, cli, cport, srv, sport, v6=False, vlan=None, mss=1400):
        self.cli, self.cport, self.srv, self.sport = cli, cport, srv, sport
        self.v6, self.vlan, self.mss = v6, vlan, mss
        self.cseq, self.sseq = 1000, 500000

    def seg(self, from_client, seq, ack, flags, data=b""):
        if from_client:
            src, sp, dst, dp = self.cli, self.cport, self.srv, self.sport
        else:
            src, sp, dst, dp = self.srv, self.sport, self.cli, self.cport
        l4 = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                         5 << 4, flags, 65535, 0, 0) + data
        return packet(src, dst, 6, l4, 16, self.v6, self.vlan)

    def handshake(self):
        f = [self.seg(True, self.cseq, 0, SYN),
             self.seg(False, self.sseq, self.cseq + 1, SYN | ACK),
             self.seg(True, self.cseq + 1, self.sseq + 1, ACK)]
        self.cseq += 1
        self.sseq += 1
        return f

    def send(self, from_client, data):
        frames = []
        for i in range(0, len(data), self.mss):
            chunk = data[i:i + self.mss]
            if from_client:
                frames.append(self.seg(True, self.cseq, self.sseq, PSH | ACK, chunk))
                self.cseq += len(chunk)
            else:
                frames.append(self.seg(False, self.sseq, self.cseq, PSH | ACK, chunk))
                self.sseq += len(chunk)
        return frames

    def close(self):
        f = [self.seg(False, self.sseq, self.cseq, FIN | ACK),
             self.seg(True, self.cseq, self.sseq + 1, FIN | ACK),
             self.seg(False, self.sseq + 1, self.cseq + 1, ACK)]
        return f


def chunked(body, sizes):
    out, i, k = b"", 0, 0
    while i < len(body):
        n = sizes[k % len(sizes)]
        k += 1
        part = body[i:i + n]
        ext = b";name=value" if k == 2 else b""
        out += b"%x%s\r\n%s\r\n" % (len(part), ext, part)
        i += n
    return out + b"0\r\nX-Trailer: done\r\n\r\n"


def request(host, path):
    return (b"GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: feedreader/2.1\r\n"
            b"Accept: application/atom+xml, application/rss+xml\r\n"
            b"Accept-Encoding: gzip\r\n\r\n" % (path.encode(), host.encode()))


# --- the demo: a GOV.UK-style announcements Atom feed ----------------------

GOVUK_ENTRIES = [
    ("News story: Foreign Secretary arrives in Moscow",
     "https://www.gov.uk/government/news/foreign-secretary-arrives-in-moscow",
     "2017-12-22T10:00:00+00:00",
     "&lt;p&gt;Boris Johnson has arrived in Moscow for talks with Russian Foreign Minister "
     "Sergei Lavrov on the Iran nuclear deal, North Korea and security for the "
     "World Cup.&lt;/p&gt;"),
    ("Press release: New flood defences completed in Cumbria",
     "https://www.gov.uk/government/news/new-flood-defences-completed-in-cumbria",
     "2017-12-22T09:30:00+00:00",
     "The Environment Agency has finished a &amp;pound;25 million scheme protecting "
     "2,000 homes in Carlisle."),
    ("News story: Bolshoi and Royal Ballet announce exchange",
     "https://www.gov.uk/government/news/bolshoi-and-royal-ballet-announce-exchange",
     "2017-12-22T09:00:00+00:00",
     "Dancers from Moscow and London will swap stages for a season of joint "
     "performances."),
    ("Guidance: Apply for a first adult passport",
     "https://www.gov.uk/guidance/apply-for-a-first-adult-passport",
     "2017-12-21T16:00:00+00:00",
     "How to apply for your first adult passport, what documents you need and how "
     "long it takes."),
    ("Speech: Chancellor on record employment",
     "https://www.gov.uk/government/speeches/chancellor-on-record-employment",
     "2017-12-21T12:00:00+00:00",
     "&lt;p&gt;Employment has reached a record high of 32.1 million, the Chancellor "
     "said today.&lt;/p&gt;"),
    ("Statistics: Rail passenger numbers, July to September",
     "https://www.gov.uk/government/statistics/rail-passenger-numbers",
     "2017-12-21T09:30:00+00:00",
     "Quarterly figures on passenger journeys on the national rail network."),
]


def govuk_atom():
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n'
             '  <id>https://www.gov.uk/government/announcements</id>\n'
             '  <link rel="self" type="application/atom+xml" '
             'href="https://www.gov.uk/government/announcements.atom"/>\n'
             '  <title>Announcements - GOV.UK</title>\n'
             '  <updated>2017-12-22T10:00:00+00:00</updated>\n'
             '  <author><name>HM Government</name></author>\n']
    for title, link, when, summary in GOVUK_ENTRIES:
        parts.append(
            '  <entry>\n'
            '    <id>%s</id>\n'
            '    <updated>%s</updated>\n'
            '    <link rel="alternate" type="text/html" href="%s"/>\n'
            '    <title>%s</title>\n'
            '    <summary type="html">%s</summary>\n'
            '  </entry>\n' % (link, when, link, title, summary))
    parts.append('</feed>\n')
    return "".join(parts).encode()


def demo(out):
    pc = Pcap()
    c = Tcp("198.18.0.20", 51512, "198.18.0.10", 80, mss=240)
    for f in c.handshake():
        pc.add(f)
    for f in c.send(True, request("www.gov.uk", "/government/announcements.atom")):
        pc.add(f)
    body = gzip.compress(govuk_atom(), mtime=0)
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml; charset=utf-8\r\n"
            b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"
            b"Cache-Control: max-age=300\r\n\r\n")
    segs = c.send(False, head + chunked(body, [700, 333, 1024]))
    # out of order: the second segment arrives last, the third and fourth
    # swap, and the first is retransmitted after the rest
    order = [0] + list(range(2, len(segs)))
    if len(order) >= 4:
        order[2], order[3] = order[3], order[2]
    order += [1, 0]
    for i in order:
        pc.add(segs[i])
    for f in c.close():
        pc.add(f)
    pc.write(os.path.join(out, "demo.pcap"))


# --- mixed: two interleaved flows, Content-Length and chunked, UDP ---------

def bbc_rss():
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
            '<title><![CDATA[BBC News - World]]></title>\n'
            '<link>https://www.bbc.co.uk/news/world</link>\n'
            '<item>\n<title><![CDATA[Ransomware attack hits hospital network]]></title>\n'
            '<description><![CDATA[Hackers demanded payment after encrypting patient '
            'records across <b>three</b> trusts.]]></description>\n'
            '<link>https://www.bbc.co.uk/news/technology-1</link>\n'
            '<guid isPermaLink="false">bbc-technology-1</guid>\n'
            '<pubDate>Fri, 22 Dec 2017 08:00:00 GMT</pubDate>\n</item>\n'
            '<item>\n<title>Lavrov meets Chinese counterpart in Beijing</title>\n'
            '<description>Sergey Lavrov discussed trade with Wang Yi.</description>\n'
            '<content:encoded><![CDATA[<p>Russian Foreign Minister <a href="/x">Sergey '
            'Lavrov</a> said talks went well.</p>]]></content:encoded>\n'
            '<link>https://www.bbc.co.uk/news/world-2</link>\n'
            '<guid>https://www.bbc.co.uk/news/world-2</guid>\n'
            '<dc:creator>BBC World Service</dc:creator>\n</item>\n'
            '<item>\n<title>Snow closes schools in Scotland</title>\n'
            '<description>More than 200 schools shut as heavy snow fell overnight.'
            '</description>\n<link>https://www.bbc.co.uk/news/uk-3</link>\n</item>\n'
            '</channel>\n</rss>\n').encode()


def security_atom():
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom">\n'
            '<title type="text">Security Advisories</title>\n'
            '<id>urn:uuid:advisories</id>\n'
            '<entry><title>Zero-day in VPN appliances exploited</title>\n'
            '<link href="https://advisories.example/2017-0042"/>\n'
            '<id>urn:uuid:2017-0042</id><published>2017-12-22T07:00:00Z</published>\n'
            '<summary>Attackers exploit CVE-2017-12345 before a patch is out.</summary>\n'
            '<category term="vulnerability"/></entry>\n'
            '<entry><title>Quarterly review published</title>\n'
            '<link href="https://advisories.example/review"/>\n'
            '<id>urn:uuid:review</id><updated>2017-12-21T07:00:00Z</updated>\n'
            '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
            '<p>No incidents of note.</p></div></content></entry>\n'
            '</feed>\n').encode()


def pushed_rss():
    return ('<?xml version="1.0"?>\n<rss version="2.0"><channel>'
            '<title>Wire push</title>\n'
            '<item><title>Moscow summit called off</title>'
            '<description>Officials cited scheduling problems.</description>'
            '<link>https://wire.example/a1</link><guid>wire-a1</guid></item>\n'
            '<item><title>Markets steady</title><description>Little change in Asia.'
            '</description><guid>wire-a2</guid></item>'
            '</channel></rss>\n').encode()


def mixed(out):
    pc = Pcap()
    a = Tcp("198.18.1.20", 40001, "198.18.1.10", 80, vlan=100, mss=300)
    b = Tcp("2001:db8::20", 40002, "2001:db8::10", 8080, v6=True, mss=250)
    for x, y in zip(a.handshake(), b.handshake()):
        pc.add(x)
        pc.add(y)
    pc.add(a.send(True, request("feeds.bbci.co.uk", "/news/world/rss.xml"))[0])
    pc.add(b.send(True, request("advisories.example", "/feed.atom"))[0])
    rss = bbc_rss()
    a_segs = a.send(False, b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(rss) + rss)
    atom = security_atom()
    b_segs = b.send(False, b"HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n" + chunked(atom, [97, 200]))
    for i in range(max(len(a_segs), len(b_segs))):
        if i < len(a_segs):
            pc.add(a_segs[i])
        if i < len(b_segs):
            pc.add(b_segs[i])
        if i == 2:
            pc.add(udp("198.18.2.1", 33333, "198.18.2.2", 5140, pushed_rss()))
    for x, y in zip(a.close(), b.close()):
        pc.add(x)
        pc.add(y)
    pc.write(os.path.join(out, "mixed.pcap"))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    demo(sys.argv[1])
    mixed(sys.argv[1])


if __name__ == "__main__":
    main()
