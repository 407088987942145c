#!/usr/bin/python3
"""GStreamer's srtpenc/srtpdec (gst-plugins-bad) driven through appsrc/appsink, so that the
packets, payloads, ROC and keys are under the test's control. The libsrtp2 the elements use is
whatever the dynamic linker finds (LD_LIBRARY_PATH); --expect-lib checks which one it was.

  encode  RTP packets (deterministic payloads) -> srtpenc -> a file of SRTP packets
  decode  a file of SRTP packets -> srtpdec (key, optional ROC in the caps) -> payloads checked
  rekey   two files under two keys -> one srtpdec; keys handed over by the request-key signal,
          the second after clear-keys
Exit status 0 only if every payload that should come out came out intact and nothing else did.
"""
import argparse
import struct
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
from gi.repository import Gst, GstApp  # noqa: E402,F401  (GstApp: appsrc.push_buffer)

Gst.init(None)

KEY_LEN = {"aes-128-icm": 30, "aes-256-icm": 46, "aes-128-gcm": 28, "aes-256-gcm": 44, "null": 30}


def payload(seq, n=160):
    return bytes(((seq * 7 + j * 13) ^ (seq >> 8)) & 0xFF for j in range(n))


def rtp(seq, ssrc, ts):
    return struct.pack("!BBHII", 0x80, 96, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload(seq)


def loaded_libsrtp():
    with open("/proc/self/maps") as f:
        for line in f:
            if "libsrtp2.so" in line:
                return line.split()[-1]
    return None


def check_lib(expect):
    lib = loaded_libsrtp()
    print("libsrtp2 in use:", lib)
    if expect and (lib is None or expect not in lib):
        sys.exit("expected a libsrtp2 under %r, got %r" % (expect, lib))


def srtp_caps(a, key, roc=None, mki=None):
    c = (
        "application/x-srtp,payload=(int)96,ssrc=(uint)%d,srtp-key=(buffer)%s,"
        "srtp-cipher=(string)%s,srtp-auth=(string)%s,srtcp-cipher=(string)%s,srtcp-auth=(string)%s"
        % (a.ssrc, key, a.cipher, a.auth, a.cipher, a.auth)
    )
    if roc is not None:
        c += ",roc=(uint)%d" % roc
    if mki:
        c += ",mki=(buffer)%s" % mki
    return Gst.Caps.from_string(c)


def run(pipe, feed, sink, out=None):
    out = [] if out is None else out
    def on_sample(s):
        b = s.emit("pull-sample").get_buffer()
        out.append(b.extract_dup(0, b.get_size()))
        return Gst.FlowReturn.OK

    sink.connect("new-sample", on_sample)
    # srtpdec decrypts a copy of any buffer that is not writable and then pushes (or, when it
    # drops the packet, unrefs) its own stale pointer: the ciphertext goes out, or appsrc loses a
    # reference (gst-plugins-bad, gst_srtp_dec_decode_buffer / gst_srtp_dec_chain). A buffer is
    # not writable while this thread still holds it, so the stream is held at appsrc's pad until
    # every buffer is queued and this thread's references are gone.
    pad = pipe.get_by_name("src").get_static_pad("src")
    hold = pad.add_probe(Gst.PadProbeType.BLOCK | Gst.PadProbeType.DATA_DOWNSTREAM,
                         lambda _pad, _info: Gst.PadProbeReturn.OK)
    pipe.set_state(Gst.State.PLAYING)
    feed()
    pad.remove_probe(hold)
    bus = pipe.get_bus()
    msg = bus.timed_pop_filtered(10 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    if msg and msg.type == Gst.MessageType.ERROR:
        err, dbg = msg.parse_error()
        print("pipeline error:", err.message, dbg)
    pipe.set_state(Gst.State.NULL)
    return out, (msg is not None and msg.type == Gst.MessageType.EOS)


def encode(a):
    pipe = Gst.parse_launch(
        "appsrc name=src format=time caps=application/x-rtp,media=audio,clock-rate=8000,"
        "encoding-name=L16,payload=96 ! srtpenc name=enc ! appsink name=sink emit-signals=true sync=false"
    )
    enc = pipe.get_by_name("enc")
    enc.set_property("key", Gst.Buffer.new_wrapped(bytes.fromhex(a.key)))
    enc.set_property("rtp-cipher", a.cipher)
    enc.set_property("rtp-auth", a.auth)
    enc.set_property("rtcp-cipher", a.cipher)
    enc.set_property("rtcp-auth", a.auth)
    if a.mki:
        enc.set_property("mki", Gst.Buffer.new_wrapped(bytes.fromhex(a.mki)))
    src = pipe.get_by_name("src")

    def feed():
        for i in range(a.count):
            seq = (a.seq0 + i) & 0xFFFF
            b = Gst.Buffer.new_wrapped(rtp(seq, a.ssrc, (a.seq0 + i) * 160))
            b.pts = i * 20 * Gst.MSECOND
            src.push_buffer(b)
        src.end_of_stream()

    pkts, eos = run(pipe, feed, pipe.get_by_name("sink"))
    check_lib(a.expect_lib)
    with open(a.out, "wb") as f:
        for p in pkts:
            f.write(struct.pack("!H", len(p)) + p)
    print("encoded %d of %d packets (%s/%s)" % (len(pkts), a.count, a.cipher, a.auth))
    if len(pkts) != a.count or not eos:
        sys.exit(1)
    plain = len(rtp(0, 0, 0))
    if any(p[12:plain] == payload(struct.unpack("!H", p[2:4])[0]) for p in pkts if a.cipher != "null"):
        sys.exit("a payload went out in the clear")


def read_packets(path):
    data = open(path, "rb").read()
    pkts, i = [], 0
    while i < len(data):
        (n,) = struct.unpack("!H", data[i:i + 2])
        pkts.append(data[i + 2:i + 2 + n])
        i += 2 + n
    return pkts


def decoder(a, caps):
    pipe = Gst.parse_launch(
        "appsrc name=src format=time ! srtpdec name=dec ! appsink name=sink emit-signals=true sync=false"
    )
    src = pipe.get_by_name("src")
    if caps is not None:
        src.set_property("caps", caps)
    return pipe, src, pipe.get_by_name("dec")


def check_out(out, expected_seqs):
    got = [struct.unpack("!H", p[2:4])[0] for p in out]
    bad = [(s, len(p), p[12:16].hex()) for s, p in zip(got, out) if p[12:] != payload(s)]
    print("decoded %d packets, expected %d, %d with a wrong payload %s" % (len(out), len(expected_seqs), len(bad), bad[:5]))
    return got == expected_seqs and not bad


def decode(a):
    pkts = read_packets(a.inp)[a.skip:]
    pipe, src, _ = decoder(a, srtp_caps(a, a.key, a.roc, a.mki))

    def feed():
        for i, p in enumerate(pkts):
            b = Gst.Buffer.new_wrapped(p)
            b.pts = i * 20 * Gst.MSECOND
            src.push_buffer(b)
        src.end_of_stream()

    out, _ = run(pipe, feed, pipe.get_by_name("sink"))
    check_lib(a.expect_lib)
    seqs = [struct.unpack("!H", p[2:4])[0] for p in pkts]
    ok = check_out(out, [] if a.expect_fail else seqs)
    sys.exit(0 if ok else 1)


def rekey(a):
    first, second = read_packets(a.inp), read_packets(a.inp2)
    caps = Gst.Caps.from_string("application/x-srtp,payload=(int)96,ssrc=(uint)%d" % a.ssrc)
    pipe, src, dec = decoder(a, caps)
    asked = []

    def on_request(_dec, ssrc):
        asked.append(ssrc)
        return srtp_caps(a, a.key if len(asked) == 1 else a.key2)

    dec.connect("request-key", on_request)
    second_seq = struct.unpack("!H", second[0][2:4])[0]

    def on_buffer(_pad, info):
        # In the streaming thread, just before srtpdec takes the first packet under the
        # second key: drop the stream's key, so that this packet asks for its key again.
        b = info.get_buffer()
        if struct.unpack("!H", b.extract_dup(2, 2))[0] == second_seq:
            dec.emit("remove-key", a.ssrc)
        return Gst.PadProbeReturn.OK

    dec.get_static_pad("rtp_sink").add_probe(Gst.PadProbeType.BUFFER, on_buffer)

    def feed():
        for i, p in enumerate(first + second):
            b = Gst.Buffer.new_wrapped(p)
            b.pts = i * 20 * Gst.MSECOND
            src.push_buffer(b)
        src.end_of_stream()

    out, _ = run(pipe, feed, pipe.get_by_name("sink"))
    check_lib(a.expect_lib)
    print("request-key asked %d times for %s" % (len(asked), [hex(s) for s in asked]))
    seqs = [struct.unpack("!H", p[2:4])[0] for p in first + second]
    sys.exit(0 if check_out(out, seqs) and len(asked) == 2 else 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["encode", "decode", "rekey"])
    ap.add_argument("--cipher", default="aes-128-icm")
    ap.add_argument("--auth", default="hmac-sha1-80")
    ap.add_argument("--key")
    ap.add_argument("--key2")
    ap.add_argument("--mki")
    ap.add_argument("--ssrc", type=lambda s: int(s, 0), default=0x5EC0DE01)
    ap.add_argument("--seq0", type=int, default=0)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--skip", type=int, default=0)
    ap.add_argument("--roc", type=int)
    ap.add_argument("--out")
    ap.add_argument("--inp")
    ap.add_argument("--inp2")
    ap.add_argument("--expect-lib")
    ap.add_argument("--expect-fail", action="store_true")
    a = ap.parse_args()
    {"encode": encode, "decode": decode, "rekey": rekey}[a.mode](a)


if __name__ == "__main__":
    main()
