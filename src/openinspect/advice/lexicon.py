"""The words the assistant listens for: each concept of the framework with the phrasings that name it.

Written by us, not learned: a synonym lexicon of regular expressions (whole words, case-insensitive). Each
:class:`Concept` says which inspection kind it speaks for and how it is put to the user in a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """The inspection kinds the assistant recommends (the recipe's ``kind`` of an inspection type).

    Its own enum, not ``recipe.ModelKind``: the assistant recommends the anomaly kind whether or not this
    station's recipe schema has it yet.
    """

    CLASSIFIER = "classifier"
    SEGMENTER = "segmenter"
    ANOMALY = "anomaly"


@dataclass(frozen=True)
class Concept:
    """One idea of the framework, the phrasings that express it and what it means for the choice."""

    name: str
    kind: Kind | None
    """The kind it argues for; ``None`` for words that only say the text is about an inspection."""
    patterns: tuple[str, ...]
    reason: str
    """The reason in the user's terms; ``{said}`` is replaced by the words they used."""

    def regex(self) -> re.Pattern[str]:
        """One compiled, case-insensitive, whole-word pattern of all phrasings."""
        return re.compile(r"(?<![\w-])(?:" + "|".join(self.patterns) + r")(?![\w-])", re.IGNORECASE)


PRESENCE = Concept("presence", Kind.CLASSIFIER, (
    r"present", r"presence", r"missing", r"absent", r"(?:is|are)\s+(?:\w+\s+)?there", r"there\s+or\s+not",
    r"installed", r"fitted", r"forgotten", r"in\s+place", r"mounted", r"attached", r"stuck\s+on",
    r"(?:is|are)\s+on", r"got\s+printed", r"at\s+all", r"left\s+out", r"put\s+in", r"forg[eo]t(?:s|ting|ten)?",
    r"skipped", r"omitted", r"there\s+at\s+all", r"no\s+\w+\s+fitted",
), "You ask whether something is there ('{said}'): presence or absence at a known place is a go/no-go "
   "decision, which a classifier answers from a few labelled crops.")
STATE = Concept("state", Kind.CLASSIFIER, (
    r"seated", r"seating", r"loose", r"tight(?:ened)?", r"latched", r"unlatched", r"closed", r"open", r"ajar",
    r"fully\s+\w+", r"pressed\s+in", r"all\s+the\s+way(?:\s+home)?", r"(?:up|down)\s+position", r"position",
    r"orientation", r"oriented", r"upside\s+down", r"way\s+round", r"polarity", r"bent", r"straight",
    r"crimp(?:ed|ing)?", r"broken", r"engaged", r"locked", r"lights?\s+up", r"(?:is|are)\s+down", r"flush",
    r"sticking\s+out", r"protrud(?:e|es|ing)", r"proud", r"recessed", r"clipped(?:\s+in)?", r"snapped(?:\s+in)?",
    r"push(?:ed)?\s+(?:\w+\s+){0,3}(?:in|into|home)", r"inserted", r"on\s+pins?", r"aligned", r"tilted", r"skewed",
    r"twisted", r"reversed", r"swapped", r"mixed\s+up", r"folded(?:\s+\w+)?", r"screwed\s+(?:on|in|down|tight)",
    r"fastened", r"secured", r"tucked(?:\s+in)?", r"routed", r"(?:has|have)\s+(?:the\s+)?(?:\w+\s+){1,3}been\s+\w+",
), "You ask about the state of a part at a fixed place ('{said}'): a category per ROI, which a classifier "
   "decides quickly and is fast to label.")
CATEGORY = Concept("category", Kind.CLASSIFIER, (
    r"types?", r"variants?", r"versions?", r"colou?rs?", r"correct(?:ly)?", r"right",
    r"(?<!go\s)(?<!goes\s)(?<!went\s)wrong",
    r"match(?:es|ing)?", r"sort", r"identify", r"which", r"go\s*/\s*no[\s-]*go", r"go[\s-]+no[\s-]+go",
    r"pass\s*/\s*fail", r"good\s+(?:versus|vs\.?|or)\s+bad", r"ok\s*/\s*nok", r"ratings?", r"brass", r"material",
    r"tell\s+whether",
), "You ask for a category or a go/no-go answer ('{said}'): one class per ROI is a classifier's job.")
MEASURE = Concept("measure", Kind.SEGMENTER, (
    r"measure(?:s|d|ment)?", r"sizes?", r"how\s+(?:big|large|long|wide|much)", r"area", r"length", r"width",
    r"extent", r"percent(?:age)?", r"\d+(?:\.\d+)?\s*(?:%|mm2?|mm²|µm|microns?)", r"mm2?", r"diameter",
    r"report\s+its", r"outline", r"map", r"overflow", r"tolerance", r"how\s+far", r"thickness",
    r"dimensions?", r"coverage", r"estimate", r"fraction", r"proportion", r"how\s+far",
), "You need a size, area or length ('{said}'): a segmenter paints the defect's pixels, so the station "
   "measures it and a rule sets the limit.")
COUNT = Concept("count", Kind.SEGMENTER, (
    r"count(?:s|ing)?", r"how\s+many", r"number\s+of", r"tall(?:y|ies)", r"enumerate", r"quantity",
), "You need a count ('{said}'): a segmenter finds each item as a blob and a rule checks the count.")
LOCATE = Concept("locate", Kind.SEGMENTER, (
    # "where" as a question ("find where", "where are"), not as a relative ("reject cans where the print...")
    r"(?:find|show|know|tell|mark|see|report|say|indicate|identify|determine|locate)\s+(?:\w+\s+){0,3}where",
    r"^where", r"where\s+(?:is|are|exactly)", r"locations?", r"locate", r"exact\s+position", r"exactly",
    r"mark\s+(?:every|each|all)", r"avoid\s+it",
), "You need to know where ('{said}'): a segmenter gives the defect's position and shape, a classifier only "
   "says yes or no for the whole ROI.")
ANYWHERE = Concept("anywhere", Kind.SEGMENTER, (
    r"anywhere", r"everywhere", r"whole", r"entire", r"all\s+over", r"across", r"over\s+the", r"along\s+the",
), "The defects can be anywhere on a large area ('{said}'): a segmenter searches every pixel of one ROI "
   "instead of needing a ROI per spot.")
SMALL_ON_LARGE = Concept("small-on-large", Kind.SEGMENTER, (
    r"(?:small|tiny|fine|little)\b.*\b(?:large|big|wide|long)",
), "Small defects on a large area ('{said}'): a segmenter with tiling keeps full resolution over the area.")
FAST = Concept("fast", Kind.SEGMENTER, (
    r"fastest", r"cycle\s+time", r"high\s+speed",
), "You need the fastest cycle ('{said}'): a segmenter is the fastest type per ROI, as one ROI can cover "
   "many parts.")
DEFECTS = Concept("defect", Kind.SEGMENTER, (
    r"scratch(?:es|ed)?", r"dents?", r"dented", r"chips", r"chipped", r"chipping", r"chip\s+(?:on|in|at|along)",
    r"cracks?", r"cracked", r"stains?", r"spills?", r"spilled", r"splatter", r"spatter", r"burrs?", r"pits?",
    r"pitting", r"porosity", r"pinholes?", r"blowholes?", r"holes?", r"dust", r"specks?", r"fib(?:re|er)s?",
    r"hairs?", r"bubbles?", r"rust", r"corrosion", r"contamination", r"contaminants?", r"tears?", r"torn",
    r"wear", r"solder\s+bridges?", r"bridging", r"excess\s+solder", r"voids?", r"breaks", r"fray(?:ing)?",
    r"smears?", r"discolou?ration", r"inclusions?", r"paint\s+defects?", r"coating", r"blisters?", r"wrinkles?",
    r"folds?", r"fingerprints?", r"smudges?", r"(?:paint\s+)?runs", r"sags?", r"orange\s+peel", r"marks", r"spots",
    r"residue", r"flash", r"sink\s+marks?", r"warp(?:ed|ing)?", r"burn(?:s|t|\s+marks?)?", r"short\s+shots?",
    r"particles?", r"debris", r"lint", r"grease", r"oil", r"splash(?:es)?", r"drips?", r"streaks?", r"lumps?",
    r"gouges?", r"nicks?", r"cuts", r"craters?", r"delamination", r"peeling", r"flaking", r"mould", r"mold",
    r"blemish(?:es)?", r"damaged?", r"leak(?:s|age)?", r"smeared", r"oxidi[sz](?:ed|ation)", r"oxidation",
    r"tarnish(?:ed)?", r"scale", r"roll\s+marks?",
), "Surface defects ('{said}'): a segmenter marks each kind in its own colour wherever it shows up.")
NO_EXAMPLES = Concept("no-examples", Kind.ANOMALY, (
    r"(?:no|zero)\s+(?:\w+\s+)?(?:bad|defect|defective|reject|ng|faulty|nok)\s+(?:parts?|samples?|examples?|images?|ones?|pictures?|photos?)",
    r"no\s+defect\s+examples", r"only\s+(?:have\s+)?good", r"good\s+ones\s+only", r"only\s+good",
    r"(?:almost|hardly|rarely|seldom)\s+(?:ever\s+)?(?:see|get|have)", r"never\s+see", r"rare(?:ly)?",
    r"very\s+few", r"few\s+defect", r"(?:once|one|two|a\s+few)\s+a\s+(?:year|month)", r"never\s+seen",
    r"novel", r"unknown", r"not\s+known", r"unpredictable", r"(?:don't|do\s+not|can't|cannot)\s+know\s+what",
    r"unforeseen", r"(?:not|never)\s+(?:yet\s+)?(?:collected|seen|had|got)\s+(?:any\s+)?(?:rejects?|defects?|bad)",
    r"no\s+rejects?(?:\s+yet)?", r"new\s+product", r"first\s+batch", r"(?:cannot|can't)\s+predict",
    r"all\s+we\s+have\s+(?:are|is)\s+(?:\w+\s+){0,3}good", r"learn\s+(?:\w+\s+){0,2}good", r"extremely\s+rare",
    r"(?:haven't|have\s+not)\s+seen",
), "You have no or very few defect examples ('{said}'): an anomaly type learns the good part only and "
   "flags what differs, so no defect has to be collected or labelled.")
UNUSUAL = Concept("unusual", Kind.ANOMALY, (
    r"unusual", r"abnormal(?:ity|ities)?", r"anomal(?:y|ies|ous)", r"irregular(?:ity|ities)?", r"deviations?",
    r"deviates?", r"out\s+of\s+the\s+ordinary", r"outliers?", r"golden\s+(?:sample|part)", r"looks?\s+different",
    r"different\s+from", r"something\s+(?:is\s+)?off", r"anything\s+(?:odd|strange|wrong|else)",
    r"(?:a|the)\s+normal", r"whatever", r"odd", r"strange", r"weird", r"unexpected",
    r"out\s+of\s+place", r"not\s+look(?:s)?\s+right", r"any\s+kind\s+of\s+defect",
), "You want anything that differs from a good part ('{said}'): an anomaly type judges against the good "
   "part, so defects need not be known in advance.")
INSPECTION = Concept("inspection", None, (
    r"inspect(?:ion|ed|s)?", r"check(?:s|ed|ing)?", r"verify", r"detect", r"find", r"flag", r"look\s+for",
    r"make\s+sure", r"ensure", r"confirm", r"reject", r"quality", r"defects?", r"faults?", r"flaws?",
    r"problems?", r"parts?", r"ok", r"okay", r"good", r"bad", r"spot", r"catch", r"must", r"should", r"has\s+to",
    r"have\s+to", r"needs?\s+to", r"supposed\s+to", r"alert", r"warn", r"monitor", r"watch", r"judge", r"surface",
    r"product", r"batch", r"assembly", r"component", r"line", r"station",
), "")

CONCEPTS: tuple[Concept, ...] = (PRESENCE, STATE, CATEGORY, MEASURE, COUNT, LOCATE, ANYWHERE, SMALL_ON_LARGE,
                                 FAST, DEFECTS, NO_EXAMPLES, UNUSUAL, INSPECTION)
"""Every concept the rules look for, in the order reasons are given."""
