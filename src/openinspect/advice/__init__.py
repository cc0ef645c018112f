"""The application assistant: which inspection type, which ROIs and how many images, from a described application.

Explicit rules over the description's words (``lexicon.py``, ``rules.py``) and a resolution check
(``resolution.py``); nothing here is loaded by the station, only when advice is asked for.
"""

from openinspect.advice.assistant import Advice, Sizes, advise
from openinspect.advice.errors import AdviceError
from openinspect.advice.lexicon import Kind
from openinspect.advice.resolution import MIN_DEFECT_PX, Resolution, check_resolution

__all__ = ["MIN_DEFECT_PX", "Advice", "AdviceError", "Kind", "Resolution", "Sizes", "advise", "check_resolution"]
