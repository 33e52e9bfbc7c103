"""Fast HdrHistogram V2 encoding of `Histogram`s, byte-identical to `Histogram.encode()`.

`Histogram.encode`/`decode` go through `hdrh.HdrHistogram` value by value, which costs
milliseconds per histogram (tens of them to decode). A stored run holds a histogram per endpoint
per interval, so the store uses hdrh's codec (C varint coding + zlib) on the counts array
directly: the same standard text, any HdrHistogram implementation reads it, in well under a
millisecond. The HDR format does not keep the exact min, max and sum: the codec stores them
beside the text.
"""

from __future__ import annotations

import base64
import binascii
import ctypes
import zlib

import numpy as np
from hdrh.codec import (
    ExternalHeader,
    HdrCookieException,
    HdrHistogramEncoder,
    HdrLengthException,
    HdrPayload,
    ext_header_size,
    get_compression_cookie,
)

from surge.metrics import Histogram
from surge.metrics.histogram import COUNTS_LEN, HIGHEST_US, LOWEST_US, SIGNIFICANT_FIGURES

_WORD_SIZE = 8


class HdrDecodeError(ValueError):
    """The text is not an HdrHistogram V2 encoding of surge's layout."""


def hdr_encode(histogram: Histogram) -> str:
    """The standard compressed HdrHistogram V2 encoding (base64) of the bucket counts."""
    payload = HdrPayload(_WORD_SIZE, COUNTS_LEN)
    header = payload.payload
    header.normalizing_index_offset = 0
    header.conversion_ratio_bits = 1
    header.significant_figures = SIGNIFICANT_FIGURES
    header.lowest_trackable_value = LOWEST_US
    header.highest_trackable_value = HIGHEST_US
    np.ctypeslib.as_array(payload.counts)[histogram.indices] = histogram.counts
    used = int(histogram.indices[-1]) + 1 if len(histogram.indices) else 0
    compressed: bytes = payload.compress(used)
    outer = ExternalHeader()
    outer.cookie = get_compression_cookie()
    outer.length = len(compressed)
    raw = ctypes.string_at(ctypes.addressof(outer), ext_header_size) + compressed
    return base64.b64encode(raw).decode("ascii")


def hdr_decode(text: str, *, min_us: int, max_us: int, sum_us: int) -> Histogram:
    """Inverse of `hdr_encode`, with the exact min, max and sum kept beside the text."""
    try:
        payload = HdrHistogramEncoder.decode(text.encode("ascii"))
    except (HdrCookieException, HdrLengthException, binascii.Error, zlib.error) as exc:
        raise HdrDecodeError(f"not an HdrHistogram V2 encoding: {exc}") from None
    header = payload.payload
    layout = (
        header.lowest_trackable_value,
        header.highest_trackable_value,
        header.significant_figures,
    )
    if layout != (LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES):
        raise HdrDecodeError(f"histogram layout {layout} is not surge's (1, 2**32, 3)")
    payload.init_counts(COUNTS_LEN)
    dense = np.ctypeslib.as_array(payload.counts).astype(np.int64)
    return Histogram.from_dense(dense, min_us, max_us, sum_us)
