"""The live WebSocket's messages: what a client packs is what the server reads, and what breaks
the protocol is refused with a message that says how."""

from __future__ import annotations

import pytest

from mrpn_tf.serve import live_protocol as protocol


def test_a_packed_message_parses_back():
    chunk = protocol.parse(protocol.pack(protocol.AUDIO, 1.25, b"\x01\x00\xff\x7f"))
    assert chunk == protocol.Chunk(protocol.AUDIO, 1.25, b"\x01\x00\xff\x7f")
    assert protocol.parse(protocol.pack(protocol.VIDEO, 0.0, b"\xff\xd8")).kind == protocol.VIDEO


@pytest.mark.parametrize("message, says", [
    (b"\x01\x00", "expected a 9-byte header"),
    (protocol.pack(3, 0.0, b"x"), "message kind 3"),
    (protocol.pack(protocol.VIDEO, -1.0, b"x"), "capture time -1.0"),
    (protocol.pack(protocol.VIDEO, float("nan"), b"x"), "capture time nan"),
    (protocol.pack(protocol.AUDIO, 0.0, b"\x00\x00\x00"), "an even number"),
    (protocol.pack(protocol.VIDEO, 0.0, bytes(protocol.MAX_PICTURE_BYTES + 1)), "expected at most"),
])
def test_broken_messages_are_refused(message, says):
    with pytest.raises(protocol.ProtocolError, match=says):
        protocol.parse(message)


def test_the_start_message_names_the_streams():
    assert protocol.parse_start({"type": "start", "video": {"fps": 16}, "audio": {"sample_rate": 48000}}) \
        == protocol.Start(16.0, 48000)
    assert protocol.parse_start({"type": "start", "video": None, "audio": {"sample_rate": 44100}}) \
        == protocol.Start(None, 44100)
    for bad, says in (({"type": "stop"}, "first"), ({"type": "start"}, "names no stream"),
                      ({"type": "start", "video": {"fps": 0}}, "video fps 0"),
                      ({"type": "start", "audio": {"sample_rate": 12345}}, "sample_rate 12345")):
        with pytest.raises(protocol.ProtocolError, match=says):
            protocol.parse_start(bad)
