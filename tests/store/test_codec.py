"""The RunResult document: lossless, driven by type hints, HDR text any HdrHistogram reads."""

from __future__ import annotations

import dataclasses
import json
import random
from dataclasses import dataclass, field

import pytest
from store_samples import full_result

from surge.metrics import Histogram, RunResult
from surge.store.codec import (
    CodecError,
    decode_result,
    decode_value,
    encode_result,
    encode_value,
    pack,
    unpack,
    unsupported_types,
)
from surge.store.hdr import HdrDecodeError, hdr_decode, hdr_encode


def round_trip(result: RunResult) -> RunResult:
    encoding, data = pack(encode_result(result))
    return decode_result(unpack(encoding, data))


def test_every_field_of_run_result_can_be_stored() -> None:
    assert unsupported_types(RunResult) == []


def test_a_result_with_every_field_set_round_trips_equal() -> None:
    result = full_result()
    assert result.workers and result.resources and result.intervals  # really filled in
    assert result.user_classes
    back = round_trip(result)
    assert back == result
    assert back.intervals[0].endpoints[0].latency == result.intervals[0].endpoints[0].latency


def test_histograms_keep_exact_min_max_and_sum() -> None:
    histogram = Histogram.from_values([1_234_567, 1_234_568, 99])
    data = encode_value(histogram, Histogram)
    back = decode_value(json.loads(json.dumps(data)), Histogram)
    assert (back.min_us, back.max_us, back.sum_us) == (99, 1_234_568, 2_469_234)
    assert back == histogram
    lossy = Histogram.decode(data["hdr"])  # the HDR text alone loses them
    assert lossy.sum_us != histogram.sum_us


def test_hdr_text_is_the_standard_encoding() -> None:
    rng = random.Random(7)
    histogram = Histogram.from_values(rng.randint(50, 3_000_000) for _ in range(2000))
    text = hdr_encode(histogram)
    assert text == histogram.encode()  # byte-identical to the hdrh library's encoding
    back = Histogram.decode(text)  # and the hdrh library reads ours
    assert back.total == histogram.total
    assert list(back.indices) == list(histogram.indices)
    exact = hdr_decode(text, min_us=histogram.min_us, max_us=histogram.max_us, sum_us=1)
    assert list(exact.counts) == list(histogram.counts)


def test_empty_histograms_are_stored_without_hdr_text() -> None:
    data = encode_value(Histogram.empty(), Histogram)
    assert data["hdr"] is None
    assert decode_value(data, Histogram) == Histogram.empty()


def test_bad_hdr_text_is_a_codec_error() -> None:
    with pytest.raises(HdrDecodeError):
        hdr_decode("bm90IGhkcg==", min_us=0, max_us=0, sum_us=0)
    data = encode_value(Histogram.from_values([5]), Histogram) | {"hdr": "bm90IGhkcg=="}
    with pytest.raises(CodecError, match="not an HdrHistogram"):
        decode_value(data, Histogram)


@dataclass(frozen=True, slots=True)
class Old:
    a: int


@dataclass(frozen=True, slots=True)
class New:
    a: int
    added: tuple[str, ...] = ()
    nested: dict[int, float] = field(default_factory=dict)


def test_documents_from_before_a_new_field_read_with_its_default() -> None:
    assert decode_value(encode_value(Old(3), Old), New) == New(3)


def test_keys_a_newer_surge_wrote_are_ignored() -> None:
    data = encode_value(New(1, ("x",), {2: 0.5}), New)
    assert data["nested"] == [[2, 0.5]]  # non-string keys as pairs
    assert decode_value(data, Old) == Old(1)


def test_missing_required_field_is_a_codec_error() -> None:
    with pytest.raises(CodecError, match="incomplete"):
        decode_value({}, Old)


def test_unsupported_types_are_named() -> None:
    @dataclass
    class Odd:
        when: complex

    assert unsupported_types(Odd) == ["<class 'complex'>"]
    with pytest.raises(CodecError, match="complex"):
        encode_value(Odd(1j), Odd)


def test_large_documents_are_compressed_and_small_ones_are_plain_json() -> None:
    result = full_result()
    long_run = dataclasses.replace(result, intervals=result.intervals * 40)
    encoding, data = pack(encode_result(long_run))
    assert encoding == "json+zlib"
    assert round_trip(long_run) == long_run
    encoding, data = pack({"codec": 1, "result": {"tiny": True}})
    assert encoding == "json"
    assert json.loads(data) == {"codec": 1, "result": {"tiny": True}}


def test_a_document_of_another_codec_version_is_refused() -> None:
    document = encode_result(full_result()) | {"codec": 99}
    with pytest.raises(CodecError, match="codec version 99"):
        decode_result(document)
