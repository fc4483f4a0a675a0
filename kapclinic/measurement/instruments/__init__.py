"""Instruments as data: one JSON file per instrument in ``data/``, validated on load."""

from __future__ import annotations

from kapclinic.measurement.instruments.definition import Instrument as Instrument
from kapclinic.measurement.instruments.registry import all_instruments as all_instruments
from kapclinic.measurement.instruments.registry import get_instrument as get_instrument
from kapclinic.measurement.instruments.registry import load_licensed_texts as load_licensed_texts
from kapclinic.measurement.instruments.registry import with_licensed_texts as with_licensed_texts
